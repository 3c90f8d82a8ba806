/**
 * Helpers several test files share: admins (the first superadmin, logins, admins with given
 * permissions), plans, subscriptions, fresh user tokens, JWT claims and row counts. Each takes the
 * file's Harness first; none keeps state a file could see (the files of a worker share this module:
 * vitest.config.ts `isolate: false`).
 */
import { beforeEach, expect } from 'vitest';
import { type Harness, type Response, type TestUser, uniqueEmail } from './harness.js';

// ---------------------------------------------------------------------------------------------
// admins

/** The fixed superadmin some files bootstrap (once per test, after the reset) and log in as. */
export const SUPERADMIN = { email: 'root@example.com', password: 'superadmin password 1' };

export interface Admin {
  id: string;
  /** as stored (lowercased) */
  email: string;
  password: string;
  token: string;
  /** what it was given (a superadmin: none, it holds every permission by role) */
  permissions: string[];
}

/** Logs an admin in at POST /api/v1/admin/login; the token, or an error with the answer. */
export async function adminLogin(h: Harness, email: string, password: string): Promise<string> {
  const res = await h.post('/api/v1/admin/login', { email, password });
  if (res.statusCode !== 200) throw new Error(`admin login failed: ${res.statusCode} ${res.body}`);
  return res.json().token as string;
}

/** The first superadmin (there is no HTTP way to make one), logged in; fails when one exists already. */
export async function bootstrapSuperadmin(h: Harness, email = uniqueEmail('root'), password = 'root password 1'): Promise<Admin> {
  const created = await h.app.services.admins.bootstrapSuperadmin(email, password);
  if (!created) throw new Error('bootstrapSuperadmin returned null on an empty database');
  return { id: created.id, email: created.email, password, token: await adminLogin(h, email, password), permissions: [] };
}

/** A token for SUPERADMIN: bootstrapped when there is no superadmin yet (else left as it is), then logged in. */
export async function rootToken(h: Harness): Promise<string> {
  await h.app.services.admins.bootstrapSuperadmin(SUPERADMIN.email, SUPERADMIN.password);
  return adminLogin(h, SUPERADMIN.email, SUPERADMIN.password);
}

/**
 * SUPERADMIN's token, logged in on first use in a test and then reused. It is forgotten before
 * each test (the database is emptied between tests), by a `beforeEach` this registers: call it at
 * the top level of a test file. With `maxAgeMs` it logs in again once the test clock has moved
 * that far past the last login (or back before it), since tokens live an hour on the test clock.
 */
export function rootSession(options: { maxAgeMs?: number } = {}): { token(h: Harness): Promise<string> } {
  let token: string | null = null;
  let at = 0;
  beforeEach(() => {
    token = null;
  });
  return {
    async token(h: Harness): Promise<string> {
      const now = h.clock.now().getTime();
      const fresh = options.maxAgeMs === undefined || (now >= at && now - at < options.maxAgeMs);
      if (token && fresh) return token;
      token = await rootToken(h);
      at = now;
      return token;
    },
  };
}

/**
 * A plain admin holding exactly `permissions`, created through POST /api/v1/admin/create-admin
 * and logged in. `by`: the creating superadmin (or its token); by default SUPERADMIN, logged in afresh.
 */
export async function adminWith(
  h: Harness,
  permissions: readonly string[],
  options: { by?: Admin | string; email?: string } = {},
): Promise<Admin> {
  const by = options.by ?? (await rootToken(h));
  const email = options.email ?? uniqueEmail('staff');
  const password = 'staff password 1';
  const res = await h.post(
    '/api/v1/admin/create-admin',
    { email, password, name: 'Staff Member', permissions },
    typeof by === 'string' ? by : by.token,
  );
  if (res.statusCode !== 201) throw new Error(`create-admin failed: ${res.statusCode} ${res.body}`);
  return {
    id: res.json().data.id as string,
    email: email.toLowerCase(),
    password,
    token: await adminLogin(h, email, password),
    permissions: [...permissions],
  };
}

// ---------------------------------------------------------------------------------------------
// plans and subscriptions

/** A plan as the admin API answers it (the fields tests read most, and the rest). */
export interface Plan {
  id: string;
  name: string;
  displayName: string;
  status: string;
  [field: string]: any;
}

let planCounter = 0;

/**
 * A plan created at the documented admin route (POST /api/admin/subscription/plans) with `token`;
 * the plan as answered. Unless overridden: named `plan-N`, 10 USD a month, 100 a year, 2 team members.
 */
export async function createPlan(h: Harness, token: string, overrides: Record<string, unknown> = {}): Promise<Plan> {
  const body = {
    name: `plan-${++planCounter}`,
    price: { monthly: { amount: 10, currency: 'USD' }, yearly: { amount: 100, currency: 'USD' } },
    features: { teamMembers: 2 },
    ...overrides,
  };
  const res = await h.post('/api/admin/subscription/plans', body, token);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as Plan;
}

/** Subscribes `user` to a plan at POST /api/v1/users/subscribe; the subscription as answered. */
export async function subscribed(h: Harness, user: TestUser, planId: string, billingCycle = 'monthly'): Promise<any> {
  const res = await h.post('/api/v1/users/subscribe', { planId, billingCycle }, user.token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

// ---------------------------------------------------------------------------------------------
// users, tokens, responses, rows

/** POST /api/v1/auth/login, as answered. */
export function userLogin(h: Harness, email: string, password: string): Promise<Response> {
  return h.post('/api/v1/auth/login', { email, password });
}

/** `user` with a new token (access tokens live an hour of the test clock, which tests move). */
export async function relogin(h: Harness, user: TestUser): Promise<TestUser> {
  const res = await userLogin(h, user.email, user.password);
  expect(res.statusCode, res.body).toBe(200);
  return { ...user, token: res.json().token as string };
}

/** The claims of a JWT, read without verifying it (what another SocioX service would see). */
export function decodeJwt(token: string): Record<string, unknown> {
  const parts = token.split('.');
  expect(parts, `not a JWT: ${token}`).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The fields a validation error names. */
export function fieldsOf(res: { json(): { errors?: { field: string }[] } }): string[] {
  return (res.json().errors ?? []).map((e) => e.field);
}

/** `select count(*) from ${from} where ${where}`: `from` may be a join. */
export async function countRows(h: Harness, from: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await h.db.query<{ n: number }>(`select count(*)::int as n from ${from} where ${where}`, params);
  return Number(rows[0]?.n ?? 0);
}
