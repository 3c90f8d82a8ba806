import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/** Addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE: loopback, private, link-local (cloud metadata), and the like. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) return isPrivateAddress(address.slice(7));
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class WebhookUrlError extends Error {}

/** A URL an endpoint may have: https (http too when private addresses are allowed, i.e. outside production). */
export function checkUrlShape(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new WebhookUrlError(allowPrivate ? 'must be http or https' : 'must be https');
  }
  if (url.username || url.password) throw new WebhookUrlError('must not carry credentials');
  return url;
}

/** Every address the host resolves to is public, or the URL is refused (at creation and at each delivery). */
export async function checkResolvesPublic(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await new Promise<string[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, list) =>
          err ? reject(new WebhookUrlError(`does not resolve (${err.code})`)) : resolve(list.map((a) => a.address)),
        ),
      );
  if (addresses.length === 0 || addresses.some(isPrivateAddress))
    throw new WebhookUrlError('resolves to a private, loopback or link-local address');
}

export interface SendResult {
  status: number | null;
  /** the first 1 KiB of the answer's body */
  body: string;
  error: string | null;
}

/** A delivery's whole exchange: an answer later than this is a failed attempt. */
export const TIMEOUT_MS = 10_000;
const KEEP_BYTES = 1024;

/**
 * One POST: no redirect followed, 10 s for the whole exchange, at most 1 KiB of the answer kept.
 * Unless private addresses are allowed, the connection's own DNS lookup refuses private answers,
 * so a name that resolves to a public address when checked and a private one when connecting
 * (DNS rebinding) is refused too.
 */
export function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  allowPrivate: boolean,
  timeoutMs = TIMEOUT_MS,
): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const guardedLookup = (
      hostname: string,
      options: object,
      callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      dnsLookup(hostname, { ...options, all: true }, (err, list) => {
        if (err) return callback(err, []);
        const bad = list.find((a) => isPrivateAddress(a.address));
        if (bad) return callback(Object.assign(new Error(`resolves to a private address (${bad.address})`), { code: 'EPRIVATE' }), []);
        const all = (options as { all?: boolean }).all;
        if (all) return callback(null, list);
        return callback(null, list[0]!.address, list[0]!.family);
      });
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'SocioX-Webhooks/1',
        },
        ...(allowPrivate ? {} : { lookup: guardedLookup as never }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < KEEP_BYTES) {
            chunks.push(c.subarray(0, KEEP_BYTES - kept));
            kept += Math.min(c.length, KEEP_BYTES - kept);
          }
        });
        // kept as text in the database: no NUL (PostgreSQL text refuses it)
        res.on('end', () =>
          done({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8').replaceAll('\u0000', ''), error: null }),
        );
        res.on('error', (err) => done({ status: res.statusCode ?? null, body: '', error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    req.on('error', (err) => done({ status: null, body: '', error: err.message }));
    req.end(body);
  });
}
