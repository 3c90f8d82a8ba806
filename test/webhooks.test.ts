/**
 * Signed webhooks (issue 12): endpoints managed by admins with manage_webhooks, events written in
 * the transaction of the change, delivered by the worker with the Standard Webhooks signature.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_PERMISSIONS } from '../src/modules/admins/permissions.js';
import { RETRY_DELAYS_MS, WEBHOOK_EVENT_TYPES } from '../src/modules/webhooks/events.js';
import { isPrivateAddress, send } from '../src/modules/webhooks/sender.js';
import { twoInstances } from './helpers/caches.js';
import { type Admin, adminLogin, adminWith, bootstrapSuperadmin, countRows, fieldsOf, relogin } from './helpers/fixtures.js';
import { Harness, type TestUser, uniqueEmail } from './helpers/harness.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** the path the request was sent to */
  url: string;
  /** when it arrived, on the receiver's clock (the test clock: the signature's timestamp is on it) */
  at: Date;
}

interface Payload {
  id: string;
  type: string;
  timestamp: string;
  data: any;
}

/**
 * A receiver on 127.0.0.1: answers with `statuses` in turn (then `reply.status`, 200 unless
 * changed), with `reply.body`, after `reply.delayMs`; keeps what it got.
 */
function receiver() {
  const got: Received[] = [];
  let statuses: number[] = [];
  const reply = { status: 200, body: 'ok', delayMs: 0 };
  let clock: () => Date = () => new Date();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '', at: clock() });
      const status = statuses.shift() ?? reply.status;
      const body = reply.body;
      const answer = () => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
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
      Object.assign(reply, { status: 200, body: 'ok', delayMs: 0 });
    },
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A local port nothing listens on: an attempt there fails at once (connection refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function webhookHeaders(got: Received): Record<string, string> {
  return {
    'webhook-id': String(got.headers['webhook-id']),
    'webhook-timestamp': String(got.headers['webhook-timestamp']),
    'webhook-signature': String(got.headers['webhook-signature']),
  };
}

/** Verified as a receiver would, with the standardwebhooks package, at the time it arrived (the tolerance is 5 minutes). */
function verified(secret: string, got: Received): Payload {
  const now = vi.spyOn(Date, 'now').mockReturnValue(got.at.getTime());
  try {
    return new Webhook(secret).verify(got.body, webhookHeaders(got)) as Payload;
  } finally {
    now.mockRestore();
  }
}

function verifies(secret: string, got: Received): boolean {
  try {
    verified(secret, got);
    return true;
  } catch {
    return false;
  }
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEBHOOKS = '/api/v1/admin/webhooks';

let h: Harness;
const rx = receiver();
let url: string;
/** the manage_webhooks admin's token (an hour of the test clock: see `freshAdmin`) */
let admin: string;
let staff: Admin;
let root: Admin;

beforeAll(async () => {
  h = await Harness.create();
  url = await rx.start();
  rx.useClock(() => h.clock.now());
});
afterAll(async () => {
  await rx.stop();
  await h.close();
});
beforeEach(async () => {
  await h.reset();
  rx.reset();
  root = await bootstrapSuperadmin(h);
  staff = await adminWith(h, ['manage_webhooks'], { by: root });
  admin = staff.token;
});

/** The admin's token again, after the test clock has moved past its hour. */
async function freshAdmin(): Promise<string> {
  admin = await adminLogin(h, staff.email, staff.password);
  return admin;
}

async function endpoint(events: string[], at = url): Promise<{ id: string; secret: string }> {
  const res = await h.post(WEBHOOKS, { url: at, events, description: 'test receiver' }, admin);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data;
}

async function deliveriesOf(id: string, query = '') {
  const res = await h.get(`${WEBHOOKS}/${id}/deliveries${query}`, admin);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { data: any[]; meta: { limit: number; next_cursor: string | null } };
}

async function auditCount(action: string, endpointId: string): Promise<number> {
  return countRows(h, 'audit_log', "action = $1 and target_type = 'webhook_endpoint' and target_id = $2", [action, endpointId]);
}

function typesOf(got: Received[]): string[] {
  return got.map((g) => (JSON.parse(g.body) as Payload).type);
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

  it('every one of the 19 event types arrives exactly once, signed, {id, type, timestamp, data} with the object and no secret', async () => {
    h.clock.set(new Date('2026-03-10T09:30:00.000Z'));
    // made before the endpoint exists: their own events go nowhere
    const rootToken = root.token;
    let owner = await h.registerUser();
    const member = await h.registerUser();
    const target = await h.registerUser();
    const newPlan = async (name: string) => {
      const res = await h.post(
        '/api/v1/admin/plans',
        {
          name,
          price: { monthly: { amount: 10, currency: 'USD' }, yearly: { amount: 100, currency: 'USD' } },
          features: { teamMembers: 2 },
        },
        rootToken,
      );
      expect(res.statusCode, res.body).toBe(201);
      return res.json().data.id as string;
    };
    const basic = await newPlan('wh-basic');
    const pro = await newPlan('wh-pro');

    expect(WEBHOOK_EVENT_TYPES).toHaveLength(19);
    const { secret } = await endpoint([...WEBHOOK_EVENT_TYPES]);
    const tokens: string[] = [owner.token, member.token, target.token, rootToken, admin];
    const ok = (res: { statusCode: number; body: string }, status = 200) => expect(res.statusCode, res.body).toBe(status);

    // user.created
    const fresh = await h.registerUser();
    tokens.push(fresh.token);
    // user.updated
    ok(await h.put('/api/v1/profile', { name: 'Renamed Owner' }, owner.token));
    // user.password_changed (by reset: the code must not travel)
    ok(await h.post('/api/v1/auth/forgot-password', { email: owner.email }));
    const otp = await h.otpFor(owner.email);
    ok(await h.post('/api/v1/auth/reset-password', { email: owner.email, otp, newPassword: 'a brand new password 1' }));
    owner = await relogin(h, { ...owner, password: 'a brand new password 1' });
    tokens.push(owner.token);
    // user.deactivated, user.reactivated
    ok(await h.post(`/api/v1/admin/users/${target.id}/deactivate`, undefined, rootToken));
    ok(await h.post(`/api/v1/admin/users/${target.id}/reactivate`, undefined, rootToken));
    // plan.created, plan.updated, plan.deleted
    const temp = await newPlan('wh-temp');
    ok(await h.put(`/api/v1/admin/plans/${temp}`, { name: 'wh-temp-2', price: { monthly: { amount: 5, currency: 'EUR' } } }, rootToken));
    ok(await h.delete(`/api/v1/admin/plans/${temp}`, rootToken));
    // subscription.created, subscription.updated
    const sub = await h.post('/api/v1/users/subscribe', { planId: basic, billingCycle: 'monthly' }, owner.token);
    ok(sub);
    const subId = sub.json().data.id as string;
    ok(await h.put('/api/v1/users/subscription', { planId: pro }, owner.token));
    // organisation.created, .updated, .member_added, .member_removed, .deleted
    const org = await h.post('/api/v1/organisations', { name: 'Webhook club' }, owner.token);
    ok(org, 201);
    const orgId = org.json().data.id as string;
    ok(await h.patch(`/api/v1/organisations/${orgId}`, { name: 'Webhook society' }, owner.token));
    ok(await h.post(`/api/v1/organisations/${orgId}/members`, { user_id: member.id }, owner.token));
    ok(await h.delete(`/api/v1/organisations/${orgId}/members`, owner.token, { user_id: member.id }));
    ok(await h.delete(`/api/v1/organisations/${orgId}`, owner.token));
    // user.deleted
    ok(await h.delete('/api/v1/profile', fresh.token, { password: fresh.password }));
    await h.deliver();
    expect(rx.got).toHaveLength(16);

    // subscription.renewed: the worker, once the period has ended
    h.clock.set(new Date('2026-04-10T10:00:00.000Z'));
    await h.deliver();
    expect(typesOf(rx.got).slice(16)).toEqual(['subscription.renewed']);
    // subscription.canceled (at the period's end), then subscription.expired: the worker, once it has ended
    owner = await relogin(h, owner);
    tokens.push(owner.token);
    ok(await h.post('/api/v1/users/subscription/cancel', { reason: 'testing webhooks' }, owner.token));
    await h.deliver();
    h.clock.set(new Date('2026-05-10T10:00:00.000Z'));
    await h.deliver();
    await h.deliver();
    expect(rx.got).toHaveLength(19);

    const payloads = rx.got.map((g) => verified(secret, g));
    // each type once, each event once
    expect(payloads.map((p) => p.type).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    expect(new Set(payloads.map((p) => p.id)).size).toBe(19);
    const byType = new Map(payloads.map((p) => [p.type, p]));
    for (const [i, p] of payloads.entries()) {
      expect(Object.keys(p).sort(), p.type).toEqual(['data', 'id', 'timestamp', 'type']);
      expect(p.id, p.type).toBe(rx.got[i]!.headers['webhook-id']);
      expect(p.id, p.type).toMatch(/^evt_/);
      expect(new Date(p.timestamp).toISOString(), p.type).toBe(p.timestamp);
      expect(p.data, p.type).toBeTruthy();
    }
    const data = (type: string) => byType.get(type)!.data;
    expect(data('user.created')).toMatchObject({ id: fresh.id, email: fresh.email, role: 'parent' });
    expect(data('user.updated')).toMatchObject({ id: owner.id, email: owner.email, name: 'Renamed Owner' });
    expect(data('user.password_changed')).toMatchObject({ id: owner.id, email: owner.email });
    expect(data('user.deactivated')).toMatchObject({ id: target.id, email: target.email, status: 'deactivated' });
    expect(data('user.reactivated')).toMatchObject({ id: target.id, email: target.email, status: 'active' });
    expect(data('user.deleted')).toMatchObject({ id: fresh.id, email: fresh.email });
    expect(data('plan.created')).toMatchObject({ id: temp, name: 'wh-temp' });
    expect(data('plan.updated')).toMatchObject({ id: temp, name: 'wh-temp-2' });
    expect(data('plan.deleted')).toMatchObject({ id: temp });
    expect(data('subscription.created')).toMatchObject({ id: subId, userId: owner.id, planId: basic, status: 'active' });
    expect(data('subscription.updated')).toMatchObject({ id: subId, planId: pro, status: 'active' });
    expect(data('subscription.renewed')).toMatchObject({
      id: subId,
      status: 'active',
      currentPeriodStart: '2026-04-10T09:30:00.000Z',
      currentPeriodEnd: '2026-05-10T09:30:00.000Z',
    });
    expect(data('subscription.canceled')).toMatchObject({ id: subId, status: 'canceled', cancelReason: 'testing webhooks' });
    expect(data('subscription.expired')).toMatchObject({ id: subId, status: 'expired' });
    expect(data('organisation.created')).toMatchObject({ id: orgId, name: 'Webhook club' });
    expect(data('organisation.updated')).toMatchObject({ id: orgId, name: 'Webhook society' });
    expect(data('organisation.deleted')).toMatchObject({ id: orgId });
    expect(data('organisation.member_added')).toMatchObject({ organisation: { id: orgId }, userId: member.id });
    expect(data('organisation.member_removed')).toMatchObject({ organisation: { id: orgId }, userId: member.id });

    // never a hash, a code, a token or a secret
    for (const g of rx.got) {
      const body = g.body.replaceAll('"type":"user.password_changed"', '');
      expect(body).not.toContain('$argon2');
      expect(body).not.toMatch(/password/i);
      expect(body).not.toMatch(/"[^"]*(otp|token|secret|hash)[^"]*"\s*:/i);
      expect(body).not.toContain(otp);
      expect(body).not.toContain('whsec_');
      expect(body).not.toContain(secret.slice('whsec_'.length));
      for (const t of tokens) expect(body).not.toContain(t);
    }

    // a pass later sends nothing again
    h.clock.advance(DAY);
    await h.deliver();
    expect(rx.got).toHaveLength(19);
  });

  it('a child user is user.created naming its parent; a password change is user.password_changed', async () => {
    const parent = await h.registerUser();
    const { secret } = await endpoint(['user.created', 'user.password_changed']);
    const child = await h.createChild(parent);
    const res = await h.post(
      '/api/v1/auth/change-password',
      { old_password: parent.password, new_password: 'another password 22' },
      parent.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    await h.deliver();
    const payloads = rx.got.map((g) => verified(secret, g));
    expect(payloads.map((p) => p.type).sort()).toEqual(['user.created', 'user.password_changed']);
    const byType = new Map(payloads.map((p) => [p.type, p.data]));
    expect(byType.get('user.created')).toMatchObject({ id: child.id, email: child.email, role: 'child', parent_id: parent.id });
    expect(byType.get('user.password_changed')).toMatchObject({ id: parent.id, email: parent.email });
    for (const g of rx.got) {
      expect(g.body).not.toContain('another password 22');
      expect(g.body).not.toContain('$argon2');
    }
  });
});

describe('never for a rollback, never to an endpoint not subscribed', () => {
  it('an account deleted with the organisation it created: organisation.deleted (reason account_deleted), then user.deleted', async () => {
    const { secret } = await endpoint(['organisation.deleted', 'user.deleted']);
    const owner = await h.registerUser();
    const member = await h.registerUser();
    const org = await h.post('/api/v1/organisations', { name: 'Going away' }, owner.token);
    expect(org.statusCode, org.body).toBe(201);
    const orgId = org.json().data.id as string;
    expect((await h.post(`/api/v1/organisations/${orgId}/members`, { user_id: member.id }, owner.token)).statusCode).toBe(200);
    const del = await h.delete('/api/v1/profile', owner.token, { password: owner.password });
    expect(del.statusCode, del.body).toBe(200);
    await h.deliver();
    const byType = new Map(rx.got.map((g) => verified(secret, g)).map((p) => [p.type, p.data]));
    expect([...byType.keys()].sort()).toEqual(['organisation.deleted', 'user.deleted']);
    expect(rx.got).toHaveLength(2);
    expect(byType.get('organisation.deleted')).toMatchObject({ id: orgId, name: 'Going away', reason: 'account_deleted' });
    expect(byType.get('user.deleted')).toMatchObject({ id: owner.id, email: owner.email });
  });

  it('a registration with an email that exists: 409, no second user.created', async () => {
    await endpoint(['user.created']);
    const user = await h.registerUser();
    const again = await h.post('/api/v1/auth/register', { name: 'Again', email: user.email, password: 'correct horse battery' });
    expect(again.statusCode, again.body).toBe(409);
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    expect((JSON.parse(rx.got[0]!.body) as Payload).data.id).toBe(user.id);
    expect(await countRows(h, 'webhook_events')).toBe(1);
  });

  it('an action that fails after its event was written, in the same transaction: nothing is kept, nothing sent', async () => {
    await endpoint(['user.created']);
    // the session row of a registration is written after its user.created event: make it fail
    await h.db.exec(`
      create function webhooks_test_refuse() returns trigger language plpgsql as $$
      begin raise exception 'refused by the test'; end $$;
      create trigger webhooks_test_refuse before insert on sessions for each row execute function webhooks_test_refuse();`);
    const email = uniqueEmail('rolled.back');
    try {
      const res = await h.post('/api/v1/auth/register', { name: 'Rolled Back', email, password: 'correct horse battery' });
      expect(res.statusCode, res.body).toBe(500);
    } finally {
      await h.db.exec('drop trigger webhooks_test_refuse on sessions; drop function webhooks_test_refuse();');
    }
    expect(await countRows(h, 'users', 'email = $1', [email])).toBe(0);
    expect(await countRows(h, 'webhook_events')).toBe(0);
    expect(await countRows(h, 'webhook_deliveries')).toBe(0);
    await h.deliver();
    expect(rx.got).toHaveLength(0);
  });

  it('a child beyond the seat limit, a subscription to an inactive plan: refused, no event', async () => {
    await endpoint([...WEBHOOK_EVENT_TYPES]);
    const parent = await h.registerUser();
    const plan = async (body: Record<string, unknown>) => {
      const res = await h.post(
        '/api/v1/admin/plans',
        { price: { monthly: { amount: 10, currency: 'USD' } }, features: { teamMembers: 1 }, ...body },
        root.token,
      );
      expect(res.statusCode, res.body).toBe(201);
      return res.json().data.id as string;
    };
    const small = await plan({ name: 'one-seat' });
    const closed = await plan({ name: 'closed-plan' });
    expect((await h.post(`/api/v1/admin/plans/${closed}/status`, { status: 'inactive' }, root.token)).statusCode).toBe(200);
    expect((await h.post('/api/v1/users/subscribe', { planId: small, billingCycle: 'monthly' }, parent.token)).statusCode).toBe(200);
    await h.createChild(parent);
    await h.deliver();
    expect(typesOf(rx.got).sort()).toEqual([
      'plan.created',
      'plan.created',
      'plan.updated',
      'subscription.created',
      'user.created',
      'user.created',
    ]);
    const events = await countRows(h, 'webhook_events');

    const extra = await h.post(
      '/api/users/child-users',
      { name: 'Too Many', email: uniqueEmail('child'), password: 'child password 1', permissions: ['create_posts'] },
      parent.token,
    );
    expect(extra.statusCode, extra.body).toBe(403);
    const other = await h.registerUser();
    rx.got.length = 0;
    const refused = await h.post('/api/v1/users/subscribe', { planId: closed, billingCycle: 'monthly' }, other.token);
    expect(refused.statusCode, refused.body).toBe(422);
    await h.deliver();
    // only the registration of `other`
    expect(typesOf(rx.got)).toEqual(['user.created']);
    expect(await countRows(h, 'webhook_events')).toBe(events + 1);
  });

  it('an endpoint subscribed only to plan.created receives nothing for user events', async () => {
    const { id } = await endpoint(['plan.created']);
    const user = await h.registerUser();
    expect((await h.put('/api/v1/profile', { name: 'Someone Else' }, user.token)).statusCode).toBe(200);
    await h.createChild(user);
    await h.deliver();
    expect(rx.got).toHaveLength(0);
    expect((await deliveriesOf(id)).data).toEqual([]);
    // nobody listens to them: not even the events are written
    expect(await countRows(h, 'webhook_events')).toBe(0);
    const plan = await h.post(
      '/api/v1/admin/plans',
      { name: 'only-plans', price: { monthly: { amount: 1, currency: 'USD' } } },
      root.token,
    );
    expect(plan.statusCode, plan.body).toBe(201);
    await h.deliver();
    expect(typesOf(rx.got)).toEqual(['plan.created']);
  });
});

describe('retries, failure, manual retry', () => {
  it('a receiver that keeps failing: 8 attempts on the backoff, then failed; the log keeps 1 KiB; a retry delivers; a delivered one is 409', async () => {
    expect(RETRY_DELAYS_MS).toHaveLength(7);
    const { id } = await endpoint(['user.created']);
    rx.reply.status = 500;
    rx.reply.body = 'x'.repeat(5 * 1024);
    await h.registerUser();
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      // just short of the shortest wait (−20%): nothing; past the longest (+20%): the next attempt
      h.clock.advance(Math.floor(delay * 0.75));
      await h.deliver();
      expect(rx.got, `retry ${i + 1} came early`).toHaveLength(i + 1);
      h.clock.advance(Math.ceil(delay * 0.5));
      await h.deliver();
      expect(rx.got, `retry ${i + 1}`).toHaveLength(i + 2);
    }
    expect(rx.got).toHaveLength(8);
    // every attempt of one delivery carries the same webhook-id
    expect(new Set(rx.got.map((g) => g.headers['webhook-id'])).size).toBe(1);
    h.clock.advance(DAY);
    await h.deliver();
    expect(rx.got).toHaveLength(8);

    await freshAdmin();
    const [failed] = (await deliveriesOf(id)).data;
    expect(failed).toMatchObject({
      eventType: 'user.created',
      status: 'failed',
      attempts: 8,
      lastStatus: 500,
      nextAttemptAt: null,
      deliveredAt: null,
    });
    expect(failed.lastResponse.length).toBeLessThanOrEqual(1024);
    expect(failed.lastResponse).toBe('x'.repeat(1024));
    const { rows } = await h.db.query<{ n: number }>('select length(last_response)::int as n from webhook_deliveries where id = $1', [
      failed.id,
    ]);
    expect(rows[0]!.n).toBeLessThanOrEqual(1024);
    // 8 days of failing for one delivery would not disable it: the endpoint is still enabled
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data).toMatchObject({ enabled: true, disabledReason: null });

    rx.reply.status = 200;
    rx.reply.body = 'thanks';
    const retry = await h.post(`${WEBHOOKS}/${id}/deliveries/${failed.id}/retry`, undefined, admin);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().data).toMatchObject({ id: failed.id, status: 'pending', nextAttemptAt: h.clock.now().toISOString() });
    expect(await auditCount('webhook.retry', id)).toBe(1);
    await h.deliver();
    expect(rx.got).toHaveLength(9);
    expect(rx.got[8]!.headers['webhook-id']).toBe(rx.got[0]!.headers['webhook-id']);
    expect((await deliveriesOf(id)).data[0]).toMatchObject({
      id: failed.id,
      status: 'delivered',
      attempts: 9,
      lastStatus: 200,
      lastResponse: 'thanks',
      lastError: null,
    });

    const again = await h.post(`${WEBHOOKS}/${id}/deliveries/${failed.id}/retry`, undefined, admin);
    expect(again.statusCode, again.body).toBe(409);
    expect(await auditCount('webhook.retry', id)).toBe(1);
    await h.deliver();
    expect(rx.got).toHaveLength(9);
  });

  it('a refused connection: lastError says so, lastStatus is null; retry of an unknown or another endpoint’s delivery is 404', async () => {
    const dead = await endpoint(['user.created'], `http://127.0.0.1:${await closedPort()}/hook`);
    const alive = await endpoint(['user.created']);
    await h.registerUser();
    await h.deliver();
    const [d] = (await deliveriesOf(dead.id)).data;
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastResponse: '' });
    expect(d.lastError).toMatch(/ECONNREFUSED/);
    expect(new Date(d.nextAttemptAt).getTime()).toBeGreaterThan(h.clock.now().getTime());
    expect((await h.post(`${WEBHOOKS}/${alive.id}/deliveries/${d.id}/retry`, undefined, admin)).statusCode).toBe(404);
    expect((await h.post(`${WEBHOOKS}/${dead.id}/deliveries/${crypto.randomUUID()}/retry`, undefined, admin)).statusCode).toBe(404);
    expect(await auditCount('webhook.retry', dead.id)).toBe(0);
  });

  it('a 2xx answer whose body holds a NUL byte: delivered, once', async () => {
    const { id } = await endpoint(['user.created']);
    rx.reply.body = 'ok\u0000';
    await h.registerUser();
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    // the lease of a claimed attempt is a minute: had it not been recorded, it would be sent again
    h.clock.advance(2 * 60_000);
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    expect((await h.app.webhooks.deliveries(id, null, 10))[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status: 200,
      last_response: 'ok',
    });
  });
});

