/**
 * The webhook tests' world (test/webhooks-*.test.ts): a receiver on 127.0.0.1 that records what it
 * gets, signature checks with the standardwebhooks package, and one Harness per file with a
 * superadmin and an admin holding manage_webhooks, made again before each test.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, expect, vi } from 'vitest';
import { type Admin, adminLogin, adminWith, bootstrapSuperadmin, countRows } from './fixtures.js';
import { Harness } from './harness.js';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** the path the request was sent to */
  url: string;
  /** when it arrived, on the receiver's clock (the test clock: the signature's timestamp is on it) */
  at: Date;
}

export interface Payload {
  id: string;
  type: string;
  timestamp: string;
  data: any;
}

/**
 * A receiver on 127.0.0.1: answers with `statuses` in turn (then `reply.status`, 200 unless
 * changed), with `reply.body`, after `reply.delayMs`; keeps what it got.
 */
export function receiver() {
  const got: Received[] = [];
  let statuses: number[] = [];
  const reply = { status: 200, body: 'ok', delayMs: 0, headers: {} as Record<string, string> };
  let clock: () => Date = () => new Date();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '', at: clock() });
      const status = statuses.shift() ?? reply.status;
      const body = reply.body;
      const answer = () => res.writeHead(status, { 'content-type': 'text/plain', ...reply.headers }).end(body);
      if (reply.delayMs > 0) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  return {
    got,
    reply,
    answer: (s: number[]) => {
      statuses = [...s];
    },
    /** the receiver's clock (the signatures' timestamps are checked against it) */
    useClock: (c: () => Date) => {
      clock = c;
    },
    reset: () => {
      got.length = 0;
      statuses = [];
      Object.assign(reply, { status: 200, body: 'ok', delayMs: 0, headers: {} });
    },
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A local port nothing listens on: an attempt there fails at once (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function webhookHeaders(got: Received): Record<string, string> {
  return {
    'webhook-id': String(got.headers['webhook-id']),
    'webhook-timestamp': String(got.headers['webhook-timestamp']),
    'webhook-signature': String(got.headers['webhook-signature']),
  };
}

/** Verified as a receiver would, with the standardwebhooks package, at the time it arrived (the tolerance is 5 minutes). */
export function verified(secret: string, got: Received): Payload {
  const now = vi.spyOn(Date, 'now').mockReturnValue(got.at.getTime());
  try {
    return new Webhook(secret).verify(got.body, webhookHeaders(got)) as Payload;
  } finally {
    now.mockRestore();
  }
}

export function verifies(secret: string, got: Received): boolean {
  try {
    verified(secret, got);
    return true;
  } catch {
    return false;
  }
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const WEBHOOKS = '/api/v1/admin/webhooks';

export function typesOf(got: Received[]): string[] {
  return got.map((g) => (JSON.parse(g.body) as Payload).type);
}

/** The per-file setup; `current()` is this test's harness, receiver URL and admins. */
export function webhookWorld() {
  const rx = receiver();
  const state = { h: null as unknown as Harness, url: '', admin: '', staff: null as unknown as Admin, root: null as unknown as Admin };
  beforeAll(async () => {
    state.h = await Harness.create();
    state.url = await rx.start();
    rx.useClock(() => state.h.clock.now());
  });
  afterAll(async () => {
    await rx.stop();
    await state.h.close();
  });
  beforeEach(async () => {
    await state.h.reset();
    rx.reset();
    state.root = await bootstrapSuperadmin(state.h);
    state.staff = await adminWith(state.h, ['manage_webhooks'], { by: state.root });
    state.admin = state.staff.token;
  });
  return {
    rx,
    current: () => ({ ...state }),
    /** The admin's token again, after the test clock has moved past its hour. */
    async freshAdmin(): Promise<string> {
      state.admin = await adminLogin(state.h, state.staff.email, state.staff.password);
      return state.admin;
    },
    async endpoint(events: string[], at = state.url): Promise<{ id: string; secret: string }> {
      const res = await state.h.post(WEBHOOKS, { url: at, events, description: 'test receiver' }, state.admin);
      expect(res.statusCode, res.body).toBe(201);
      return res.json().data;
    },
    async deliveriesOf(id: string, query = '') {
      const res = await state.h.get(`${WEBHOOKS}/${id}/deliveries${query}`, state.admin);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { data: any[]; meta: { limit: number; next_cursor: string | null } };
    },
    auditCount: (action: string, endpointId: string): Promise<number> =>
      countRows(state.h, 'audit_log', "action = $1 and target_type = 'webhook_endpoint' and target_id = $2", [action, endpointId]),
  };
}
