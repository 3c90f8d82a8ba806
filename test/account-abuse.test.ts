/**
 * Issue 8, "Account takeover and abuse": the login lockout per account and client IP with an
 * account-wide ceiling, the password-reset budget across OTPs, children of a deactivated parent,
 * what an admin without view_user_details learns, and tokens this service would never sign.
 */
import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, countRows, relogin } from './helpers/fixtures.js';
import { Harness, type Response, TEST_ENV, type TestUser } from './helpers/harness.js';

let h: Harness;
/** One sibling with small limits, so the tests reach them in a few requests. */
let s: Harness;

beforeAll(async () => {
  h = await Harness.create();
  s = await h.sibling({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ACCOUNT: '5' });
});
afterAll(async () => {
  await s.app.close();
  await h.close();
});
beforeEach(() => h.reset());

const LOGIN = '/api/v1/auth/login';
const HOUR = 60 * 60_000;

/** A request from a given client IP (what the per-IP counters key on). */
async function from(harness: Harness, ip: string, method: 'POST' | 'GET', url: string, body?: object, token?: string): Promise<Response> {
  const res = await harness.app.inject({
    method,
    url,
    remoteAddress: ip,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body ? { payload: body } : {}),
  });
  return { statusCode: res.statusCode, headers: res.headers, body: res.body, json: () => res.json() };
}

function login(ip: string, user: { email: string }, password: string, harness = s) {
  return from(harness, ip, 'POST', LOGIN, { email: user.email, password });
}

describe('login lockout per account and client IP (LOGIN_MAX_FAILURES)', () => {
  it("an attacker's failures lock out the attacker's IP, not the owner on another IP", async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 3; i++) expect((await login('203.0.113.9', owner, `guess-${i}`)).statusCode).toBe(401);
    const attacker = await login('203.0.113.9', owner, owner.password);
    expect(attacker.statusCode).toBe(429);
    expect(attacker.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
    expect(Number(attacker.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(attacker.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);

    const ownerLogin = await login('198.51.100.7', owner, owner.password);
    expect(ownerLogin.statusCode, ownerLogin.body).toBe(200);
  });

  it('counts guesses made by phone against the same account as guesses by email (HNG logs in by either)', async () => {
    const owner = await s.registerUser({ phone: '+1 555 010 9999' });
    const byPhone = (password: string) => from(s, '203.0.113.30', 'POST', LOGIN, { phone: '+1 555 010 9999', password });
    for (let i = 0; i < 2; i++) expect((await byPhone(`guess-${i}`)).statusCode).toBe(401);
    expect((await login('203.0.113.30', owner, 'guess-by-email')).statusCode).toBe(401);
    expect((await byPhone(owner.password)).statusCode).toBe(429);
    expect((await login('203.0.113.30', owner, owner.password)).statusCode).toBe(429);
    expect((await login('198.51.100.30', owner, owner.password)).statusCode).toBe(200);
  });

  it("the owner's right password clears the failures of their own IP; those of other IPs and of the account stay", async () => {
    const owner = await s.registerUser();
    const counts = async () => {
      const { rows } = await s.db.query<{ scope: string; failures: number }>(
        'select scope, failures from login_failures where account_id = $1 order by scope',
        [owner.id],
      );
      return Object.fromEntries(rows.map((r) => [r.scope, r.failures]));
    };
    for (let i = 0; i < 2; i++) expect((await login('203.0.113.20', owner, 'typo')).statusCode).toBe(401);
    expect((await login('203.0.113.21', owner, 'typo')).statusCode).toBe(401);
    expect(await counts()).toEqual({ '*': 3, '203.0.113.20': 2, '203.0.113.21': 1 });
    expect((await login('203.0.113.20', owner, owner.password)).statusCode).toBe(200);
    expect(await counts()).toEqual({ '*': 3, '203.0.113.21': 1 });
    // a login from an IP with nothing counted changes nothing
    expect((await login('203.0.113.20', owner, owner.password)).statusCode).toBe(200);
    expect(await counts()).toEqual({ '*': 3, '203.0.113.21': 1 });
  });

  it('the IP lock ends when its 15-minute window passes', async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 3; i++) await login('203.0.113.9', owner, 'guess');
    expect((await login('203.0.113.9', owner, owner.password)).statusCode).toBe(429);
    s.clock.advance(15 * 60_000 + 1000);
    expect((await login('203.0.113.9', owner, owner.password)).statusCode).toBe(200);
  });

  it('wrong current passwords at change-password count too: a stolen token cannot guess the password there', async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 3; i++) {
      const res = await from(
        s,
        '203.0.113.9',
        'POST',
        '/api/v1/auth/change-password',
        { old_password: `guess-${i}`, new_password: 'new password 123' },
        owner.token,
      );
      expect(res.statusCode).toBe(401);
    }
    const locked = await from(
      s,
      '203.0.113.9',
      'POST',
      '/api/v1/auth/change-password',
      { old_password: owner.password, new_password: 'new password 123' },
      owner.token,
    );
    expect(locked.statusCode).toBe(429);
    expect((await login('203.0.113.9', owner, owner.password)).statusCode).toBe(429);
  });

  it('admin login is counted per account and IP the same way', async () => {
    const admin = await adminWith(s, ['manage_users']);
    const adminLogin = (ip: string, password: string) => from(s, ip, 'POST', '/api/v1/admin/login', { email: admin.email, password });
    for (let i = 0; i < 3; i++) expect((await adminLogin('203.0.113.9', 'guess')).statusCode).toBe(401);
    expect((await adminLogin('203.0.113.9', admin.password)).statusCode).toBe(429);
    expect((await adminLogin('198.51.100.7', admin.password)).statusCode).toBe(200);
  });
});