describe('an endpoint that fails for 5 days', () => {
  it('is disabled, each superadmin is emailed; it receives nothing until re-enabled', async () => {
    const second = await h.post(
      '/api/v1/admin/create-admin',
      { email: uniqueEmail('root2'), password: 'root password 2', name: 'Second Root', permissions: [], role: 'superadmin' },
      root.token,
    );
    expect(second.statusCode, second.body).toBe(201);
    const secondEmail = second.json().data.email as string;
    const { id } = await endpoint(['user.created']);
    rx.reply.status = 503;
    await h.registerUser();
    await h.deliver();
    // four days of failures (new events keep failing): still enabled
    for (let day = 1; day <= 4; day++) {
      h.clock.advance(DAY);
      await h.registerUser();
      await h.deliver();
    }
    expect(await h.app.webhooks.get(id)).toMatchObject({ enabled: true, disabledReason: null });
    h.clock.advance(DAY + 60_000);
    await h.registerUser();
    await h.deliver();
    const disabled = await h.app.webhooks.get(id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabledReason).toMatch(/5 days/);
    // the email is queued in the pass that disabled it and handed to the mailer by the next
    await h.deliver();
    const told = h.mailer.sent.filter((m) => m.subject === 'A webhook endpoint was disabled');
    expect(told.map((m) => m.to).sort()).toEqual([root.email, secondEmail].sort());
    for (const mail of told) {
      expect(mail.text).toContain(id);
      expect(mail.text).toContain(url);
    }

    // disabled: nothing is sent, neither new events nor the retries it still had
    const received = rx.got.length;
    const during = await h.registerUser();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(12 * HOUR);
      await h.deliver();
    }
    expect(rx.got).toHaveLength(received);

    // enabled again (the receiver still failing): the 5 days count afresh, one failure does not disable it again
    await freshAdmin();
    const enabled = await h.patch(`${WEBHOOKS}/${id}`, { enabled: true }, admin);
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().data).toMatchObject({ enabled: true, disabledReason: null });
    const after = await h.registerUser();
    await h.deliver();
    expect(rx.got.length).toBeGreaterThan(received);
    expect(await h.app.webhooks.get(id)).toMatchObject({ enabled: true, disabledReason: null });
    // and once the receiver works, delivery resumes
    rx.reply.status = 200;
    h.clock.advance(12 * HOUR);
    await h.deliver();
    const delivered = (await h.app.webhooks.deliveries(id, null, 100)).filter((d) => d.status === 'delivered');
    const ids = await Promise.all(
      delivered.map(
        async (d) =>
          (await h.db.query<{ payload: Payload }>('select payload from webhook_events where id = $1', [d.event_id])).rows[0]!.payload.data
            .id,
      ),
    );
    expect(ids).toContain(after.id);
    // an event while it was disabled was not queued for it
    expect(ids).not.toContain(during.id);
    expect(await h.app.webhooks.get(id)).toMatchObject({ enabled: true });
  });

  it('one disabled by PATCH {enabled:false} receives nothing, even what was queued; enabled again, it does', async () => {
    const { id } = await endpoint(['user.created']);
    const queued = await h.registerUser();
    const off = await h.patch(`${WEBHOOKS}/${id}`, { enabled: false }, admin);
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().data).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin' });
    await h.registerUser();
    await h.deliver();
    h.clock.advance(30 * 60_000);
    await h.deliver();
    expect(rx.got).toHaveLength(0);
    expect((await h.post(`${WEBHOOKS}/${id}/test`, undefined, admin)).statusCode).toBe(409);

    const on = await h.patch(`${WEBHOOKS}/${id}`, { enabled: true }, admin);
    expect(on.json().data).toMatchObject({ enabled: true, disabledReason: null });
    const later = await h.registerUser();
    await h.deliver();
    const ids = rx.got.map((g) => (JSON.parse(g.body) as Payload).data.id as string);
    expect(ids).toContain(queued.id);
    expect(ids).toContain(later.id);
    expect(new Set(rx.got.map((g) => g.headers['webhook-id'])).size).toBe(rx.got.length);
  });
});

