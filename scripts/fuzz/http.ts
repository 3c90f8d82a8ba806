/**
 * A bare node:http client over keep-alive connections: the fuzzer must see what a real client sees
 * (resets, early answers while the body is still being sent, connections closed after a 413),
 * which app.inject() would hide.
 */
import http from 'node:http';

export interface WireRequest {
  method: string;
  /** path and query exactly as sent: percent-encodings and `..` are not normalised */
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** send the body with Transfer-Encoding: chunked instead of a Content-Length */
  chunked?: boolean;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Outcome {
  response?: WireResponse;
  /** a transport error: before the response was complete, or (with a response) while still sending */
  error?: string;
  ms: number;
  /** the x-request-id of the request before this one on the same keep-alive connection */
  previousOnSocket?: string;
}

export const REQUEST_TIMEOUT_MS = 30_000;

export function createClient(port: number, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  // a reset on a reused connection is usually the fault of the answer before it (closed without saying so)
  const lastOnSocket = new WeakMap<object, string>();

  function send(req: WireRequest): Promise<Outcome> {
    const started = performance.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      let response: WireResponse | undefined;
      let headStatus: number | undefined;
      let previousOnSocket: string | undefined;
      const finish = (error?: string) => {
        if (settled) return;
        settled = true;
        if (error && !response && headStatus !== undefined) error = `${error} (after the ${headStatus} status line, before the body's end)`;
        resolve({
          ...(response ? { response } : {}),
          ...(error ? { error } : {}),
          ...(previousOnSocket ? { previousOnSocket } : {}),
          ms: performance.now() - started,
        });
      };
      const headers: Record<string, string | string[] | number> = { ...req.headers };
      if (req.body && !req.chunked) headers['content-length'] = req.body.length;
      // node frames a body as chunks by default only for methods that usually carry one (not DELETE)
      if (req.body && req.chunked) headers['transfer-encoding'] = 'chunked';
      let cr: http.ClientRequest;
      try {
        cr = http.request({ agent, host: '127.0.0.1', port, method: req.method, path: req.path, headers });
      } catch (err) {
        // node refused to send it (an unescaped character in the path): a generator bug, reported as such
        finish(`client refused: ${(err as Error).message}`);
        return;
      }
      cr.on('socket', (socket) => {
        if (cr.reusedSocket) previousOnSocket = lastOnSocket.get(socket);
        lastOnSocket.set(socket, String(req.headers['x-request-id'] ?? `${req.method} ${req.path.slice(0, 80)}`));
      });
      cr.setTimeout(REQUEST_TIMEOUT_MS, () => cr.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      cr.on('response', (res) => {
        headStatus = res.statusCode;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          finish();
        });
        res.on('aborted', () => finish('response aborted before its end'));
        res.on('error', (err: NodeJS.ErrnoException) => finish(`response error: ${err.code ?? err.message}`));
      });
      cr.on('error', (err: NodeJS.ErrnoException) => {
        // an error after the whole response was read (EPIPE on the rest of a 413'd body) is settled already
        finish(err.code ?? err.message);
      });
      if (!req.body) {
        cr.end();
      } else if (req.chunked) {
        // several writes, so node frames them as chunks and the server sees no Content-Length
        const step = 256 * 1024;
        for (let i = 0; i < req.body.length; i += step) cr.write(req.body.subarray(i, i + step));
        cr.end();
      } else {
        cr.end(req.body);
      }
    });
  }

  return {
    send,
    close: () => agent.destroy(),
  };
}

export type Client = ReturnType<typeof createClient>;

/** Plain JSON request for set-up steps (fixtures), throwing on transport errors. */
export async function jsonCall(
  client: Client,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const out = await client.send({ method, path, headers, ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)) } : {}) });
  if (!out.response) throw new Error(`${method} ${path}: ${out.error}`);
  const text = out.response.body.toString('utf8');
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: out.response.status, json };
}
