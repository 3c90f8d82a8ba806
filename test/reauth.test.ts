import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { adminWith, countRows, userLogin } from './helpers/fixtures.js';
import { Harness, type TestUser, uniqueEmail } from './helpers/harness.js';

/** Issue 8: a stolen access token must not be able to take the account over. */

const MAX_FAILURES = 3;
let h: Harness;

beforeAll(async () => {
  h = await Harness.create({ env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** past the default REAUTH_WINDOW (10 minutes), well inside the token's hour */
const STALE = 11 * MINUTE;
const PROFILE_PATHS = ['/api/profile', '/api/v1/profile'];
const REVERT = '/api/v1/auth/revert-email';

/** A user whose token is older than the re-authentication window (but not expired). */
async function staleUser(): Promise<TestUser> {
  const user = await h.registerUser();
  h.clock.advance(STALE);
  return user;
}

async function profileOf(user: TestUser): Promise<Record<string, unknown>> {
  const res = await h.get('/api/profile', user.token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().profile;
}

/** Every revert token emailed to `address`, oldest first (after delivering the outbox). */
async function revertTokens(address: string): Promise<string[]> {
  await h.deliver();
  return h.mailer
    .to(address)
    .map((m) => m.text.match(/(\S+)\/revert-email\?token=(\S+)/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => {
      expect(m[1]).toBe(h.config.appUrl);
      return decodeURIComponent(m[2]!);
    });
}

/** Changes `user`'s email with a fresh login and returns the revert token the old address got. */
async function changeEmail(user: TestUser, to = uniqueEmail('new')): Promise<{ token: string; to: string }> {
  const from = (await profileOf(user)).email as string;
  const res = await h.put('/api/profile', { email: to }, user.token);
  expect(res.statusCode, res.body).toBe(200);
  const token = (await revertTokens(from)).at(-1);
  if (!token) throw new Error(`no revert link emailed to ${from}`);
  return { token, to: to.toLowerCase() };
}

describe('changing email or phone needs a recent login or the password', () => {
  it('changes the email with a fresh login and no password, at both spellings', async () => {
    for (const path of PROFILE_PATHS) {
      const user = await h.registerUser();
      const email = uniqueEmail('fresh');
      const res = await h.put(path, { email }, user.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().profile.email).toBe(email);
    }
  });

  it('refuses an email change with a token older than REAUTH_WINDOW: 403 REAUTH_REQUIRED naming `password`, nothing changed, no email', async () => {
    for (const path of PROFILE_PATHS) {
      const user = await staleUser();
      const res = await h.put(path, { email: uniqueEmail('thief'), name: 'Not Applied' }, user.token);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json()).toMatchObject({ status: false, code: 'REAUTH_REQUIRED' });
      expect(res.json().message).toMatch(/recent login/);
      expect(res.json().message).toMatch(/`password`/);
      expect(await profileOf(user)).toMatchObject({ email: user.email, name: 'Test User' });
    }
    await h.deliver();
    expect(h.mailer.sent).toHaveLength(0);
  });

  it('refuses a phone change (set or removed) with an old token, and takes it with the password', async () => {
    const user = await h.registerUser({ phone: '5550001111' });
    h.clock.advance(STALE);
    for (const phone of ['5550002222', null]) {
      const res = await h.put('/api/profile', { phone }, user.token);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('REAUTH_REQUIRED');
      expect(res.json().message).toMatch(/phone/);
    }
    const withPassword = await h.put('/api/v1/profile', { phone: '5550002222', password: user.password }, user.token);
    expect(withPassword.statusCode, withPassword.body).toBe(200);
    expect(withPassword.json().profile.phone).toBe('5550002222');
  });

  it('takes the change with an old token and the right password, which is neither echoed nor stored', async () => {
    for (const path of PROFILE_PATHS) {
      const user = await staleUser();
      const email = uniqueEmail('proved');
      const res = await h.put(path, { email, password: user.password }, user.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().profile.email).toBe(email);
      expect(res.body).not.toContain(user.password);
      expect(res.json().profile).not.toHaveProperty('password');
      expect((await userLogin(h, email, user.password)).statusCode).toBe(200);
    }
  });

  it('answers a wrong password 403 REAUTH_REQUIRED, and counts it: after LOGIN_MAX_FAILURES the account answers 429', async () => {
    const user = await staleUser();
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await h.put('/api/profile', { email: uniqueEmail('guess'), password: `wrong guess ${i}` }, user.token);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('REAUTH_REQUIRED');
    }
    const locked = await h.put('/api/profile', { email: uniqueEmail('guess'), password: user.password }, user.token);
    expect(locked.statusCode, locked.body).toBe(429);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(429);
    expect((await profileOf(user)).email).toBe(user.email);
  });

  it('needs nothing for a name or picture change, nor for sending the email the account already has', async () => {
    const user = await staleUser();
    const res = await h.put(
      '/api/profile',
      { name: 'Grace Hopper', picture: 'https://example.com/g.png', email: user.email.toUpperCase() },
      user.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().profile).toMatchObject({ name: 'Grace Hopper', email: user.email });
    const v1 = await h.put('/api/v1/profile', { first_name: 'Amazing' }, user.token);
    expect(v1.statusCode, v1.body).toBe(200);
  });

  it('takes the change again after logging in afresh', async () => {
    const user = await staleUser();
    expect((await h.put('/api/profile', { email: uniqueEmail('x') }, user.token)).statusCode).toBe(403);
    const token = (await userLogin(h, user.email, user.password)).json().token as string;
    expect((await h.put('/api/profile', { email: uniqueEmail('x') }, token)).statusCode).toBe(200);
  });

  it('follows REAUTH_WINDOW: a 2-minute window refuses a 3-minute-old token', async () => {
    const short = await h.sibling({ REAUTH_WINDOW: '2m' });
    try {
      const user = await short.registerUser();
      short.clock.advance(3 * MINUTE);
      const res = await short.put('/api/profile', { email: uniqueEmail('late') }, user.token);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('REAUTH_REQUIRED');
      // the default window (10 minutes) takes the same token
      expect((await h.put('/api/profile', { email: uniqueEmail('late') }, user.token)).statusCode).toBe(200);
    } finally {
      await short.app.close();
    }
  });
});

describe('deleting the account needs a recent login or the password', () => {
  it('refuses DELETE with an old token at both spellings, then deletes with the password in the body', async () => {
    for (const path of PROFILE_PATHS) {
      const user = await staleUser();
      const refused = await h.delete(path, user.token);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'REAUTH_REQUIRED' });
      expect(refused.json().message).toMatch(/`password`/);
      expect((await h.delete(path, user.token, { password: 'not the password' })).statusCode).toBe(403);
      expect((await profileOf(user)).email).toBe(user.email);

      const deleted = await h.delete(path, user.token, { password: user.password });
      expect(deleted.statusCode, deleted.body).toBe(200);
      expect((await h.get('/api/profile', user.token)).statusCode).toBe(401);
    }
  });

  it('deletes with a fresh login and no body at all', async () => {
    const user = await h.registerUser();
    expect((await h.delete('/api/profile', user.token)).statusCode).toBe(200);
  });
});

describe('REAUTH_WINDOW', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'sociox-reauth-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('defaults to 10 minutes', () => {
    expect(loadConfig({ DATA_DIR: dir() }).reauthWindowSeconds).toBe(600);
  });

  it.each([
    ['5m', 300],
    ['900', 900],
    ['1h', 3600],
  ])('%s is %i seconds', (value, seconds) => {
    expect(loadConfig({ DATA_DIR: dir(), REAUTH_WINDOW: value }).reauthWindowSeconds).toBe(seconds);
  });

  it.each(['soon', '10 minutes', '30s', '31d'])('refuses %s', (value) => {
    expect(() => loadConfig({ DATA_DIR: dir(), REAUTH_WINDOW: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dir(), REAUTH_WINDOW: value })).toThrow(/REAUTH_WINDOW/);
  });
});

