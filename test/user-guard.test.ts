/**
 * The ONE shared security suite every user route runs (the admin one is admin-guard*.test.ts).
 *
 * `h.app.userRoutes` is filled by the route policy as routes with `config: { auth: 'user' }` are
 * registered (aliases included, HEAD not), so it is the list of what is really served. Every test
 * walks all of it (and HEAD for each GET route): there is no list of routes here that could go
 * stale, and a new user route is covered the moment it is registered. Each case collects every
 * route that answers otherwise, so a failure names them all.
 *
 * This file: the registry itself, a valid token getting past every guard, and tokens that were
 * never valid here (missing, malformed, forged, expired, of an admin). Tokens that were valid and
 * stopped being so (password change, deactivation, deletion, a deactivated parent) are in
 * user-guard-tokens.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DOCUMENTED_ROUTES } from '../src/http/aliases.js';
import { keyOf } from './helpers/admin-guard.js';
import { adminWith, bootstrapSuperadmin, relogin } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import { detailsOf, expectWorks, forgeriesOf, guardedRoutes, problemsWith, REFUSED, refusals, sendTo } from './helpers/user-guard.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

describe('the user route registry', () => {
  it('holds the user routes of both documents (canonical paths and documented spellings), each once, each served', () => {
    const registered = h.app.userRoutes.map(keyOf);
    expect(new Set(registered).size, 'a route is registered twice').toBe(registered.length);
    for (const k of [
      // the signed-in user (SocioX and HNG)
      'GET /api/v1/users/me',
      'GET /api/users/details',
      'GET /api/v1/profile',
      'GET /api/profile',
      'PUT /api/profile',
      'DELETE /api/profile',
      'POST /api/v1/auth/change-password',
      'POST /api/users/child-users',
      'POST /api/v1/users/delete',
      'GET /api/users/:id',
      // the user's own subscription
      'GET /api/v1/users/subscription',
      'POST /api/v1/users/subscribe',
      'PUT /api/v1/users/subscription/update',
      'POST /api/v1/users/cancel-subscription',
      'POST /api/subscribe/:plan_id',
      // organisations and notifications (HNG)
      'POST /api/organisation',
      'GET /api/organisation',
      'PATCH /api/organisation/:org_id/users',
      'GET /api/notifications',
      'GET /api/v1/notifications',
      'PATCH /api/v1/notifications/:id/read',
    ]) {
      expect(registered, `${k} is not a registered user route`).toContain(k);
    }
    // what the registry says is served is served
    const notServed = h.app.userRoutes.filter((r) => !h.app.hasRoute({ method: r.method as 'GET', url: r.url })).map(keyOf);
    expect(notServed, 'user routes in the registry that the app does not serve').toEqual([]);
    // HEAD is answered by its GET route (and checked below through it), never listed on its own
    expect(registered.filter((k) => k.startsWith('HEAD '))).toEqual([]);
  });

  it('is disjoint from the admin registry, and no user route lives under an admin path', () => {
    const admin = new Set(h.app.adminRoutes.map(keyOf));
    expect(admin.size).toBeGreaterThan(0);
    expect(h.app.userRoutes.map(keyOf).filter((k) => admin.has(k))).toEqual([]);
    expect(h.app.userRoutes.map(keyOf).filter((k) => /\/admin(\/|$)/.test(k))).toEqual([]);
  });

  it('lists every documented spelling of a user route (an alias carries its canonical route’s guard)', () => {
    const registered = new Set(h.app.userRoutes.map(keyOf));
    const ofUserRoutes = DOCUMENTED_ROUTES.filter((d) => registered.has(`${d.canonicalMethod ?? d.method} ${d.canonical}`));
    // not vacuous: both documents spell user routes
    expect(ofUserRoutes.length).toBeGreaterThan(20);
    const unguarded = ofUserRoutes.map((d) => `${d.method} ${d.documented}`).filter((k) => !registered.has(k));
    expect(unguarded, 'documented spellings of user routes that are not registered as user routes').toEqual([]);
  });
});

/**
 * The routes anyone may call, without a token. A route missing here and from both registries is
 * a route that forgot `config: { auth: ... }`: the test below fails on it, and on an entry here
 * that is no longer served or has become guarded.
 */
const PUBLIC = [
  'GET /healthz',
  'GET /readyz',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/forgot-password',
  'POST /api/auth/forgot-password',
  'POST /api/v1/auth/reset-password',
  'POST /api/auth/reset-password',
  'POST /api/v1/auth/reset-password-link',
  'POST /api/admin/users/reset-password',
  'POST /api/v1/auth/revert-email',
  'POST /api/v1/users/confirm-delete',
  'POST /api/users/confirm-delete',
  'POST /api/v1/admin/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/admin/refresh',
  'GET /.well-known/jwks.json',
  'GET /api/v1/subscription/plans',
  'GET /api/v1/subscription/plans/category/:category',
  'GET /api/v1/subscription',
  'GET /api/subscription',
];

