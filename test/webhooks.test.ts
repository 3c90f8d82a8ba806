/**
 * Signed webhooks (issue 12): endpoints managed by admins with manage_webhooks, events written in
 * the transaction of the change, delivered by the worker with the Standard Webhooks signature.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, bootstrapSuperadmin } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1: answers with `statuses` in turn (then 200), keeps what it got. */
function receiver() {
  const got: Received[] = [];
  let statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return {
    got,
    answer: (s: number[]) => {
      statuses = [...s];
    },
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let h: Harness;
const rx = receiver();
let url: string;
let admin: string;

beforeAll(async () => {
  h = await Harness.create();
  url = await rx.start();
});
afterAll(async () => {
  await rx.stop();
  await h.close();
});
beforeEach(async () => {
  await h.reset();
  rx.got.length = 0;
  rx.answer([]);
  const root = await bootstrapSuperadmin(h);
  admin = (await adminWith(h, ['manage_webhooks'], { by: root })).token;
});

async function endpoint(events: string[]): Promise<{ id: string; secret: string }> {
  const res = await h.post('/api/v1/admin/webhooks', { url, events, description: 'test receiver' }, admin);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

describe('delivery', () => {
  it('a registration arrives once, signed the Standard Webhooks way, verifiable with the standardwebhooks package', async () => {
    const { secret } = await endpoint(['user.created']);
    const user = await h.registerUser();
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    const [got] = rx.got;
    const payload = new Webhook(secret).verify(got!.body, {
      'webhook-id': String(got!.headers['webhook-id']),
      'webhook-timestamp': String(got!.headers['webhook-timestamp']),
      'webhook-signature': String(got!.headers['webhook-signature']),
    }) as { id: string; type: string; timestamp: string; data: { id: string; email: string } };
    expect(payload.type).toBe('user.created');
    expect(payload.id).toBe(got!.headers['webhook-id']);
    expect(payload.data.id).toBe(user.id);
    expect(got!.body).not.toContain('password');
    // a second pass sends nothing more
    await h.deliver();
    expect(rx.got).toHaveLength(1);
  });

  it('a 500 three times, then 200: delivered on the fourth try, after the backoff', async () => {
    const { id } = await endpoint(['user.created']);
    rx.answer([500, 500, 500]);
    await h.registerUser();
    await h.deliver();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(3 * 3600_000);
      await h.deliver();
    }
    expect(rx.got).toHaveLength(4);
    // (the admin's token has expired meanwhile: the service is asked directly)
    const deliveries = await h.app.webhooks.deliveries(id, null, 10);
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 4, last_status: 200 });
  });
});