describe('account-wide ceiling for distributed guessing (LOGIN_MAX_FAILURES_PER_ACCOUNT)', () => {
  it('failures from many IPs, each under its own limit, lock the account everywhere for the hour', async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 5; i++) expect((await login(`203.0.113.${i + 1}`, owner, 'guess')).statusCode).toBe(401);
    const fromNowhere = await login('198.51.100.7', owner, owner.password);
    expect(fromNowhere.statusCode).toBe(429);
    expect(Number(fromNowhere.headers['retry-after'])).toBeGreaterThan(15 * 60);
    expect(Number(fromNowhere.headers['retry-after'])).toBeLessThanOrEqual(60 * 60);
    s.clock.advance(HOUR + 1000);
    expect((await login('198.51.100.7', owner, owner.password)).statusCode).toBe(200);
  });

  it("the owner's successful login does not hand the guessers a fresh account-wide budget", async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 4; i++) await login(`203.0.113.${i + 1}`, owner, 'guess');
    expect((await login('198.51.100.7', owner, owner.password)).statusCode).toBe(200);
    expect((await login('203.0.113.50', owner, 'guess')).statusCode).toBe(401);
    expect((await login('198.51.100.7', owner, owner.password)).statusCode).toBe(429);
  });

  it('a password reset clears every lock on the account', async () => {
    const owner = await s.registerUser();
    for (let i = 0; i < 5; i++) await login(`203.0.113.${i + 1}`, owner, 'guess');
    expect((await login('198.51.100.7', owner, owner.password)).statusCode).toBe(429);
    await s.post('/api/v1/auth/forgot-password', { email: owner.email });
    const otp = await s.otpFor(owner.email);
    expect((await s.post('/api/v1/auth/reset-password', { email: owner.email, otp, newPassword: 'brand new password' })).statusCode).toBe(
      200,
    );
    expect((await login('203.0.113.1', owner, 'brand new password')).statusCode).toBe(200);
  });

  it('the worker purges counters whose windows have passed', async () => {
    const owner = await s.registerUser();
    await login('203.0.113.1', owner, 'guess');
    expect(await countRows(s, 'login_failures')).toBe(2);
    s.clock.advance(HOUR + 1000);
    await s.app.worker.runOnce();
    expect(await countRows(s, 'login_failures')).toBe(0);
  });
});