describe('the routes outside the registries', () => {
  it('are exactly the public ones: every operation the OpenAPI document lists is a user route, an admin route or PUBLIC', async () => {
    const res = await h.get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const paths = res.json().paths as Record<string, Record<string, { security?: unknown[] }>>;
    const served = new Map<string, boolean>();
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        served.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, (op.security ?? []).length > 0);
      }
    }
    const user = new Set(h.app.userRoutes.map(keyOf));
    const admin = new Set(h.app.adminRoutes.map(keyOf));
    expect(served.size).toBeGreaterThan(user.size + admin.size);
    const unaccounted = [...served.keys()].filter((k) => !user.has(k) && !admin.has(k) && !PUBLIC.includes(k));
    expect(unaccounted, 'served routes in no registry and not PUBLIC: a guard forgotten?').toEqual([]);
    const stale = PUBLIC.filter((k) => !served.has(k) || user.has(k) || admin.has(k));
    expect(stale, 'PUBLIC entries that are not served, or are guarded').toEqual([]);
    const notInDocument = [...user].filter((k) => !served.has(k));
    expect(notInDocument, 'user routes the OpenAPI document does not list').toEqual([]);
    // the document says a bearer token is needed exactly where a guard runs
    const mismatched = [...served].filter(([k, secured]) => secured !== (user.has(k) || admin.has(k))).map(([k]) => k);
    expect(mismatched, 'operations whose OpenAPI security disagrees with the registries').toEqual([]);
  });

  it('answer a public call without any token (so they are public on purpose, not by accident)', async () => {
    for (const k of ['GET /healthz', 'GET /api/v1/subscription/plans', 'GET /api/subscription']) {
      const [method, url] = k.split(' ') as [string, string];
      const res = await h.request(method, url);
      expect(res.statusCode, `${k} → ${res.body}`).toBe(200);
    }
  });
});

describe('a valid user token', () => {
  it('gets past the guard of every user route (so the refusals below are about the token, not the route)', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of guardedRoutes(h)) {
      // a parent of its own per route: some of these calls delete the account or change the password
      const user = await h.registerUser();
      const res = await sendTo(h, route, user.token);
      checked++;
      const refusedByGuard =
        res.statusCode === 401 || (res.statusCode === 403 && res.body !== '' && REFUSED.adminToken.message.test(res.json().message));
      if (refusedByGuard || res.statusCode >= 500) failures.push(`${keyOf(route)}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(checked).toBe(guardedRoutes(h).length);
    expect(failures, 'user routes that refuse a valid parent token (or fail on it)').toEqual([]);
  });

  it('is refused on every user route when not sent as `Authorization: Bearer <token>` (401)', async () => {
    const user = await h.registerUser();
    await expectWorks(h, user.token, 'the token');
    const failures = await refusals(h, undefined, REFUSED.missing);
    for (const authorization of [
      '',
      'Bearer',
      'Bearer ',
      `Basic ${btoa('a:b')}`,
      `Token ${user.token}`,
      user.token,
      `Bearer ${user.token} x`,
    ]) {
      const label = JSON.stringify(authorization.replace(user.token, '<valid token>'));
      failures.push(
        ...(await refusals(h, undefined, REFUSED.missing, { authorization, secrets: detailsOf(user) })).map((f) => `[${label}] ${f}`),
      );
    }
    expect(failures).toEqual([]);
    // the refusals were about how it was sent
    await expectWorks(h, user.token, 'the token, sent properly');
  });
});

describe('tokens that were never valid here', () => {
  it('401 "Invalid token" on every user route for a malformed, unsigned, tampered or wrongly signed token', async () => {
    const user = await h.registerUser();
    const other = await h.registerUser();
    await expectWorks(h, user.token, 'the token the forgeries copy');
    const forgeries = await forgeriesOf(user.token, other.id);
    expect(Object.keys(forgeries)).toContain('signed with a wrong secret');
    const failures: string[] = [];
    for (const [what, token] of Object.entries(forgeries)) {
      failures.push(
        ...(await refusals(h, token, REFUSED.invalid, { secrets: [...detailsOf(user), ...detailsOf(other)] })).map((f) => `[${what}] ${f}`),
      );
    }
    expect(failures).toEqual([]);
    await expectWorks(h, user.token, 'the real token, afterwards');
  });

  it('401 "Token has expired" on every user route once the token outlives its TTL; a new login works', async () => {
    const user = await h.registerUser();
    await expectWorks(h, user.token, 'the token');
    h.clock.advance((h.config.tokenTtlSeconds + 60) * 1000);
    expect(await refusals(h, user.token, REFUSED.expired, { secrets: detailsOf(user) })).toEqual([]);
    await expectWorks(h, (await relogin(h, user)).token, 'a token from a new login');
  });

  it('403 on every user route for an admin token (a superadmin, and an admin without permissions)', async () => {
    const superadmin = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, [], { by: superadmin });
    const failures: string[] = [];
    for (const [who, admin] of [
      ['superadmin', superadmin],
      ['staff admin', staff],
    ] as const) {
      // valid admin tokens: the 403s are about their kind
      const own = await h.get(`/api/v1/admin/admins/${admin.id}`, admin.token);
      expect(own.statusCode, `${who} on its own admin details → ${own.body}`).toBe(200);
      failures.push(
        ...(await refusals(h, admin.token, REFUSED.adminToken, { secrets: [admin.id, admin.email, admin.password] })).map(
          (f) => `[${who}] ${f}`,
        ),
      );
    }
    expect(failures).toEqual([]);
  });

  it('the envelope check itself rejects a success and a wrong refusal (the suite cannot pass vacuously)', async () => {
    const user = await h.registerUser();
    const ok = await h.get('/api/v1/profile', user.token);
    expect(problemsWith(ok, REFUSED.missing)).not.toEqual([]);
    const missing = await h.get('/api/v1/profile');
    expect(problemsWith(missing, REFUSED.missing)).toEqual([]);
    // the right status for the wrong reason is a failure too
    expect(problemsWith(missing, REFUSED.revoked)).not.toEqual([]);
    expect(problemsWith(missing, REFUSED.adminToken)).not.toEqual([]);
  });
});
