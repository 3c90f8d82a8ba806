/**
 * The other reads kept in memory: a parent's child users (GET /api/users/details) and a user's
 * notification pages and unread count. Each change is seen at once on the instance that made it
 * (even with a feed that hears 150 ms late) and on another instance at its next request.
 */
import { describe, expect, it } from 'vitest';
import { call, slowFeedApp, twoInstances } from './helpers/caches.js';
import { adminWith, bootstrapSuperadmin, createPlan, rootSession } from './helpers/fixtures.js';
import type { TestUser } from './helpers/harness.js';

const instances = twoInstances();
const A = instances.a;
const B = instances.b;
const root = rootSession();

const DETAILS = '/api/users/details';
const NOTES = '/api/notifications';
const childNames = (res: { json(): { data: { children: { name: string }[] } } }) =>
  res
    .json()
    .data.children.map((c) => c.name)
    .sort();

async function warm(user: TestUser, url: string) {
  for (const h of [A(), B()]) expect((await h.get(url, user.token)).statusCode).toBe(200);
}

describe("a parent's child users across two instances", () => {
  it('a new child, a renamed child and a deleted child show on the other instance at its next request', async () => {
    const parent = await A().registerUser();
    const first = await A().createChild(parent, { name: 'First Child' });
    await warm(parent, DETAILS);
    expect(childNames(await B().get(DETAILS, parent.token))).toEqual(['First Child']);

    await A().createChild(parent, { name: 'Second Child' });
    await B().settle();
    expect(childNames(await B().get(DETAILS, parent.token))).toEqual(['First Child', 'Second Child']);

    expect((await A().put('/api/v1/profile', { name: 'Renamed Child' }, first.token)).statusCode).toBe(200);
    await B().settle();
    expect(childNames(await B().get(DETAILS, parent.token))).toEqual(['Renamed Child', 'Second Child']);

    const res = await A().request('DELETE', '/api/v1/profile', { token: first.token, body: { password: first.password } });
    expect(res.statusCode).toBe(200);
    await B().settle();
    expect(childNames(await B().get(DETAILS, parent.token))).toEqual(['Second Child']);
  });

  it("deactivating a child shows in the parent's list on the other instance", async () => {
    const parent = await A().registerUser();
    const child = await A().createChild(parent, { name: 'Only Child' });
    await warm(parent, DETAILS);
    const rootAdmin = await bootstrapSuperadmin(A());
    const staff = await adminWith(A(), ['manage_users'], { by: rootAdmin });
    expect((await A().post(`/api/v1/admin/users/${child.id}/deactivate`, {}, staff.token)).statusCode).toBe(200);
    await B().settle();
    expect((await B().get(DETAILS, parent.token)).json().data.children[0].status).toBe('deactivated');
  });
});

describe('notifications across two instances', () => {
  it('a notification written on one instance, and marking it read, show on the other at its next request', async () => {
    const user = await A().registerUser();
    await warm(user, NOTES);
    expect((await B().get(NOTES, user.token)).json().meta).toMatchObject({ total: 0, unread: 0 });
    const plan = await createPlan(A(), await root.token(A()));
    expect((await A().post('/api/v1/users/subscribe', { planId: plan.id }, user.token)).statusCode).toBe(200);
    await B().settle();
    const page = (await B().get(NOTES, user.token)).json();
    expect(page.meta).toMatchObject({ total: 1, unread: 1 });
    expect((await B().get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(1);
    expect((await A().patch(`/api/v1/notifications/${page.data[0].id}/read`, {}, user.token)).statusCode).toBe(200);
    await B().settle();
    expect((await B().get(NOTES, user.token)).json().meta).toMatchObject({ total: 1, unread: 0 });
    expect((await B().get('/api/v1/notifications/unread-count', user.token)).json().data.unread).toBe(0);
  });

  it('the renewal pass notifies a whole batch: every instance drops those pages', async () => {
    const user = await A().registerUser();
    const plan = await createPlan(A(), await root.token(A()));
    expect((await A().post('/api/v1/users/subscribe', { planId: plan.id }, user.token)).statusCode).toBe(200);
    await warm(user, NOTES);
    expect((await B().get(NOTES, user.token)).json().meta.total).toBe(1);
    A().clock.advance(40 * 86_400_000);
    expect(await A().app.services.subscriptions.runDue()).toMatchObject({ renewed: 1 });
    await B().settle();
    // the clock moved past the token's life: a new one (a login changes no notification)
    const token = (await A().post('/api/v1/auth/login', { email: user.email, password: user.password })).json().token as string;
    for (const h of [A(), B()]) expect((await h.get(NOTES, token)).json().meta).toMatchObject({ total: 2, unread: 2 });
  });
});

describe('with a slow change feed', () => {
  it('the instance that made the change serves it at once: a new child, a notification read', async () => {
    const app = await slowFeedApp(A());
    try {
      const parent = await A().registerUser();
      expect((await call(app, 'GET', DETAILS, parent.token)).json().data.children).toEqual([]);
      const created = await call(app, 'POST', '/api/users/child-users', parent.token, {
        name: 'Quick Child',
        email: 'quick.child@example.com',
        password: 'child password 1',
        permissions: [],
      });
      expect(created.statusCode, created.body).toBe(201);
      expect((await call(app, 'GET', DETAILS, parent.token)).json().data.children.map((c: { name: string }) => c.name)).toEqual([
        'Quick Child',
      ]);

      const plan = await createPlan(A(), await root.token(A()));
      expect((await call(app, 'GET', NOTES, parent.token)).json().meta.unread).toBe(0);
      expect((await call(app, 'POST', '/api/v1/users/subscribe', parent.token, { planId: plan.id })).statusCode).toBe(200);
      const page = (await call(app, 'GET', NOTES, parent.token)).json();
      expect(page.meta.unread).toBe(1);
      expect((await call(app, 'PATCH', `/api/v1/notifications/${page.data[0].id}/read`, parent.token, {})).statusCode).toBe(200);
      expect((await call(app, 'GET', NOTES, parent.token)).json().meta.unread).toBe(0);
    } finally {
      await app.close();
    }
  });
});
