/**
 * The request guard's accounts in memory (src/modules/users/account-cache.ts) stay exact: every
 * change is seen at once on the instance that made it, and on another instance (another app on the
 * same database, each with its own cache and its own change feed) by the next request; nothing is
 * served from memory while the feed is down.
 */
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { slowFeedApp, twoInstances } from './helpers/caches.js';
import { adminWith, bootstrapSuperadmin } from './helpers/fixtures.js';
import type { TestUser } from './helpers/harness.js';

const instances = twoInstances();
const A = instances.a;
const B = instances.b;

const PROFILE = '/api/v1/profile';

/** A user whose account both instances hold in memory. */
async function warmUser(): Promise<TestUser> {
  const user = await A().registerUser();
  // the registration's own notification is heard first: a read it overlaps keeps nothing (exact-reads)
  await A().settle();
  await B().settle();
  for (const h of [A(), B()]) {
    expect((await h.get(PROFILE, user.token)).statusCode).toBe(200);
  }
  expect(A().app.caches.accounts.size).toBeGreaterThan(0);
  expect(B().app.caches.accounts.size).toBeGreaterThan(0);
  return user;
}

describe('the account cache across two instances', () => {
  it('serves from memory while the feed listens (the row is kept), and both feeds are live', async () => {
    expect(A().app.changes.live).toBe(true);
    expect(B().app.changes.live).toBe(true);
    const user = await warmUser();
    // kept: a second read does not grow it, a new account does
    const size = B().app.caches.accounts.size;
    expect((await B().get(PROFILE, user.token)).statusCode).toBe(200);
    expect(B().app.caches.accounts.size).toBe(size);
  });

  it('a password change on one instance refuses the old token on the other at the next request', async () => {
    const user = await warmUser();
    const changed = await A().post(
      '/api/v1/auth/change-password',
      { old_password: user.password, new_password: 'a brand new password' },
      user.token,
    );
    expect(changed.statusCode).toBe(200);
    await B().settle();
    const old = await B().get(PROFILE, user.token);
    expect(old.statusCode).toBe(401);
    expect(old.json().message).toMatch(/revoked/);
    expect((await B().get(PROFILE, changed.json().token)).statusCode).toBe(200);
  });

  it('deactivation by an admin on one instance refuses the user, and its child, on the other', async () => {
    const user = await warmUser();
    const child = await A().createChild(user);
    expect((await B().get(PROFILE, child.token)).statusCode).toBe(200);
    const root = await bootstrapSuperadmin(A());
    const staff = await adminWith(A(), ['manage_users'], { by: root });
    expect((await A().post(`/api/v1/admin/users/${user.id}/deactivate`, {}, staff.token)).statusCode).toBe(200);
    await B().settle();
    expect((await B().get(PROFILE, user.token)).statusCode).toBe(401);
    const childRes = await B().get(PROFILE, child.token);
    expect(childRes.statusCode).toBe(401);
    expect(childRes.json().message).toMatch(/parent/);
  });

  it('deletion on one instance refuses the token on the other', async () => {
    const user = await warmUser();
    const res = await A().request('DELETE', PROFILE, { token: user.token, body: { password: user.password } });
    expect(res.statusCode).toBe(200);
    await B().settle();
    const after = await B().get(PROFILE, user.token);
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toMatch(/no longer exists/);
  });

  it('a profile change on one instance is what the other serves next', async () => {
    const user = await warmUser();
    expect((await A().put(PROFILE, { name: 'Renamed Person' }, user.token)).statusCode).toBe(200);
    await B().settle();
    expect((await B().get(PROFILE, user.token)).json().profile.name).toBe('Renamed Person');
    // and on the instance that made it, with no wait at all
    expect((await A().get(PROFILE, user.token)).json().profile.name).toBe('Renamed Person');
  });

  it('a change written with SQL outside the service is heard too (the trigger announces it)', async () => {
    const user = await warmUser();
    await A().db.query("update users set status = 'deactivated' where id = $1", [user.id]);
    await A().settle();
    await B().settle();
    expect((await A().get(PROFILE, user.token)).statusCode).toBe(401);
    expect((await B().get(PROFILE, user.token)).statusCode).toBe(401);
  });

  it('while the feed is down nothing is served from memory: a change it cannot hear is still seen', async () => {
    const user = await warmUser();
    await B().app.changes.stop();
    try {
      expect(B().app.changes.live).toBe(false);
      expect(B().app.caches.accounts.size).toBe(0);
      await A().db.query("update users set status = 'deactivated' where id = $1", [user.id]);
      expect((await B().get(PROFILE, user.token)).statusCode).toBe(401);
      expect(B().app.caches.accounts.size).toBe(0);
    } finally {
      await B().app.changes.start();
    }
    expect(B().app.changes.live).toBe(true);
  });
});

describe('with a slow change feed (every notification heard 150 ms late)', () => {
  const slowApp = () => slowFeedApp(A());
  const get = (app: App, token: string) => app.inject({ method: 'GET', url: PROFILE, headers: { authorization: `Bearer ${token}` } });

  it('the instance that made a change sees it at once, and a revocation waits until the other instance has heard', async () => {
    const [one, two] = [await slowApp(), await slowApp()];
    try {
      const user = await A().registerUser();
      for (const app of [one, two]) expect((await get(app, user.token)).statusCode).toBe(200);
      const started = performance.now();
      const changed = await one.inject({
        method: 'POST',
        url: '/api/v1/auth/change-password',
        headers: { authorization: `Bearer ${user.token}` },
        payload: { old_password: user.password, new_password: 'a brand new password' },
      });
      expect(changed.statusCode).toBe(200);
      // the writer answered only once its own (slow) feed heard the change: the 150 ms of the delay
      // are a lower bound of its answer, whatever the machine's speed
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      // and refuses the old token at once: it dropped the row on commit
      expect((await get(one, user.token)).statusCode).toBe(401);
      // the other, once its feed has what was committed before (its own marker comes back after it)
      await two.changes.sync();
      expect((await get(two, user.token)).statusCode).toBe(401);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a profile change is served fresh by the instance that made it, with no wait', async () => {
    const one = await slowApp();
    try {
      const user = await A().registerUser();
      expect((await get(one, user.token)).statusCode).toBe(200);
      const put = await one.inject({
        method: 'PUT',
        url: PROFILE,
        headers: { authorization: `Bearer ${user.token}` },
        payload: { name: 'Fresh Name' },
      });
      expect(put.statusCode).toBe(200);
      expect((await get(one, user.token)).json().profile.name).toBe('Fresh Name');
    } finally {
      await one.close();
    }
  });
});
