/**
 * What Fastify's router and Node's HTTP parser answer before any route runs (found by
 * `npm run fuzz`): a malformed percent-encoding or an over-long path parameter, headers over
 * 16 KiB, bytes that are not HTTP. Each is the error envelope, never Fastify's or Node's own body.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness.js';

let h: Harness;
let port: number;

beforeAll(async () => {
  h = await Harness.create();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as net.AddressInfo).port;
});
afterAll(() => h.close());

/** Writes `raw` on a new connection and reads until the server closes it. */
function rawExchange(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(raw);
  });
}

function envelopeOf(answer: string): { status: boolean; message: string; code: string } {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { status: boolean; message: string; code: string };
}

describe('errors raised before any route runs', () => {
  it.each(['%', '%zz', '%ff', '%C0%AF', '%ED%A0%80'])('a path parameter %s (malformed percent-encoding) is a 400 envelope', async (bad) => {
    for (const url of [`/api/admin/users/${bad}`, `/api/v1/organisations/${bad}`]) {
      const res = await h.request('DELETE', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toEqual({ status: false, code: 'BAD_REQUEST', message: 'The URL has a malformed percent-encoding' });
    }
  });

  it('a path parameter longer than the router allows is a 404 envelope (it names nothing)', async () => {
    const res = await h.request('GET', `/api/users/${'a'.repeat(101)}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ status: false, code: 'NOT_FOUND', message: 'Not found' });
  });

  it('headers over 16 KiB are a 431 envelope, and the connection is closed', async () => {
    const answer = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(envelopeOf(answer)).toMatchObject({ status: false, code: 'HEADERS_TOO_LARGE' });
  });

  it('bytes that are not HTTP are a 400 envelope', async () => {
    const answer = await rawExchange('HELLO THERE\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(envelopeOf(answer)).toMatchObject({ status: false, code: 'BAD_REQUEST', message: 'The request is not valid HTTP' });
  });
});
