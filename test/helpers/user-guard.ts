/**
 * What the user-guard*.test.ts files share: the refusal each kind of bad token must get, one pass
 * over every registered user route that collects every route answering otherwise (so a failure
 * lists them all), tokens that must be refused, and the positive control.
 */
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { fillWithRandomIds, keyOf } from './admin-guard.js';
import { decodeJwt } from './fixtures.js';
import { type Harness, type Response, TEST_ENV, type TestUser } from './harness.js';

/** The positive control: a simple GET any signed-in user may call (canonical; `/api/profile` is its alias). */
export const PROFILE = '/api/v1/profile';

export interface Refusal {
  status: 401 | 403;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  /** what the message must say, so a refusal for the wrong reason is seen too */
  message: RegExp;
}

const unauthenticated = (message: RegExp): Refusal => ({ status: 401, code: 'UNAUTHENTICATED', message });

/** The guard's answer for each way a token can be wrong (src/modules/auth/access.ts). */
export const REFUSED = {
  missing: unauthenticated(/authentication required/i),
  invalid: unauthenticated(/^invalid token$/i),
  expired: unauthenticated(/expired/i),
  adminToken: { status: 403, code: 'FORBIDDEN', message: /^This endpoint needs a user token, not an admin token$/ },
  gone: unauthenticated(/no longer exists/i),
  revoked: unauthenticated(/revoked/i),
  deactivated: unauthenticated(/^your account has been deactivated$/i),
  parentDeactivated: unauthenticated(/parent account .*deactivated/i),
} as const satisfies Record<string, Refusal>;

/** What a refusal must never carry: how the check works inside, or data of the account. */
const LEAKS: [string, RegExp][] = [
  ['a stack trace', /\bat [\w.<>]+ \(|\.[cm]?[jt]s:\d+|node_modules/],
  ['a library error', /\bjose\b|\bJWS|\bJWT[A-Z]|ERR_[A-Z_]{3,}|signature verification|HMAC|HS256/i],
  ['SQL or a column', /\b(select|insert into|where|token_version|password_hash|parent_status|parent_id|pglite|postgres)\b/i],
];

/** The keys an error envelope may have. */
const ENVELOPE_KEYS = new Set(['status', 'message', 'code', 'errors']);

/** Every registered user route, and HEAD for each GET one (answered by the same route, so guarded too). */
export function guardedRoutes(h: Harness): { method: string; url: string }[] {
  const routes = h.app.userRoutes;
  expect(routes.length, 'the user route registry is empty').toBeGreaterThan(0);
  return routes.flatMap((r) => (r.method === 'GET' ? [r, { ...r, method: 'HEAD' }] : [r]));
}

/** A request a route's guard answers before the body or the path is read: random ids, a dummy JSON body. */
export function sendTo(h: Harness, route: { method: string; url: string }, token?: string, authorization?: string): Promise<Response> {
  const url = fillWithRandomIds(route.url);
  const noBody = route.method === 'GET' || route.method === 'HEAD';
  return h.request(route.method, url, {
    token,
    ...(authorization === undefined ? {} : { headers: { authorization } }),
    ...(noBody ? {} : { body: {} }),
  });
}

/** Why `res` is not the refusal `expected` (empty when it is); `secrets` must not appear in it. */
export function problemsWith(res: Response, expected: Refusal, secrets: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (res.statusCode !== expected.status) problems.push(`status ${res.statusCode}, expected ${expected.status}`);
  if (res.statusCode >= 500) problems.push('a server error');
  // HEAD: no body to read, the status is what counts
  if (res.body === '') return problems;
  let body: any;
  try {
    body = res.json();
  } catch {
    return [...problems, `not JSON: ${res.body.slice(0, 200)}`];
  }
  if (body === null || typeof body !== 'object') return [...problems, `not an envelope: ${res.body.slice(0, 200)}`];
  if (body.status !== false) problems.push(`status: ${JSON.stringify(body.status)}, expected false`);
  if (body.code !== expected.code) problems.push(`code ${JSON.stringify(body.code)}, expected ${expected.code}`);
  const extra = Object.keys(body).filter((k) => !ENVELOPE_KEYS.has(k));
  if (extra.length) problems.push(`unexpected keys ${extra.join(', ')}`);
  if (typeof body.message !== 'string' || body.message === '') {
    problems.push(`message ${JSON.stringify(body.message)}`);
  } else if (!expected.message.test(body.message)) {
    problems.push(`message "${body.message}" does not match ${expected.message}`);
  }
  for (const [what, pattern] of LEAKS) if (pattern.test(res.body)) problems.push(`leaks ${what}: ${res.body.slice(0, 300)}`);
  for (const secret of [TEST_ENV.JWT_SECRET, ...secrets]) {
    if (secret && res.body.includes(secret)) problems.push(`echoes a secret or account detail (${secret.slice(0, 12)}…)`);
  }
  return problems;
}

/**
 * Sends `token` (or, with `authorization`, that header as it is) to every user route and lists
 * each one whose answer is not `expected`, as `METHOD /path: why` lines; `[]` when every route
 * refuses as it should.
 */
export async function refusals(
  h: Harness,
  token: string | undefined,
  expected: Refusal,
  options: { secrets?: readonly string[]; authorization?: string } = {},
): Promise<string[]> {
  const failures: string[] = [];
  const secrets = [...(token ? [token] : []), ...(options.secrets ?? [])];
  for (const route of guardedRoutes(h)) {
    const problems = problemsWith(await sendTo(h, route, token, options.authorization), expected, secrets);
    if (problems.length) failures.push(`${keyOf(route)}: ${problems.join('; ')}`);
  }
  return failures;
}

/** The positive control: `token` opens the profile (a token about to be made invalid must have been valid). */
export async function expectWorks(h: Harness, token: string, label: string): Promise<void> {
  const res = await h.get(PROFILE, token);
  expect(res.statusCode, `${label} before it was made invalid → ${res.body}`).toBe(200);
  expect(res.json().status, label).toBe(true);
}

/** The identifying details of a user a refusal must not echo. */
export function detailsOf(user: TestUser): string[] {
  return [user.id, user.email, user.password];
}

/** Tokens made from a real user token that must all be refused as invalid. */
export async function forgeriesOf(token: string, otherUserId: string): Promise<Record<string, string>> {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = decodeJwt(token);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return {
    // the same claims, signed with a key that is not the service's
    'signed with a wrong secret': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode('a-completely-different-secret-0123456789-abcdef')),
    // the same claims, not signed at all
    'unsigned (alg none)': `${enc({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    // the real signature over another user's id
    'tampered (sub swapped, signature kept)': `${header}.${enc({ ...claims, sub: otherUserId })}.${signature}`,
    // the signature dropped
    'without its signature': `${header}.${payload}.`,
    // HS256 header claimed, payload and signature of nothing
    garbage: 'abc.def.ghi',
    'not a JWT': 'not-a-jwt',
  };
}
