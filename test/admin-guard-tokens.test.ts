import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS } from '../src/modules/admins/permissions.js';
import { ADMIN_LOGIN, adminGuardHelpers, expectStatus, fillWithRandomIds } from './helpers/admin-guard.js';
import { adminLogin, adminWith, bootstrapSuperadmin } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';

/**
 * The admin security suite's token checks: every registered admin route (read from
 * `h.app.adminRoutes`, so nothing slips past) refuses missing, malformed, forged, unsigned and
 * user tokens; admin tokens do not open user routes; and an admin's token stops working once its
 * permissions change, it is deleted or it expires. The per-route fixtures are in admin-guard.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { forgedAdminToken, unsignedAdminToken, send, userStatus } = adminGuardHelpers(() => h);

describe('every registered admin route refuses requests without a valid admin token', () => {
  it('401 without a token, with a malformed, forged or unsigned token; 403 with a user token (HEAD included for GET routes)', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const user = await h.registerUser();
    const forged = await forgedAdminToken(superadmin.id);
    const unsigned = unsignedAdminToken(superadmin.id);
    const routes = h.app.adminRoutes.flatMap((r) => (r.method === 'GET' ? [r, { ...r, method: 'HEAD' }] : [r]));
    for (const r of routes) {
      const url = fillWithRandomIds(r.url);
      const label = `${r.method} ${r.url}`;
      if (r.method === 'HEAD') {
        // no body to read: the status is what counts
        for (const token of [undefined, 'abc.def.ghi', forged, unsigned]) {
          expect((await send(r.method, url, undefined, token)).statusCode, `${label} with ${token ?? 'no token'}`).toBe(401);
        }
        expect((await send(r.method, url, undefined, user.token)).statusCode, `${label} with a user token`).toBe(403);
        continue;
      }
      expectStatus(await send(r.method, url, {}), 401, `${label} without a token`, 'UNAUTHENTICATED');
      expectStatus(await send(r.method, url, {}, 'abc.def.ghi'), 401, `${label} with a malformed token`, 'UNAUTHENTICATED');
      expectStatus(await send(r.method, url, {}, forged), 401, `${label} with a forged token`, 'UNAUTHENTICATED');
      expectStatus(await send(r.method, url, {}, unsigned), 401, `${label} with an unsigned token`, 'UNAUTHENTICATED');
      expectStatus(await send(r.method, url, {}, user.token), 403, `${label} with a user token`, 'FORBIDDEN');
    }
    // the superadmin's real token still works: the refusals above were about the tokens
    expect((await h.get('/api/v1/admin/admins', superadmin.token)).statusCode).toBe(200);
  });

  it('HEAD on the documented GET deactivate does not deactivate anyone without a token', async () => {
    const user = await h.registerUser();
    const res = await h.request('HEAD', `/api/admin/users/${user.id}/deactivate`);
    expect(res.statusCode).toBe(401);
    expect(await userStatus(user.id)).toBe('active');
  });
});

describe('token kinds and revocation', () => {
  it('refuses an admin token on user endpoints with 403', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const admin = await adminWith(h, ADMIN_PERMISSIONS, { by: superadmin });
    for (const token of [superadmin.token, admin.token]) {
      expectStatus(await h.get('/api/users/details', token), 403, 'GET /api/users/details with an admin token', 'FORBIDDEN');
      expectStatus(await h.get('/api/v1/users/me', token), 403, 'GET /api/v1/users/me with an admin token', 'FORBIDDEN');
    }
  });

  it("refuses an admin's old token (401) on the very next request after its permissions change, even where it would still be allowed", async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const admin = await adminWith(h, ['view_user_details'], { by: superadmin });
    expect((await h.get('/api/v1/admin/users', admin.token)).statusCode).toBe(200);

    const change = await h.put(
      `/api/v1/admin/update-admin-permissions/${admin.id}`,
      { permissions: ['view_user_details', 'manage_users'] },
      superadmin.token,
    );
    expect(change.statusCode, change.body).toBe(200);

    expectStatus(await h.get('/api/v1/admin/users', admin.token), 401, 'old token after a permission change', 'UNAUTHENTICATED');
    expectStatus(await h.get(`/api/v1/admin/admins/${admin.id}`, admin.token), 401, 'old token on an any-admin route', 'UNAUTHENTICATED');
    // a new login gets a working token
    const fresh = await adminLogin(h, admin.email, admin.password);
    expect((await h.get('/api/v1/admin/users', fresh)).statusCode).toBe(200);
  });

  it("refuses a deleted admin's token with 401", async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const admin = await adminWith(h, ADMIN_PERMISSIONS, { by: superadmin });
    expect((await h.get('/api/v1/admin/users', admin.token)).statusCode).toBe(200);

    expect((await h.delete(`/api/v1/admin/delete-admin/${admin.id}`, superadmin.token)).statusCode).toBe(200);

    expectStatus(await h.get('/api/v1/admin/users', admin.token), 401, 'deleted admin on a permission route', 'UNAUTHENTICATED');
    expectStatus(
      await h.get(`/api/v1/admin/admins/${admin.id}`, admin.token),
      401,
      'deleted admin on an any-admin route',
      'UNAUTHENTICATED',
    );
    expectStatus(await h.post(ADMIN_LOGIN, { email: admin.email, password: admin.password }), 401, 'deleted admin logging in');
  });

  it('refuses an expired admin token with 401', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    expect((await h.get('/api/v1/admin/admins', superadmin.token)).statusCode).toBe(200);
    h.clock.advance((h.config.tokenTtlSeconds + 60) * 1000);
    expectStatus(await h.get('/api/v1/admin/admins', superadmin.token), 401, 'expired admin token', 'UNAUTHENTICATED');
  });
});