describe('two instances on one database', () => {
  const instances = twoInstances();

  it('both deliver concurrently: the receiver gets each event exactly once', async () => {
    const a = instances.a();
    const b = instances.b();
    const superadmin = await bootstrapSuperadmin(a);
    const res = await a.post(WEBHOOKS, { url, events: ['user.created', 'plan.created'] }, superadmin.token);
    expect(res.statusCode, res.body).toBe(201);
    const { secret } = res.json().data;
    const users: TestUser[] = [];
    for (let i = 0; i < 3; i++) users.push(await (i % 2 ? b : a).registerUser());
    // and a worker-sized batch more (more than one claim of 20)
    for (let i = 0; i < 42; i++) await a.app.webhooks.emit(a.db, 'plan.created', { id: `plan-${i}` });
    const queued = await countRows(a, 'webhook_deliveries', "status = 'pending'");
    expect(queued).toBe(45);
    rx.reply.delayMs = 5;
    const [sentA, sentB] = await Promise.all([a.app.webhooks.deliverDue(), b.app.webhooks.deliverDue()]);
    expect(sentA + sentB).toBe(45);
    expect(rx.got).toHaveLength(45);
    const ids = rx.got.map((g) => verified(secret, g).id);
    expect(new Set(ids).size).toBe(45);
    expect(await countRows(a, 'webhook_deliveries', "status = 'delivered' and attempts = 1")).toBe(45);
    const delivered = rx.got.map((g) => JSON.parse(g.body) as Payload).filter((p) => p.type === 'user.created');
    expect(delivered.map((p) => p.data.id).sort()).toEqual(users.map((u) => u.id).sort());
    // and again, both at once: nothing more
    await Promise.all([a.app.webhooks.deliverDue(), b.app.webhooks.deliverDue()]);
    expect(rx.got).toHaveLength(45);
  });
});