describe('password-reset budget across OTPs', () => {
  const FORGOT = '/api/v1/auth/forgot-password';
  const RESET = '/api/v1/auth/reset-password';

  async function newOtp(user: TestUser): Promise<string> {
    expect((await h.post(FORGOT, { email: user.email })).statusCode).toBe(200);
    return h.otpFor(user.email);
  }
  const guess = (user: TestUser, otp: string) => h.post(RESET, { email: user.email, otp, newPassword: 'brand new password' });
  const wrongOf = (otp: string) => String((Number(otp) + 1) % 1_000_000).padStart(6, '0');

  it('ten wrong guesses in a day, spread over several OTPs, make even the right code fail', async () => {
    const user = await h.registerUser();
    for (const wrong of [4, 4]) {
      const otp = await newOtp(user);
      for (let i = 0; i < wrong; i++) expect((await guess(user, wrongOf(otp))).statusCode).toBe(400);
    }
    const otp = await newOtp(user);
    for (let i = 0; i < 2; i++) expect((await guess(user, wrongOf(otp))).statusCode).toBe(400);
    // ten wrong guesses in all: the right code is refused, with the same answer as a wrong one
    const right = await guess(user, otp);
    expect(right.statusCode).toBe(400);
    expect(right.json()).toMatchObject({ code: 'INVALID_TOKEN', message: 'Invalid or expired reset code' });
    expect((await h.post(LOGIN, { email: user.email, password: 'brand new password' })).statusCode).toBe(401);

    h.clock.advance(24 * HOUR + 1000);
    const fresh = await newOtp(user);
    expect((await guess(user, fresh)).statusCode).toBe(200);
  });

  it('nine wrong guesses leave the right code working, and a reset starts the count afresh', async () => {
    const user = await h.registerUser();
    let otp = await newOtp(user);
    for (let i = 0; i < 4; i++) await guess(user, wrongOf(otp));
    otp = await newOtp(user);
    for (let i = 0; i < 4; i++) await guess(user, wrongOf(otp));
    otp = await newOtp(user);
    await guess(user, wrongOf(otp));
    expect((await guess(user, otp)).statusCode).toBe(200);
    otp = await newOtp(user);
    for (let i = 0; i < 4; i++) await guess(user, wrongOf(otp));
    expect((await h.post(RESET, { email: user.email, otp, newPassword: 'another new password' })).statusCode).toBe(200);
  });

  it('sends at most five codes an hour, answering the sixth request exactly like the others', async () => {
    const user = await h.registerUser();
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await h.post(FORGOT, { email: user.email });
      expect(res.statusCode).toBe(200);
      answers.push(res.body);
    }
    expect(new Set(answers).size).toBe(1);
    const unknown = await h.post(FORGOT, { email: 'nobody-here@example.com' });
    expect(unknown.body).toBe(answers[0]);
    expect(await countRows(h, 'email_outbox', "kind = 'password_reset_otp' and to_address = $1", [user.email])).toBe(5);

    // the fifth code is still the one that works
    const fifth = await h.otpFor(user.email);
    h.clock.advance(HOUR + 1000);
    expect((await h.post(FORGOT, { email: user.email })).statusCode).toBe(200);
    expect(await countRows(h, 'email_outbox', "kind = 'password_reset_otp' and to_address = $1", [user.email])).toBe(6);
    expect(fifth).toMatch(/^\d{6}$/);
  });

  it('sends no code while the guesses are used up (a code that cannot be tried is not worth an email)', async () => {
    const user = await h.registerUser();
    for (let n = 0; n < 2; n++) {
      const otp = await newOtp(user);
      for (let i = 0; i < 5; i++) await guess(user, wrongOf(otp));
    }
    const before = await countRows(h, 'email_outbox', "kind = 'password_reset_otp'");
    expect((await h.post(FORGOT, { email: user.email })).statusCode).toBe(200);
    expect(await countRows(h, 'email_outbox', "kind = 'password_reset_otp'")).toBe(before);
  });
});