describe('the revert link emailed to the old address', () => {
  it('emails the old address (not the new one) a link that explains the change and how to undo it', async () => {
    const user = await h.registerUser();
    const to = uniqueEmail('new');
    expect((await h.put('/api/profile', { email: to }, user.token)).statusCode).toBe(200);
    await h.deliver();
    const mail = h.mailer.last(user.email);
    expect(mail?.subject).toMatch(/email/i);
    expect(mail?.text).toMatch(/changed/);
    expect(mail?.text).toMatch(/If you made this change/);
    expect(mail?.text).toMatch(/7 days/);
    expect(mail?.text).toContain(`${h.config.appUrl}/revert-email?token=`);
    expect(h.mailer.to(to)).toHaveLength(0);
    expect(await countRows(h, 'email_outbox', "kind = 'email_changed'")).toBe(1);
  });

  it('restores the email once, revokes every token, and requires a password reset before the next login', async () => {
    const user = await h.registerUser();
    const { token, to } = await changeEmail(user);
    const newToken = (await userLogin(h, to, user.password)).json().token as string;

    const res = await h.post(REVERT, { token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: true });
    expect(res.json().message).toMatch(/forgot-password/);

    expect((await h.get('/api/profile', user.token)).statusCode).toBe(401);
    expect((await h.get('/api/profile', newToken)).statusCode).toBe(401);
    expect((await userLogin(h, to, user.password)).statusCode).toBe(401);

    const login = await userLogin(h, user.email, user.password);
    expect(login.statusCode, login.body).toBe(403);
    expect(login.json()).toMatchObject({ status: false, code: 'PASSWORD_RESET_REQUIRED' });
    expect(login.json().message).toMatch(/reset your password with forgot-password/);
    expect(login.json()).not.toHaveProperty('token');
    // a wrong password still says only "invalid credentials": the mark is told to the owner alone
    expect((await userLogin(h, user.email, 'not the password')).statusCode).toBe(401);

    const again = await h.post(REVERT, { token });
    expect(again.statusCode, again.body).toBe(400);
    expect(again.json().code).toBe('INVALID_TOKEN');
  });

  it('is cleared by a password reset (forgot-password + reset-password): login works again', async () => {
    const user = await h.registerUser();
    const { token } = await changeEmail(user);
    expect((await h.post(REVERT, { token })).statusCode).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(403);

    expect((await h.post('/api/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    const otp = await h.otpFor(user.email);
    const reset = await h.post('/api/auth/reset-password', { email: user.email, otp, newPassword: 'a brand new password' });
    expect(reset.statusCode, reset.body).toBe(200);

    const login = await userLogin(h, user.email, 'a brand new password');
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json().data.user.email).toBe(user.email);
  });

  it('is cleared by the admin reset link too', async () => {
    const user = await h.registerUser();
    const { token } = await changeEmail(user);
    expect((await h.post(REVERT, { token })).statusCode).toBe(200);

    const admin = await adminWith(h, ['manage_users']);
    expect((await h.post('/api/admin/users/sendPasswordResetLink', { email: user.email }, admin.token)).statusCode).toBe(200);
    await h.deliver();
    const link = h.mailer.last(user.email)?.text.match(/\S+\/reset-password\?token=\S+/)?.[0];
    const resetToken = new URL(link!).searchParams.get('token');
    expect((await h.post('/api/admin/users/reset-password', { token: resetToken, newPassword: 'chosen by the user' })).statusCode).toBe(
      200,
    );
    expect((await userLogin(h, user.email, 'chosen by the user')).statusCode).toBe(200);
  });

  it('expires after 7 days: 400 INVALID_TOKEN, nothing restored', async () => {
    const user = await h.registerUser();
    const { token, to } = await changeEmail(user);
    h.clock.advance(7 * DAY + MINUTE);
    const res = await h.post(REVERT, { token });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect((await userLogin(h, to, user.password)).statusCode).toBe(200);
  });

  it('still works just inside the 7 days', async () => {
    const user = await h.registerUser();
    const { token } = await changeEmail(user);
    h.clock.advance(7 * DAY - MINUTE);
    expect((await h.post(REVERT, { token })).statusCode).toBe(200);
  });

  it('answers an unknown token 400 and needs no bearer token', async () => {
    const res = await h.post(REVERT, { token: 'not-a-token' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
  });

  it('answers 409 when another account took the old address meanwhile, changes nothing, and works once the address is free', async () => {
    const user = await h.registerUser();
    const { token, to } = await changeEmail(user);
    const squatter = await h.registerUser({ email: user.email });

    const res = await h.post(REVERT, { token });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ status: false, code: 'CONFLICT' });
    expect(res.json().message).toMatch(/another account/);
    expect((await userLogin(h, to, user.password)).statusCode).toBe(200);

    expect((await h.delete('/api/profile', squatter.token)).statusCode).toBe(200);
    expect((await h.post(REVERT, { token })).statusCode).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(403);
  });

  it('with two changes, each old address gets its own link; a later link cannot undo an earlier revert', async () => {
    const user = await h.registerUser();
    const first = await changeEmail(user);
    h.clock.advance(MINUTE);
    const second = await changeEmail(user);

    expect((await h.post(REVERT, { token: first.token })).statusCode).toBe(200);
    // the original address is back, and the link held by the middle address is void
    const late = await h.post(REVERT, { token: second.token });
    expect(late.statusCode, late.body).toBe(400);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(403);
  });

  it('with two changes, the earlier link still undoes both after the later one was used', async () => {
    const user = await h.registerUser();
    const first = await changeEmail(user);
    h.clock.advance(MINUTE);
    await changeEmail(user);
    const [second] = await revertTokens(first.to);

    expect((await h.post(REVERT, { token: second! })).statusCode).toBe(200);
    expect((await userLogin(h, first.to, user.password)).statusCode).toBe(403);
    expect((await h.post(REVERT, { token: first.token })).statusCode).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(403);
    expect((await userLogin(h, first.to, user.password)).statusCode).toBe(401);
  });

  it('is a documented endpoint', async () => {
    const doc = (await h.get('/openapi.json')).json();
    expect(doc.paths['/api/v1/auth/revert-email']?.post).toBeDefined();
  });
});