describe('secrets', () => {
  it('created with a whsec_ secret shown once; never listed; stored sealed; rotation signs with the new one only', async () => {
    const res = await h.post(WEBHOOKS, { url, events: ['user.created'] }, admin);
    expect(res.statusCode, res.body).toBe(201);
    const { id, secret } = res.json().data as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const key = secret.slice('whsec_'.length);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(Buffer.from(key, 'base64').toString('base64')).toBe(key);

    for (const path of [WEBHOOKS, `${WEBHOOKS}/${id}`]) {
      const got = await h.get(path, admin);
      expect(got.statusCode).toBe(200);
      expect(got.body).not.toContain('whsec_');
      expect(got.body).not.toContain(key);
      expect(got.body).not.toMatch(/"secret"/);
    }
    const { rows } = await h.db.query<{ secret: string }>('select secret from webhook_endpoints where id = $1', [id]);
    expect(rows[0]!.secret).not.toContain('whsec_');
    expect(rows[0]!.secret).not.toContain(key);
    expect(rows[0]!.secret).not.toContain(Buffer.from(key, 'base64').toString('hex'));

    await h.registerUser();
    await h.deliver();
    expect(verifies(secret, rx.got[0]!)).toBe(true);

    const rotated = await h.post(`${WEBHOOKS}/${id}/rotate-secret`, undefined, admin);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const next = rotated.json().data.secret as string;
    expect(next).toMatch(/^whsec_/);
    expect(Buffer.from(next.slice(6), 'base64')).toHaveLength(32);
    expect(next).not.toBe(secret);
    expect(rotated.json().data.id).toBe(id);
    expect(await auditCount('webhook.rotate_secret', id)).toBe(1);
    const after = await h.db.query<{ secret: string }>('select secret from webhook_endpoints where id = $1', [id]);
    expect(after.rows[0]!.secret).not.toBe(rows[0]!.secret);
    expect(after.rows[0]!.secret).not.toContain('whsec_');
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).body).not.toContain('whsec_');

    await h.registerUser();
    await h.deliver();
    expect(rx.got).toHaveLength(2);
    expect(verifies(next, rx.got[1]!)).toBe(true);
    expect(verifies(secret, rx.got[1]!)).toBe(false);
    // the audit log does not hold it either
    const audit = await h.db.query<{ detail: unknown }>("select detail from audit_log where target_type = 'webhook_endpoint'");
    expect(JSON.stringify(audit.rows)).not.toContain('whsec_');
  });
});

