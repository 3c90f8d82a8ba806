/**
 * A body over the limit on a keep-alive connection that already served a request: the client
 * must be able to read the 413 every time, not a connection reset (issue 8; RFC 9112 §9.6).
 * Needs a real server and a raw socket: app.inject never touches TCP.
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINGER_MAX_BYTES } from '../src/http/lingering-close.js';
import { Harness } from './helpers/harness.js';

let h: Harness;
let port: number;

beforeAll(async () => {
  h = await Harness.create();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as net.AddressInfo).port;
});
afterAll(() => h.close());

const BODY_BYTES = 3_000_000;
const TRIES = 50;

interface Outcome {
  /** everything the server sent after the first answer */
  text: string;
  /** a socket error the client saw (EPIPE, ECONNRESET), if any */
  error: string | null;
}

/**
 * The client runs in a worker thread: in the server's own event loop it could only write while
 * the server waits, and the server would always have read everything before closing. Each try:
 * a new connection, GET /healthz read whole, then on the same connection a POST of BODY_BYTES
 * written the way most HTTP clients (Python's http.client, for one) write it: all of it, in
 * blocks, before reading the answer. Until then the socket is paused and the answer waits in
 * the kernel, where a reset from the server would discard it.
 */
const CLIENT = `
const net = require('node:net');
const { parentPort, workerData: { port, bodyBytes, tries } } = require('node:worker_threads');
const BLOCK = 16 * 1024;
const block = Buffer.alloc(BLOCK, 'a');

function firstAnswer(socket) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk) => {
      buf += chunk.toString('latin1');
      const end = buf.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const length = Number(/content-length: (\\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off('data', onData);
      buf.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error('first answer: ' + buf.slice(0, 80)));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function oneTry() {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let text = '';
  let error = null;
  socket.on('error', (err) => { error ??= err.code ?? err.message; });
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write('GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n');
  await firstAnswer(socket);
  socket.pause();
  const write = (chunk) => new Promise((resolve) => socket.write(chunk, (err) => resolve(!err)));
  let ok = await write('POST /api/v1/auth/register HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + bodyBytes + '\\r\\n\\r\\n');
  for (let at = 0; ok && at < bodyBytes; at += BLOCK) ok = await write(block.subarray(0, Math.min(BLOCK, bodyBytes - at)));
  socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
  socket.resume();
  if (ok) socket.end();
  await closed;
  return { text, error };
}

(async () => {
  const outcomes = [];
  for (let i = 0; i < tries; i++) outcomes.push(await oneTry());
  parentPort.postMessage(outcomes);
})().catch((err) => parentPort.postMessage(String(err)));
`;

function runClient(): Promise<Outcome[] | string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: { port, bodyBytes: BODY_BYTES, tries: TRIES } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('an oversized body on a reused keep-alive connection', () => {
  it(`answers 413 with Connection: close, readable by the client ${TRIES} times out of ${TRIES}`, async () => {
    const outcomes = await runClient();
    if (typeof outcomes === 'string') throw new Error(outcomes);
    expect(outcomes).toHaveLength(TRIES);
    const failures: string[] = [];
    for (const [i, { text, error }] of outcomes.entries()) {
      const head = text.slice(0, text.indexOf('\r\n\r\n') + 1);
      if (!text.startsWith('HTTP/1.1 413')) failures.push(`try ${i}: ${error ?? 'no error'}, read ${JSON.stringify(text.slice(0, 40))}`);
      else if (!/^connection: close\r$/im.test(head)) failures.push(`try ${i}: 413 without Connection: close`);
      else if (!text.includes('"code":"PAYLOAD_TOO_LARGE"')) failures.push(`try ${i}: 413 without its envelope`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 120_000);

  it(`stops draining a body that does not end after LINGER_MAX_BYTES (${LINGER_MAX_BYTES} bytes)`, async () => {
    // allowHalfOpen: the server's FIN does not end this side, which goes on sending
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let text = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      closed = true;
    });
    const block = Buffer.alloc(64 * 1024, 'a');
    const limit = 8 * LINGER_MAX_BYTES;
    const write = (chunk: string | Buffer) => new Promise<boolean>((resolve) => socket.write(chunk, (err) => resolve(!err)));
    let sent = 0;
    let ok = await write(
      `POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${limit * 2}\r\n\r\n`,
    );
    while (ok && !closed && sent < limit) {
      ok = await write(block);
      sent += block.length;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(text.startsWith('HTTP/1.1 413')).toBe(true);
    expect(closed || !ok, `still open after ${sent} bytes`).toBe(true);
    expect(sent).toBeLessThan(limit);
    socket.destroy();
  });

  it('still serves the next connection normally', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });
});
