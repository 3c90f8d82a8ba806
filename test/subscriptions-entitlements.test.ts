import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRows, createPlan, rootSession, subscribed } from './helpers/fixtures.js';
import { Harness, type Response, type TestUser, uniqueEmail } from './helpers/harness.js';
import {
  CANCEL,
  CHILDREN,
  ENTITLEMENTS,
  NOTIFICATIONS,
  SECOND,
  START,
  statuses,
  subscriptionHelpers,
  UNKNOWN_ID,
} from './helpers/subscriptions.js';

/**
 * Entitlements (issue 4: the teamMembers seat limit) and the notifications subscription events
 * write ("Entitlements", "Notifications").
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** The superadmin (bootstrapped once per test, after the reset), logged in; again once the test clock has moved (tokens live an hour on it). */
const root = rootSession({ maxAgeMs: 30 * 60 * SECOND });
const { subscribe, update, allRows, eventCount } = subscriptionHelpers(() => h);

describe('entitlements', () => {
  it('without a subscription: source default, limits.teamMembers = the configured default, usage = children', async () => {
    const parent = await h.registerUser();
    await h.createChild(parent);
    await h.createChild(parent);
    const res = await h.get(ENTITLEMENTS, parent.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe(true);
    expect(res.json().data).toMatchObject({
      accountId: parent.id,
      source: 'default',
      plan: null,
      limits: { teamMembers: h.config.defaultTeamMembers },
      usage: { teamMembers: 2 },
    });
    expect(h.config.defaultTeamMembers).toBe(100);
  });

  it("with a live plan: source plan, limits from the plan; a child sees its parent's", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const plan = await createPlan(h, await root.token(h), {
      features: { teamMembers: 2, posting: { postsPerDay: 20 }, socialAccounts: { total: 10 } },
    });
    await subscribed(h, parent, plan.id);
    const res = await h.get(ENTITLEMENTS, parent.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      accountId: parent.id,
      source: 'plan',
      plan: { id: plan.id, name: plan.name },
      limits: { teamMembers: 2, posting: { postsPerDay: 20 }, socialAccounts: { total: 10 } },
      usage: { teamMembers: 1 },
    });
    const asChild = await h.get(ENTITLEMENTS, child.token);
    expect(asChild.statusCode, asChild.body).toBe(200);
    expect(asChild.json().data).toMatchObject({
      accountId: parent.id,
      source: 'plan',
      limits: { teamMembers: 2 },
      usage: { teamMembers: 1 },
    });
  });

  it('an immediately cancelled subscription no longer counts: back to the default', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    await subscribed(h, parent, plan.id);
    expect((await h.get(ENTITLEMENTS, parent.token)).json().data.source).toBe('plan');
    expect((await h.post(CANCEL, { immediately: true }, parent.token)).statusCode).toBe(200);
    expect((await h.get(ENTITLEMENTS, parent.token)).json().data).toMatchObject({ source: 'default', limits: { teamMembers: 100 } });
  });

  it('teamMembers 2: the third child is 403 PLAN_LIMIT_REACHED', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
    await subscribed(h, parent, plan.id);
    await h.createChild(parent);
    await h.createChild(parent);
    const third = await h.post(
      CHILDREN,
      { name: 'Third', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
      parent.token,
    );
    expect(third.statusCode, third.body).toBe(403);
    expect(third.json()).toMatchObject({ status: false, code: 'PLAN_LIMIT_REACHED' });
    expect(await countRows(h, 'users', 'parent_id = $1', [parent.id])).toBe(2);
    // upgrading lifts the limit
    const bigger = await createPlan(h, await root.token(h), { features: { teamMembers: 3 } });
    expect((await update(parent, { planId: bigger.id })).statusCode).toBe(200);
    const now = await h.post(
      CHILDREN,
      { name: 'Third', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
      parent.token,
    );
    expect(now.statusCode, now.body).toBe(201);
  });

  it('5 concurrent child creations with a limit of 2: exactly 2 succeed, the rest 403 PLAN_LIMIT_REACHED', async () => {
    const parent = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
    await subscribed(h, parent, plan.id);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.post(CHILDREN, { name: `Racer ${i}`, email: uniqueEmail('racer'), password: 'child password 1', permissions: [] }, parent.token),
      ),
    );
    const codes = statuses(results);
    expect(codes, results.map((r) => r.body).join('\n')).toEqual([201, 201, 403, 403, 403]);
    for (const r of results) if (r.statusCode === 403) expect(r.json().code).toBe('PLAN_LIMIT_REACHED');
    expect(await countRows(h, 'users', 'parent_id = $1', [parent.id])).toBe(2);
  });

  it('without a subscription the default allowance applies (DEFAULT_TEAM_MEMBERS=1: one child, then 403)', async () => {
    const s = await h.sibling({ DEFAULT_TEAM_MEMBERS: '1' });
    try {
      const parent = await h.registerUser();
      const first = await s.post(
        CHILDREN,
        { name: 'One', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(first.statusCode, first.body).toBe(201);
      const second = await s.post(
        CHILDREN,
        { name: 'Two', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(second.statusCode, second.body).toBe(403);
      expect(second.json().code).toBe('PLAN_LIMIT_REACHED');
      const ent = await s.get(ENTITLEMENTS, parent.token);
      expect(ent.json().data).toMatchObject({ source: 'default', limits: { teamMembers: 1 }, usage: { teamMembers: 1 } });
      // a plan's allowance replaces the default
      const plan = await createPlan(h, await root.token(h), { features: { teamMembers: 2 } });
      await subscribed(h, parent, plan.id);
      const third = await s.post(
        CHILDREN,
        { name: 'Two', email: uniqueEmail('child'), password: 'child password 1', permissions: [] },
        parent.token,
      );
      expect(third.statusCode, third.body).toBe(201);
    } finally {
      await s.app.close();
    }
  });
});

describe('notifications', () => {
  interface Note {
    id: string;
    message: string;
    date: string;
    read: boolean;
  }

  async function notes(user: TestUser, query = ''): Promise<Response> {
    const res = await h.get(`${NOTIFICATIONS}${query}`, user.token);
    expect(res.statusCode, res.body).toBe(200);
    return res;
  }

  /** subscribe, change plan, cancel: one second apart */
  async function threeEvents(user: TestUser): Promise<void> {
    const a = await createPlan(h, await root.token(h), { displayName: 'Alpha Plan' });
    const b = await createPlan(h, await root.token(h), { displayName: 'Beta Plan' });
    await subscribed(h, user, a.id);
    h.clock.advance(SECOND);
    expect((await update(user, { planId: b.id })).statusCode).toBe(200);
    h.clock.advance(SECOND);
    expect((await h.post(CANCEL, { reason: 'done' }, user.token)).statusCode).toBe(200);
  }

  it('subscribe, change and cancel each notify the user: newest first, HNG envelope, {id, message, date, read}', async () => {
    h.clock.set(new Date(START));
    const user = await h.registerUser();
    const other = await h.registerUser();
    await threeEvents(user);
    const res = await notes(user);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Fetched notifications successfully' });
    const data = body.data as Note[];
    expect(data).toHaveLength(3);
    for (const n of data) {
      expect(typeof n.id).toBe('string');
      expect(typeof n.message).toBe('string');
      expect(n.message.length).toBeGreaterThan(0);
      expect(new Date(n.date).toISOString()).toBe(n.date);
      expect(n.read).toBe(false);
    }
    expect(data.map((n) => n.date)).toEqual([
      new Date(Date.parse(START) + 2 * SECOND).toISOString(),
      new Date(Date.parse(START) + SECOND).toISOString(),
      START,
    ]);
    expect(data[0]!.message).toMatch(/cancel/i);
    expect(data[1]!.message).toMatch(/Beta Plan/);
    expect(data[2]!.message).toMatch(/Alpha Plan/);
    expect(body.meta).toMatchObject({ total: 3 });
    // another user sees none of them
    expect((await notes(other)).json().data).toEqual([]);
  });

  it('paginates with ?page and ?limit, meta.total counting all', async () => {
    const user = await h.registerUser();
    await threeEvents(user);
    const all = (await notes(user)).json().data as Note[];
    const p1 = (await notes(user, '?page=1&limit=2')).json();
    expect(p1.data.map((n: Note) => n.id)).toEqual(all.slice(0, 2).map((n) => n.id));
    expect(p1.meta).toMatchObject({ page: 1, limit: 2, total: 3 });
    const p2 = (await notes(user, '?page=2&limit=2')).json();
    expect(p2.data.map((n: Note) => n.id)).toEqual(all.slice(2).map((n) => n.id));
    expect(p2.meta).toMatchObject({ page: 2, limit: 2, total: 3 });
    const p3 = (await notes(user, '?page=3&limit=2')).json();
    expect(p3.data).toEqual([]);
    expect(p3.meta).toMatchObject({ total: 3, unread: 3 });
    // the counts come with the rows, or on their own past the end, with or without the filter
    expect(p1.meta.unread).toBe(3);
    expect((await notes(user, '?unread=true&page=2&limit=2')).json().meta).toMatchObject({ total: 3, unread: 3 });
    expect((await notes(user, '?unread=true&page=9&limit=2')).json().meta).toMatchObject({ total: 3, unread: 3 });
    const id = all[0]!.id;
    expect((await h.patch(`/api/v1/notifications/${id}/read`, {}, user.token)).statusCode).toBe(200);
    expect((await notes(user, '?page=1&limit=1')).json().meta).toMatchObject({ total: 3, unread: 2 });
    expect((await notes(user, '?unread=true')).json().meta).toMatchObject({ total: 2, unread: 2 });
  });

  it("mark one read (another user's id is 404), unread count, mark all read", async () => {
    const user = await h.registerUser();
    const other = await h.registerUser();
    await threeEvents(user);
    const all = (await notes(user)).json().data as Note[];
    const target = all[1]!;

    const unread0 = await h.get('/api/v1/notifications/unread-count', user.token);
    expect(unread0.statusCode, unread0.body).toBe(200);
    expect(unread0.json().data.unread).toBe(3);

    const foreign = await h.patch(`/api/v1/notifications/${target.id}/read`, undefined, other.token);
    expect(foreign.statusCode, foreign.body).toBe(404);
    expect((await h.patch(`/api/v1/notifications/${UNKNOWN_ID}/read`, undefined, user.token)).statusCode).toBe(404);
    expect((await h.patch('/api/v1/notifications/not-a-uuid/read', undefined, user.token)).statusCode).toBe(404);
    expect(((await notes(user)).json().data as Note[]).every((n) => !n.read)).toBe(true);

    const mark = await h.patch(`/api/v1/notifications/${target.id}/read`, undefined, user.token);
    expect(mark.statusCode, mark.body).toBe(200);
    const after = (await notes(user)).json().data as Note[];
    expect(after.find((n) => n.id === target.id)!.read).toBe(true);
    expect(after.filter((n) => n.read)).toHaveLength(1);
    expect((await h.get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(2);

    const readAll = await h.post('/api/v1/notifications/read-all', undefined, user.token);
    expect(readAll.statusCode, readAll.body).toBe(200);
    expect(((await notes(user)).json().data as Note[]).every((n) => n.read)).toBe(true);
    expect((await h.get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(0);
  });

  it('notification endpoints need a user token', async () => {
    expect((await h.get(NOTIFICATIONS)).statusCode).toBe(401);
    expect((await h.get('/api/v1/notifications/unread-count')).statusCode).toBe(401);
    expect((await h.post('/api/v1/notifications/read-all')).statusCode).toBe(401);
    expect((await h.patch(`/api/v1/notifications/${UNKNOWN_ID}/read`)).statusCode).toBe(401);
    expect((await h.get(NOTIFICATIONS, await root.token(h))).statusCode).toBe(403);
  });

  it('?limit and ?page are validated (422), never 500', async () => {
    const user = await h.registerUser();
    for (const q of ['?limit=0', '?limit=101', '?page=0', '?page=abc']) {
      const res = await h.get(`${NOTIFICATIONS}${q}`, user.token);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(422);
    }
  });

  it('a password change creates a notification', async () => {
    const user = await h.registerUser();
    expect((await notes(user)).json().data).toEqual([]);
    const res = await h.post(
      '/api/v1/auth/change-password',
      { old_password: user.password, new_password: 'another fine password' },
      user.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    const token = res.json().token as string;
    const list = await h.get(NOTIFICATIONS, token);
    expect(list.statusCode, list.body).toBe(200);
    const data = list.json().data as Note[];
    expect(data).toHaveLength(1);
    expect(data[0]!.message).toMatch(/password/i);
  });

  it('writes the notification in the same transaction as the event: when it cannot be written, nothing is subscribed', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h));
    // make every new notification fail to insert
    await h.db.exec('alter table notifications add constraint t_block check (false) not valid');
    try {
      const res = await subscribe(user, { planId: plan.id, billingCycle: 'monthly' });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(await allRows(user.id)).toBe(0);
      expect(await eventCount(user.id, 'subscribed')).toBe(0);
      // the database was emptied before this test: any event at all would be this one's
      expect(await countRows(h, 'subscription_events')).toBe(0);
    } finally {
      await h.db.exec('alter table notifications drop constraint t_block');
    }
  });

  it('a subscribe that fails writes no notification', async () => {
    const user = await h.registerUser();
    const plan = await createPlan(h, await root.token(h), { status: 'inactive' });
    expect((await subscribe(user, { planId: plan.id, billingCycle: 'monthly' })).statusCode).toBe(422);
    expect((await notes(user)).json().data).toEqual([]);
  });
});
