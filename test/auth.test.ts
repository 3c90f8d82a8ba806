import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DETAILS, expectNoSecrets, expectUnauthenticated, LOGIN, MISSING, REGISTER } from './helpers/auth.js';
import { whileUpdatesFail } from './helpers/database.js';
import { decodeJwt, fieldsOf } from './helpers/fixtures.js';
import { Harness, uniqueEmail } from './helpers/harness.js';

/**
 * Register, login and access tokens (HNG Stage 2 and SocioX auth). Changing the password, the
 * per-account lockout and the per-IP credential rate limit are in auth-password.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function userRow(id: string) {
  const { rows } = await h.db.query<{ role: string; status: string; permissions: string[]; parent_id: string | null; email: string }>(
    'select role, status, permissions, parent_id, email from users where id = $1',
    [id],
  );
  return rows[0];
}

describe('register (POST /api/v1/auth/register)', () => {
  it('creates an account from the SocioX shape and returns a token at the top level and in data', async () => {
    const email = uniqueEmail();
    const res = await h.post(REGISTER, { email, password: 'yourpassword123', name: 'Ada King Lovelace' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Your account has been created' });
    expect(typeof body.token).toBe('string');
    expect(body.data.token).toBe(body.token);
    expect(body.data.user).toMatchObject({
      email,
      name: 'Ada King Lovelace',
      first_name: 'Ada',
      last_name: 'King Lovelace',
      phone: null,
      role: 'parent',
      parent_id: null,
      permissions: [],
      status: 'active',
      last_login_at: null,
    });
    expect(body.data.user.id).toMatch(/^[0-9a-f-]{36}$/);
    // the token it returns opens a protected route straight away
    const me = await h.get(DETAILS, body.token);
    expect(me.statusCode).toBe(200);
    expect(me.json().data.user.id).toBe(body.data.user.id);
    expectNoSecrets(res, 'yourpassword123');
  });

  it('creates an account from the HNG shape, deriving name from first_name + last_name', async () => {
    const email = uniqueEmail();
    const res = await h.post(REGISTER, {
      first_name: 'Garfield',
      last_name: 'Shenko',
      email,
      phone: '1234567890',
      password: 'garfield-pass-1',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Your account has been created' });
    expect(typeof body.token).toBe('string');
    expect(body.data.token).toBe(body.token);
    expect(body.data.user).toMatchObject({
      email,
      name: 'Garfield Shenko',
      first_name: 'Garfield',
      last_name: 'Shenko',
      phone: '1234567890',
      role: 'parent',
    });
    expectNoSecrets(res, 'garfield-pass-1');
  });

  it('stores the email lowercased and refuses a duplicate that differs only by case with 409', async () => {
    const first = await h.post(REGISTER, { email: 'Mixed.Case@Example.COM', password: 'password-one', name: 'First' });
    expect(first.statusCode).toBe(201);
    expect(first.json().data.user.email).toBe('mixed.case@example.com');
    expect((await userRow(first.json().data.user.id))?.email).toBe('mixed.case@example.com');

    const dup = await h.post(REGISTER, { email: 'mixed.case@example.com', password: 'password-two', name: 'Second' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ status: false, message: 'Account with the email already exists', code: 'CONFLICT' });

    const dupUpper = await h.post(REGISTER, { email: 'MIXED.CASE@EXAMPLE.COM', password: 'password-two', name: 'Third' });
    expect(dupUpper.statusCode).toBe(409);
    expect(dupUpper.json()).toMatchObject({ status: false, message: 'Account with the email already exists', code: 'CONFLICT' });
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from users');
    expect(rows[0]?.n).toBe(1);
  });

  it('refuses a duplicate phone number with 409', async () => {
    await h.registerUser({ phone: '+44 20 7946 0000' });
    const res = await h.post(REGISTER, { email: uniqueEmail(), password: 'password-123', name: 'Other', phone: '+44 20 7946 0000' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: false, code: 'CONFLICT' });
    expect(res.json().message).toBe('Account with the phone number already exists');
  });

  it('answers a missing password with 422 "One or more required fields missing" naming password', async () => {
    const res = await h.post(REGISTER, { email: uniqueEmail(), name: 'No Password' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('password');
  });

  it('answers a missing name (and no first_name + last_name) with 422 naming name', async () => {
    const res = await h.post(REGISTER, { email: uniqueEmail(), password: 'password-123' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('name');
  });

  it('answers a first_name without last_name (and no name) with 422', async () => {
    const res = await h.post(REGISTER, { email: uniqueEmail(), password: 'password-123', first_name: 'Only' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res).some((f) => ['name', 'last_name'].includes(f))).toBe(true);
  });

  it('answers a blank name with 422', async () => {
    const res = await h.post(REGISTER, { email: uniqueEmail(), password: 'password-123', name: '   ' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('name');
  });

  it('answers an invalid email with 422 naming email', async () => {
    const res = await h.post(REGISTER, { email: 'not-an-email', password: 'password-123', name: 'Bad Email' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toEqual(['email']);
  });

  it('refuses a 7-character password and accepts 8', async () => {
    const short = await h.post(REGISTER, { email: uniqueEmail(), password: '1234567', name: 'Short' });
    expect(short.statusCode).toBe(422);
    expect(short.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(short)).toEqual(['password']);

    const ok = await h.post(REGISTER, { email: uniqueEmail(), password: '12345678', name: 'Eight' });
    expect(ok.statusCode).toBe(201);
  });

  it('refuses a 129-character password and accepts 128', async () => {
    const long = await h.post(REGISTER, { email: uniqueEmail(), password: 'p'.repeat(129), name: 'Long' });
    expect(long.statusCode).toBe(422);
    expect(long.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(long)).toEqual(['password']);

    const email = uniqueEmail();
    const ok = await h.post(REGISTER, { email, password: 'p'.repeat(128), name: 'Max' });
    expect(ok.statusCode).toBe(201);
    const login = await h.post(LOGIN, { email, password: 'p'.repeat(128) });
    expect(login.statusCode).toBe(200);
  });

  it('ignores role, status, permissions and parent_id sent at registration (no mass assignment)', async () => {
    const parent = await h.registerUser();
    const email = uniqueEmail();
    const res = await h.post(REGISTER, {
      email,
      password: 'password-123',
      name: 'Sneaky User',
      role: 'child',
      status: 'deactivated',
      permissions: ['manage_billing'],
      parent_id: parent.id,
      token_version: 99,
    });
    expect(res.statusCode).toBe(201);
    const user = res.json().data.user;
    expect(user).toMatchObject({ role: 'parent', status: 'active', permissions: [], parent_id: null });
    expect(await userRow(user.id)).toMatchObject({ role: 'parent', status: 'active', permissions: [], parent_id: null });
    expect(decodeJwt(res.json().token)).toMatchObject({ role: 'parent', perms: [] });
    // the account is really active: it logs in and its token works
    const login = await h.post(LOGIN, { email, password: 'password-123' });
    expect(login.statusCode).toBe(200);
    expect((await h.get(DETAILS, res.json().token)).statusCode).toBe(200);
  });
});

describe('login (POST /api/v1/auth/login)', () => {
  it('logs in by email and password with the token at the top level and in data', async () => {
    const user = await h.registerUser({ password: 'login-by-email-1' });
    const res = await h.post(LOGIN, { email: user.email, password: 'login-by-email-1' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Login successful' });
    expect(typeof body.token).toBe('string');
    expect(body.data.token).toBe(body.token);
    expect(body.data.user).toMatchObject({ id: user.id, email: user.email });
    expect((await h.get(DETAILS, body.token)).statusCode).toBe(200);
    expectNoSecrets(res, 'login-by-email-1');
  });

  it('logs in by phone and password', async () => {
    const user = await h.registerUser({ phone: '5550001111', password: 'login-by-phone-1' });
    const res = await h.post(LOGIN, { phone: '5550001111', password: 'login-by-phone-1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: true, message: 'Login successful' });
    expect(res.json().data.user.id).toBe(user.id);
    expect(res.json().data.token).toBe(res.json().token);
  });

  it('treats the email case-insensitively', async () => {
    const user = await h.registerUser({ email: 'Case.Login@Example.com' });
    const res = await h.post(LOGIN, { email: 'CASE.LOGIN@EXAMPLE.COM', password: user.password });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.user.id).toBe(user.id);
  });

  it('answers a wrong password with 401 "Invalid credentials provided"', async () => {
    const user = await h.registerUser();
    const res = await h.post(LOGIN, { email: user.email, password: 'not the password' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ status: false, message: 'Invalid credentials provided', code: 'INVALID_CREDENTIALS' });
    expect(res.json().token).toBeUndefined();
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const res = await h.post(LOGIN, { email: uniqueEmail('nobody'), password: 'whatever-123' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ status: false, message: 'Invalid credentials provided', code: 'INVALID_CREDENTIALS' });
  });

  it('answers a wrong phone with 401', async () => {
    await h.registerUser({ phone: '5550002222' });
    const res = await h.post(LOGIN, { phone: '5550009999', password: 'correct horse battery' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('answers a missing password with 422 "One or more required fields missing"', async () => {
    const user = await h.registerUser();
    const res = await h.post(LOGIN, { email: user.email });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('password');
  });

  it('answers neither email nor phone with 422 "One or more required fields missing"', async () => {
    const res = await h.post(LOGIN, { password: 'password-123' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res).length).toBeGreaterThan(0);
  });

  it('answers the HNG login body (email + phone, no password) with 422 naming password', async () => {
    const res = await h.post(LOGIN, { email: 'garfield.shenko@gmail.com', phone: '1234567890' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: MISSING });
    expect(fieldsOf(res)).toContain('password');
  });

  it('refuses a deactivated account with 403 ACCOUNT_DEACTIVATED, but a wrong password still gets 401', async () => {
    const user = await h.registerUser();
    await h.db.query("update users set status='deactivated' where id=$1", [user.id]);
    await h.settle();

    const right = await h.post(LOGIN, { email: user.email, password: user.password });
    expect(right.statusCode).toBe(403);
    expect(right.json()).toMatchObject({ status: false, code: 'ACCOUNT_DEACTIVATED' });
    expect(right.json().message).toMatch(/deactivated/i);
    expect(right.json().token).toBeUndefined();

    const wrong = await h.post(LOGIN, { email: user.email, password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Invalid credentials provided' });
  });

  it('records last_login_at', async () => {
    const user = await h.registerUser();
    const before = await h.get(DETAILS, user.token);
    expect(before.json().data.user.last_login_at).toBeNull();

    h.clock.advance(5_000);
    const at = h.clock.now();
    const login = await h.post(LOGIN, { email: user.email, password: user.password });
    expect(login.statusCode).toBe(200);
    expect(login.json().data.user.last_login_at).toBe(at.toISOString());

    const after = await h.get(DETAILS, login.json().token);
    expect(after.statusCode).toBe(200);
    expect(after.json().data.user.last_login_at).toBe(at.toISOString());
  });

  it('commits a sign-in whole: when last_login_at cannot be recorded, no session is left behind', async () => {
    const user = await h.registerUser();
    const sessions = async () =>
      (await h.db.query<{ n: number }>('select count(*)::int as n from sessions where account_id = $1', [user.id])).rows[0]!.n;
    const before = await sessions();
    const login = await whileUpdatesFail(h.db, 'users', 'last_login_at', () =>
      h.post(LOGIN, { email: user.email, password: user.password }),
    );
    expect(login.statusCode).toBe(500);
    expect(login.body).not.toMatch(/refused by the test|last_login_at/);
    expect(await sessions()).toBe(before);
    const again = await h.post(LOGIN, { email: user.email, password: user.password });
    expect(again.statusCode).toBe(200);
    expect(await sessions()).toBe(before + 1);
  });
});

describe('access tokens', () => {
  it('carries typ user, sub = user id, role and version for a parent', async () => {
    const user = await h.registerUser();
    const claims = decodeJwt(user.token);
    expect(claims).toMatchObject({ typ: 'user', sub: user.id, role: 'parent', perms: [] });
    expect(typeof claims.ver).toBe('number');
    expect(typeof claims.exp).toBe('number');
    expect((claims.exp as number) - (claims.iat as number)).toBe(h.config.tokenTtlSeconds);
  });

  it("carries role child and the child's permissions for a child user", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent, { permissions: ['create_posts', 'view_analytics'] });
    const claims = decodeJwt(child.token);
    expect(claims).toMatchObject({ typ: 'user', sub: child.id, role: 'child' });
    expect([...(claims.perms as string[])].sort()).toEqual(['create_posts', 'view_analytics']);
  });

  it('refuses a protected route without a token with 401 UNAUTHENTICATED', async () => {
    expectUnauthenticated(await h.get(DETAILS));
  });

  it('refuses a garbage token with 401', async () => {
    expectUnauthenticated(await h.get(DETAILS, 'not-a-jwt'));
    expectUnauthenticated(await h.get(DETAILS, 'aaaa.bbbb.cccc'));
  });

  it('refuses a non-Bearer Authorization header with 401', async () => {
    const user = await h.registerUser();
    const res = await h.request('GET', DETAILS, { headers: { authorization: `Basic ${user.token}` } });
    expectUnauthenticated(res);
  });

  it('refuses a token signed with another secret, even with valid claims, with 401', async () => {
    const user = await h.registerUser();
    const claims = decodeJwt(user.token);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const forged = await new SignJWT({ typ: 'user', ver: claims.ver, role: 'parent', perms: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(String(claims.iss))
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode('another-secret-0123456789-abcdefghijklmnopqrstuvwxyz'));
    expectUnauthenticated(await h.get(DETAILS, forged));
    // control: the genuine token is accepted
    expect((await h.get(DETAILS, user.token)).statusCode).toBe(200);
  });

  it('refuses an unsigned (alg none) token with 401', async () => {
    const user = await h.registerUser();
    const [, payload] = user.token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expectUnauthenticated(await h.get(DETAILS, `${header}.${payload}.`));
  });

  it('refuses an expired token with 401', async () => {
    const user = await h.registerUser();
    expect((await h.get(DETAILS, user.token)).statusCode).toBe(200);
    h.clock.advance(h.config.tokenTtlSeconds * 1000 + 1000);
    expectUnauthenticated(await h.get(DETAILS, user.token));
  });

  it('refuses an admin token on a user route with 403 FORBIDDEN', async () => {
    const user = await h.registerUser();
    const { token: adminToken } = await h.app.tokens.sign({ sub: user.id, typ: 'admin', ver: 1, role: 'admin', perms: [] });
    const res = await h.get(DETAILS, adminToken);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: false, code: 'FORBIDDEN' });
  });

  it('stops accepting a token on the very next request after the account is deactivated', async () => {
    const user = await h.registerUser();
    expect((await h.get(DETAILS, user.token)).statusCode).toBe(200);
    await h.db.query("update users set status='deactivated' where id=$1", [user.id]);
    await h.settle();
    expectUnauthenticated(await h.get(DETAILS, user.token));
  });

  it('stops accepting a token once the token_version is bumped', async () => {
    const user = await h.registerUser();
    expect((await h.get(DETAILS, user.token)).statusCode).toBe(200);
    await h.db.query('update users set token_version = token_version + 1 where id=$1', [user.id]);
    await h.settle();
    expectUnauthenticated(await h.get(DETAILS, user.token));
  });

  it('stops accepting a token whose account was deleted', async () => {
    const user = await h.registerUser();
    await h.db.query('delete from users where id=$1', [user.id]);
    await h.settle();
    expectUnauthenticated(await h.get(DETAILS, user.token));
  });
});
