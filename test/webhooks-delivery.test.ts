/**
 * Signed webhooks (issue 12): every event arrives once, signed; nothing for a rollback or an unsubscribed type; two instances deliver once; the test event.
 */
import { Webhook } from 'standardwebhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES } from '../src/modules/webhooks/events.js';
import { twoInstances } from './helpers/caches.js';
import { type Admin, bootstrapSuperadmin, countRows, relogin } from './helpers/fixtures.js';
import { type Harness, type TestUser, uniqueEmail } from './helpers/harness.js';
import { DAY, type Payload, typesOf, verified, WEBHOOKS, webhookWorld } from './helpers/webhooks.js';

const world = webhookWorld();
const { rx, endpoint, deliveriesOf, auditCount } = world;
let h: Harness;
let url: string;
let admin: string;
let root: Admin;
beforeEach(() => {
  ({ h, url, admin, root } = world.current());
});

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