describe('endpoints: changes and validation', () => {
  it('PATCH changes url, events, description and enabled, each with effect; every change is audited', async () => {
    const { id } = await endpoint(['user.created']);
    expect(await auditCount('webhook.create', id)).toBe(1);

    const moved = await h.patch(
      `${WEBHOOKS}/${id}`,
      { url: url.replace('/hook', '/moved'), events: ['plan.created', 'plan.created'] },
      admin,
    );
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().data).toMatchObject({
      id,
      url: url.replace('/hook', '/moved'),
      events: ['plan.created'],
      description: 'test receiver',
    });
    expect(await auditCount('webhook.update', id)).toBe(1);
    await h.registerUser();
    const plan = await h.post(
      '/api/v1/admin/plans',
      { name: 'moved-plan', price: { monthly: { amount: 1, currency: 'USD' } } },
      root.token,
    );
    expect(plan.statusCode).toBe(201);
    await h.deliver();
    expect(typesOf(rx.got)).toEqual(['plan.created']);
    expect(rx.got[0]!.url).toBe('/moved');

    const described = await h.patch(`${WEBHOOKS}/${id}`, { description: 'billing service' }, admin);
    expect(described.json().data).toMatchObject({ description: 'billing service', events: ['plan.created'], enabled: true });
    const cleared = await h.patch(`${WEBHOOKS}/${id}`, { description: null }, admin);
    expect(cleared.json().data.description).toBeNull();
    const off = await h.patch(`${WEBHOOKS}/${id}`, { enabled: false }, admin);
    expect(off.json().data).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin', url: url.replace('/hook', '/moved') });
    const got = (await h.get(`${WEBHOOKS}/${id}`, admin)).json().data;
    expect(got).toMatchObject({ id, enabled: false, description: null, events: ['plan.created'] });
    expect(await auditCount('webhook.update', id)).toBe(4);
    const list = (await h.get(WEBHOOKS, admin)).json().data as { id: string }[];
    expect(list.map((e) => e.id)).toEqual([id]);

    expect((await h.patch(`${WEBHOOKS}/${id}`, {}, admin)).statusCode).toBe(422);
    expect(await auditCount('webhook.update', id)).toBe(4);
  });

  it('an unknown event type or a non-URL: 422 naming the field, nothing created or changed', async () => {
    const unknown = await h.post(WEBHOOKS, { url, events: ['user.created', 'user.exploded'] }, admin);
    expect(unknown.statusCode, unknown.body).toBe(422);
    expect(fieldsOf(unknown).some((f) => f.startsWith('events'))).toBe(true);
    for (const bad of ['not a url', '/relative/path', 'ftp://127.0.0.1/x', 'javascript:alert(1)']) {
      const res = await h.post(WEBHOOKS, { url: bad, events: ['user.created'] }, admin);
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(422);
      expect(fieldsOf(res), bad).toContain('url');
    }
    expect((await h.post(WEBHOOKS, { url, events: [] }, admin)).statusCode).toBe(422);
    expect((await h.post(WEBHOOKS, { url, events: ['webhook.test'] }, admin)).statusCode).toBe(422);
    expect(await countRows(h, 'webhook_endpoints')).toBe(0);

    const { id } = await endpoint(['user.created']);
    const patchUrl = await h.patch(`${WEBHOOKS}/${id}`, { url: 'not a url' }, admin);
    expect(patchUrl.statusCode).toBe(422);
    expect(fieldsOf(patchUrl)).toContain('url');
    const patchEvents = await h.patch(`${WEBHOOKS}/${id}`, { events: ['nope'] }, admin);
    expect(patchEvents.statusCode).toBe(422);
    expect(fieldsOf(patchEvents).some((f) => f.startsWith('events'))).toBe(true);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data).toMatchObject({ url, events: ['user.created'] });
    expect(await auditCount('webhook.update', id)).toBe(0);
  });

  it('DELETE: then 404 everywhere; its deliveries go with it; audited', async () => {
    const { id } = await endpoint(['user.created']);
    await h.registerUser();
    expect(await countRows(h, 'webhook_deliveries', 'endpoint_id = $1', [id])).toBe(1);
    const del = await h.delete(`${WEBHOOKS}/${id}`, admin);
    expect(del.statusCode, del.body).toBe(200);
    expect(await auditCount('webhook.delete', id)).toBe(1);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).statusCode).toBe(404);
    expect((await h.patch(`${WEBHOOKS}/${id}`, { enabled: true }, admin)).statusCode).toBe(404);
    expect((await h.delete(`${WEBHOOKS}/${id}`, admin)).statusCode).toBe(404);
    expect((await h.post(`${WEBHOOKS}/${id}/rotate-secret`, undefined, admin)).statusCode).toBe(404);
    expect((await h.get(`${WEBHOOKS}/${id}/deliveries`, admin)).statusCode).toBe(404);
    expect((await h.post(`${WEBHOOKS}/${id}/test`, undefined, admin)).statusCode).toBe(404);
    expect(await countRows(h, 'webhook_deliveries', 'endpoint_id = $1', [id])).toBe(0);
    expect(await auditCount('webhook.delete', id)).toBe(1);
    await h.deliver();
    expect(rx.got).toHaveLength(0);
  });

  it('an admin without manage_webhooks: 403 on every route, nothing changed', async () => {
    const { id } = await endpoint(['user.created']);
    const other = await adminWith(
      h,
      ADMIN_PERMISSIONS.filter((p) => p !== 'manage_webhooks'),
      { by: root },
    );
    const calls: [string, string, unknown?][] = [
      ['POST', WEBHOOKS, { url, events: ['user.created'] }],
      ['GET', WEBHOOKS],
      ['GET', `${WEBHOOKS}/${id}`],
      ['PATCH', `${WEBHOOKS}/${id}`, { enabled: false }],
      ['DELETE', `${WEBHOOKS}/${id}`],
      ['POST', `${WEBHOOKS}/${id}/rotate-secret`],
      ['GET', `${WEBHOOKS}/${id}/deliveries`],
      ['POST', `${WEBHOOKS}/${id}/test`],
      ['POST', `${WEBHOOKS}/${id}/deliveries/${crypto.randomUUID()}/retry`],
    ];
    for (const [method, path, body] of calls) {
      const res = await h.request(method, path, { token: other.token, ...(body !== undefined ? { body } : {}) });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
    }
    expect(await countRows(h, 'webhook_endpoints')).toBe(1);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data.enabled).toBe(true);
    expect(await countRows(h, 'webhook_events')).toBe(0);
  });
});