describe('children of a deactivated parent', () => {
  it('cannot log in (403) and their tokens answer 401 until the parent is reactivated', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent, { permissions: ['manage_billing'] });
    const admin = await adminWith(h, ['manage_users']);

    expect((await h.post(`/api/v1/admin/users/${parent.id}/deactivate`, undefined, admin.token)).statusCode).toBe(200);
    const login = await h.post(LOGIN, { email: child.email, password: child.password });
    expect(login.statusCode).toBe(403);
    expect(login.json()).toMatchObject({ status: false, code: 'ACCOUNT_DEACTIVATED' });
    expect(login.json().token).toBeUndefined();
    for (const url of ['/api/users/details', '/api/v1/users/subscription']) {
      const res = await h.get(url, child.token);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('UNAUTHENTICATED');
    }
    const cancel = await h.post('/api/v1/users/subscription/cancel', { reason: 'x' }, child.token);
    expect(cancel.statusCode).toBe(401);

    // a wrong password still says only that the credentials are wrong
    expect((await h.post(LOGIN, { email: child.email, password: 'not the password' })).statusCode).toBe(401);

    expect((await h.post(`/api/v1/admin/users/${parent.id}/reactivate`, undefined, admin.token)).statusCode).toBe(200);
    expect((await h.get('/api/users/details', child.token)).statusCode).toBe(200);
    expect((await relogin(h, child)).token).toEqual(expect.any(String));
  });
});

describe('what a status change tells an admin', () => {
  it('an admin without view_user_details gets only the id and status back', async () => {
    const user = await h.registerUser();
    const admin = await adminWith(h, ['manage_users']);
    for (const action of ['deactivate', 'reactivate']) {
      for (const [method, url] of [
        ['POST', `/api/v1/admin/users/${user.id}/${action}`],
        ['GET', `/api/admin/users/${user.id}/${action}`],
      ] as const) {
        const res = await h.request(method, url, { token: admin.token });
        expect(res.statusCode, `${method} ${url}`).toBe(200);
        expect(res.json().data).toEqual({ id: user.id, status: action === 'deactivate' ? 'deactivated' : 'active' });
        expect(res.body).not.toContain(user.email);
      }
    }
  });

  it('an admin with view_user_details gets the whole user', async () => {
    const user = await h.registerUser();
    const admin = await adminWith(h, ['manage_users', 'view_user_details']);
    const res = await h.post(`/api/v1/admin/users/${user.id}/deactivate`, undefined, admin.token);
    expect(res.json().data).toMatchObject({ id: user.id, email: user.email, status: 'deactivated', role: 'parent' });
  });
});

describe('tokens this service would never sign', () => {
  const key = createSecretKey(Buffer.from(TEST_ENV.JWT_SECRET, 'utf8'));
  async function forge(claims: Record<string, unknown>, options: { exp?: boolean; sub?: string }): Promise<string> {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer('sociox-accounts').setIssuedAt(now);
    if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
    if (options.exp) jwt = jwt.setExpirationTime(now + 600);
    return jwt.sign(key);
  }

  it('a correctly signed token without exp is 401', async () => {
    const user = await h.registerUser();
    const token = await forge({ typ: 'user', ver: 1, role: 'parent', perms: [] }, { sub: user.id, exp: false });
    const res = await h.get('/api/users/details', token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
    // the same token with an expiry is accepted: the missing exp is what was refused
    const good = await forge({ typ: 'user', ver: 1, role: 'parent', perms: [] }, { sub: user.id, exp: true });
    expect((await h.get('/api/users/details', good)).statusCode).toBe(200);
  });

  it.each(['not-a-uuid', '1', "' or 1=1 --", ''])('a token whose sub is %j is 401, not 404', async (sub) => {
    const token = await forge({ typ: 'user', ver: 1, role: 'parent', perms: [] }, { sub, exp: true });
    const res = await h.get('/api/users/details', token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
    const adminToken = await forge({ typ: 'admin', ver: 1, role: 'superadmin', perms: [] }, { sub, exp: true });
    expect((await h.get('/api/v1/admin/users', adminToken)).statusCode).toBe(401);
  });
});
