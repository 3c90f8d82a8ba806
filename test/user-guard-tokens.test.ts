/**
 * The user security suite's revocation checks: a user token that worked (200 on the profile, the
 * positive control) is refused on EVERY registered user route (`h.app.userRoutes`, HEAD included
 * for GET routes) the moment its password is changed, its account is deactivated or deleted, or
 * the parent of a child account is deactivated. Each case collects every route that answers
 * otherwise, so a failure names them all. The registry checks, the valid-token control and the
 * never-valid tokens are in user-guard.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Admin, bootstrapSuperadmin, decodeJwt } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import { detailsOf, expectWorks, PROFILE, REFUSED, refusals } from './helpers/user-guard.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function adminPost(admin: Admin, url: string): Promise<void> {
  const res = await h.post(url, undefined, admin.token);
  expect(res.statusCode, `${url} → ${res.body}`).toBe(200);
}

async function statusOf(id: string): Promise<{ status: string; token_version: number } | undefined> {
  const { rows } = await h.db.query<{ status: string; token_version: number }>('select status, token_version from users where id = $1', [
    id,
  ]);
  return rows[0];
}

describe('a token whose token_version is stale', () => {
  it('401 "revoked" on every user route for the token held before a password change; the new token works', async () => {
    const user = await h.registerUser();
    await expectWorks(h, user.token, 'the old token');
    const change = await h.post(
      '/api/v1/auth/change-password',
      { old_password: user.password, new_password: 'a brand new password 2' },
      user.token,
    );
    expect(change.statusCode, change.body).toBe(200);
    const fresh = change.json().token as string;
    expect(fresh).not.toBe(user.token);

    expect(await refusals(h, user.token, REFUSED.revoked, { secrets: [...detailsOf(user), 'a brand new password 2', fresh] })).toEqual([]);
    // the refusals were about the old token: the account is active and its new token works
    await expectWorks(h, fresh, 'the token change-password returned');
  });

  it('401 "revoked" on every user route for a token the service signed with another token_version (nothing else wrong with it)', async () => {
    const user = await h.registerUser();
    await expectWorks(h, user.token, 'the real token');
    const claims = decodeJwt(user.token) as { sub: string; ver: number; role: string; perms: string[] };
    expect((await statusOf(user.id))?.token_version).toBe(claims.ver);
    const failures: string[] = [];
    for (const ver of [claims.ver + 1, claims.ver - 1]) {
      const { token: stale } = await h.app.tokens.sign({ sub: user.id, typ: 'user', ver, role: claims.role, perms: claims.perms });
      failures.push(...(await refusals(h, stale, REFUSED.revoked, { secrets: detailsOf(user) })).map((f) => `[ver ${ver}] ${f}`));
    }
    expect(failures).toEqual([]);
    await expectWorks(h, user.token, 'the real token, afterwards');
  });
});

describe('a deactivated account', () => {
  it('401 on every user route for the token of a user an admin deactivated', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const user = await h.registerUser();
    await expectWorks(h, user.token, "the user's token");
    await adminPost(superadmin, `/api/v1/admin/users/${user.id}/deactivate`);
    expect((await statusOf(user.id))?.status).toBe('deactivated');
    // deactivation also bumps token_version, so the first check to refuse it says "revoked"
    const refused = { ...REFUSED.deactivated, message: /revoked|deactivated/i };
    expect(await refusals(h, user.token, refused, { secrets: detailsOf(user) })).toEqual([]);
  });

  it('401 "deactivated" on every user route when only the status changed (token_version untouched): the status check alone refuses it', async () => {
    const user = await h.registerUser();
    await expectWorks(h, user.token, "the user's token");
    const before = await statusOf(user.id);
    await h.db.query(`update users set status = 'deactivated' where id = $1`, [user.id]);
    await h.settle();
    expect(await statusOf(user.id)).toEqual({ status: 'deactivated', token_version: before!.token_version });

    expect(await refusals(h, user.token, REFUSED.deactivated, { secrets: detailsOf(user) })).toEqual([]);
    // the status was the only reason: set back, the same token works
    await h.db.query(`update users set status = 'active' where id = $1`, [user.id]);
    await h.settle();
    await expectWorks(h, user.token, 'the same token once active again');
  });

  it("401 on every user route for a child's token while its parent is deactivated; reactivating the parent restores it", async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    await expectWorks(h, child.token, "the child's token");
    const childBefore = await statusOf(child.id);

    await adminPost(superadmin, `/api/v1/admin/users/${parent.id}/deactivate`);
    // only the parent changed: the child's own row is as it was
    expect(await statusOf(child.id)).toEqual(childBefore);
    expect(childBefore?.status).toBe('active');

    expect(await refusals(h, child.token, REFUSED.parentDeactivated, { secrets: [...detailsOf(child), ...detailsOf(parent)] })).toEqual([]);
    // the parent was the only reason
    await adminPost(superadmin, `/api/v1/admin/users/${parent.id}/reactivate`);
    await expectWorks(h, child.token, "the child's token once the parent is active again");
  });
});

describe('a deleted account', () => {
  it('401 on every user route for the token of a user who deleted itself, one an admin deleted, and that one’s child', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const selfDeleted = await h.registerUser();
    const adminDeleted = await h.registerUser();
    const child = await h.createChild(adminDeleted);
    for (const [who, u] of [
      ['self-deleted', selfDeleted],
      ['admin-deleted', adminDeleted],
      ['child', child],
    ] as const) {
      await expectWorks(h, u.token, `the ${who} user's token`);
    }

    // a fresh login is recent enough to delete without the password
    const own = await h.delete(PROFILE, selfDeleted.token);
    expect(own.statusCode, own.body).toBe(200);
    const byAdmin = await h.delete(`/api/v1/admin/users/${adminDeleted.id}`, superadmin.token);
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    for (const u of [selfDeleted, adminDeleted, child]) expect(await statusOf(u.id), `${u.email} is gone`).toBeUndefined();

    const failures: string[] = [];
    for (const [who, u] of [
      ['self-deleted', selfDeleted],
      ['admin-deleted', adminDeleted],
      ['child of the admin-deleted', child],
    ] as const) {
      failures.push(...(await refusals(h, u.token, REFUSED.gone, { secrets: detailsOf(u) })).map((f) => `[${who}] ${f}`));
    }
    expect(failures).toEqual([]);
  });
});