describe('the test event', () => {
  it('POST /:id/test sends webhook.test to that endpoint only, though it subscribes to something else; signed', async () => {
    const target = await endpoint(['plan.deleted'], url.replace('/hook', '/target'));
    await endpoint([...WEBHOOK_EVENT_TYPES], url.replace('/hook', '/bystander'));
    const res = await h.post(`${WEBHOOKS}/${target.id}/test`, undefined, admin);
    expect(res.statusCode, res.body).toBe(200);
    const { eventId } = res.json().data;
    expect(await auditCount('webhook.test', target.id)).toBe(1);
    await h.deliver();
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0]!.url).toBe('/target');
    const payload = verified(target.secret, rx.got[0]!);
    expect(payload).toMatchObject({ id: eventId, type: 'webhook.test', data: { endpointId: target.id } });
    expect((await deliveriesOf(target.id)).data[0]).toMatchObject({ eventId, eventType: 'webhook.test', status: 'delivered' });
  });
});

describe('private addresses refused (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  let strict: Harness;
  beforeAll(async () => {
    // another instance on the same database, configured as in production
    strict = await h.sibling({ WEBHOOK_ALLOW_PRIVATE: 'false' });
  });
  afterAll(async () => {
    await strict.app.close();
  });

  it('at creation and change: plain http, loopback, private, link-local and their spellings are 422 naming url; nothing written', async () => {
    expect(strict.config.webhookAllowPrivate).toBe(false);
    const http = await strict.post(WEBHOOKS, { url: 'http://example.com/x', events: ['user.created'] }, admin);
    expect(http.statusCode, http.body).toBe(422);
    expect(fieldsOf(http)).toContain('url');
    expect(http.json().message).toMatch(/https/);
    for (const bad of [
      'https://127.0.0.1/x',
      'https://localhost/x',
      'https://169.254.169.254/latest',
      'https://[::1]/x',
      'https://10.0.0.1/x',
      'https://192.168.1.10/x',
      'https://172.16.5.4/x',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://2130706433/x',
      'https://127.1/x',
      'https://0x7f.0.0.1/x',
      'https://user:pass@127.0.0.1/x',
    ]) {
      const res = await strict.post(WEBHOOKS, { url: bad, events: ['user.created'] }, admin);
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(422);
      expect(fieldsOf(res), bad).toContain('url');
    }
    expect(await countRows(h, 'webhook_endpoints')).toBe(0);
    expect(await countRows(h, 'audit_log', "action like 'webhook.%'")).toBe(0);

    // allowed by the other instance, then pointed somewhere private through the strict one
    const { id } = await endpoint(['user.created']);
    const res = await strict.patch(`${WEBHOOKS}/${id}`, { url: 'https://169.254.169.254/latest' }, admin);
    expect(res.statusCode, res.body).toBe(422);
    expect(fieldsOf(res)).toContain('url');
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data.url).toBe(url);
  });

  it('at delivery: an endpoint on 127.0.0.1 (made where allowed) gets nothing from the strict instance: refused for plain http, and over https for its address', async () => {
    const { id } = await endpoint(['user.created']);
    await h.registerUser();
    const sent = await strict.app.webhooks.deliverDue();
    expect(sent).toBe(1);
    expect(rx.got).toHaveLength(0);
    const [d] = await h.app.webhooks.deliveries(id, null, 10);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    // saved as http while that was allowed: the rules of now refuse it before any connection
    expect(d!.last_error).toMatch(/https/);
    // the same host over https (written behind the service's back): refused for its address
    await h.db.query("update webhook_endpoints set url = replace(url, 'http://', 'https://') where id = $1", [id]);
    h.clock.advance(60_000);
    expect(await strict.app.webhooks.deliverDue()).toBe(1);
    expect(rx.got).toHaveLength(0);
    const [again] = await h.app.webhooks.deliveries(id, null, 10);
    expect(again).toMatchObject({ status: 'pending', attempts: 2, last_status: null });
    expect(again!.last_error).toMatch(/private/);
  });

  it('the connection’s own lookup refuses a name that resolves to a private address (DNS rebinding)', async () => {
    const local = new URL(url.replace('127.0.0.1', 'localhost'));
    const refused = await send(local, {}, '{}', false);
    expect(refused.status).toBeNull();
    expect(refused.error).toMatch(/private address/);
    expect(rx.got).toHaveLength(0);
    // the same call, private addresses allowed, arrives (the receiver is really there)
    const allowed = await send(local, {}, '{}', true);
    expect(allowed.status).toBe(200);
    expect(rx.got).toHaveLength(1);
  });

  it('isPrivateAddress: v4, v6 and v4-mapped private addresses are private; public ones are not', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::FFFF:10.1.2.3',
      '::ffff:169.254.169.254',
      'not an address',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:93.184.216.34']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});

describe('pruning', () => {
  it('a delivered event older than WEBHOOK_RETENTION_DAYS loses its payload; a pending one and a recent one keep theirs', async () => {
    expect(h.config.webhookRetentionDays).toBe(30);
    await endpoint(['user.created']);
    // a second endpoint that never answers: its delivery stays pending
    await endpoint(['user.updated'], `http://127.0.0.1:${await closedPort()}/hook`);
    const user = await h.registerUser();
    expect((await h.put('/api/v1/profile', { name: 'Still Pending' }, user.token)).statusCode).toBe(200);
    await h.deliver();
    h.clock.advance(2 * DAY);
    await h.registerUser();
    await h.deliver();
    const rows = async () =>
      (
        await h.db.query<{ type: string; status: string; has_payload: boolean }>(
          `select e.type, d.status, e.payload is not null as has_payload
             from webhook_events e join webhook_deliveries d on d.event_id = e.id order by e.created_at, e.type`,
        )
      ).rows.map((r) => ({ type: r.type, status: r.status, payload: r.has_payload }));
    expect(await rows()).toEqual([
      { type: 'user.created', status: 'delivered', payload: true },
      { type: 'user.updated', status: 'pending', payload: true },
      { type: 'user.created', status: 'delivered', payload: true },
    ]);
    // 31 days after the first two, 29 after the last
    h.clock.advance(29 * DAY);
    expect(await h.app.webhooks.prune()).toBe(1);
    expect(await rows()).toEqual([
      { type: 'user.created', status: 'delivered', payload: false },
      { type: 'user.updated', status: 'pending', payload: true },
      { type: 'user.created', status: 'delivered', payload: true },
    ]);
    // the delivery log stays
    expect(await countRows(h, 'webhook_deliveries')).toBe(3);
    expect(await h.app.webhooks.prune()).toBe(0);
  });
});

describe('deliveries, in keyset pages', () => {
  it('5 deliveries, limit 2: next_cursor walks them newest first, each once; a garbage cursor is 422', async () => {
    const { id } = await endpoint(['user.created']);
    const users: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      // the middle three at the same instant: the id breaks the tie
      if (i !== 2 && i !== 3) h.clock.advance(1_000);
      users.push(await h.registerUser());
    }
    await h.deliver();
    expect(rx.got).toHaveLength(5);
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await deliveriesOf(id, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(page.meta.limit).toBe(2);
      seen.push(...page.data);
      cursor = page.meta.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((d) => d.id)).size).toBe(5);
    const created = seen.map((d) => new Date(d.createdAt).getTime());
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    // the event ids, newest first, are the registrations in reverse (ties in any order)
    const eventOf = new Map(rx.got.map((g) => [String(g.headers['webhook-id']), (JSON.parse(g.body) as Payload).data.id as string]));
    const order = seen.map((d) => eventOf.get(d.eventId));
    expect(order[0]).toBe(users[4]!.id);
    expect(order[4]).toBe(users[0]!.id);
    expect(new Set(order.slice(1, 4))).toEqual(new Set([users[1]!.id, users[2]!.id, users[3]!.id]));
    // the first page, unpaged, is the same order
    expect((await deliveriesOf(id)).data.map((d) => d.id)).toEqual(seen.map((d) => d.id));

    for (const garbage of [
      'garbage',
      Buffer.from('["not a date","x"]').toString('base64url'),
      Buffer.from('{}').toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', '-'.repeat(36)])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', `${'0'.repeat(35)}-`])).toString('base64url'),
      Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', crypto.randomUUID()])).toString('base64url'),
    ]) {
      const res = await h.get(`${WEBHOOKS}/${id}/deliveries?limit=2&cursor=${garbage}`, admin);
      expect(res.statusCode, `${Buffer.from(garbage, 'base64url').toString()}: ${res.body}`).toBe(422);
      expect(fieldsOf(res)).toContain('cursor');
    }
  });
});
