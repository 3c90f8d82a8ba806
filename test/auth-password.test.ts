import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE, DETAILS, expectNoSecrets, expectUnauthenticated, LOGIN, MISSING, REGISTER } from './helpers/auth.js';
import { fieldsOf } from './helpers/fixtures.js';
import { Harness, type Response, type TestUser, uniqueEmail } from './helpers/harness.js';

/**
 * Changing the password, the per-account login lockout (LOGIN_MAX_FAILURES) and the per-IP
 * credential rate limit (RATE_LIMIT_PER_MINUTE).
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

function retryAfterOf(res: Response): number {
  const raw = res.headers['retry-after'];
  expect(raw, 'Retry-After header').toBeDefined();
  const value = Number(raw);
  expect(Number.isFinite(value)).toBe(true);
  return value;
}

describe('change password (POST /api/v1/auth/change-password)', () => {
  async function change(user: TestUser, body: unknown, token: string | undefined = user.token) {
    return h.post(CHANGE, body, token);
  }

  it('changes the password and returns a fresh token that works', async () => {
    const user = await h.registerUser({ password: 'old-password-1' });
    const res = await change(user, { old_password: 'old-password-1', new_password: 'new-password-2' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Password changed successfully' });
    expect(typeof body.token).toBe('string');
    expect(body.token).not.toBe(user.token);
    const me = await h.get(DETAILS, body.token);
    expect(me.statusCode).toBe(200);
    expect(me.json().data.user.id).toBe(user.id);
    expectNoSecrets(res, 'new-password-2');
    expectNoSecrets(res, 'old-password-1');
  });

  it('revokes the token used before the change', async () => {
    const user = await h.registerUser({ password: 'old-password-1' });
    const other = await h.post(LOGIN, { email: user.email, password: 'old-password-1' });
    expect(other.statusCode).toBe(200);
    const res = await change(user, { old_password: 'old-password-1', new_password: 'new-password-2' });
    expect(res.statusCode).toBe(200);
    expectUnauthenticated(await h.get(DETAILS, user.token));
    // every earlier token, not just the one that made the request
    expectUnauthenticated(await h.get(DETAILS, other.json().token));
  });

  it('makes the new password log in and the old one fail', async () => {
    const user = await h.registerUser({ password: 'old-password-1' });
    expect((await change(user, { old_password: 'old-password-1', new_password: 'new-password-2' })).statusCode).toBe(200);
    const fresh = await h.post(LOGIN, { email: user.email, password: 'new-password-2' });
    expect(fresh.statusCode).toBe(200);
    const stale = await h.post(LOGIN, { email: user.email, password: 'old-password-1' });
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('answers a wrong old_password with 401 "Invalid password provided, please check and try again" and keeps the password', async () => {
    const user = await h.registerUser({ password: 'old-password-1' });
    const res = await change(user, { old_password: 'wrong-password', new_password: 'new-password-2' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ status: false, message: 'Invalid password provided, please check and try again' });
    expect(typeof res.json().code).toBe('string');
    // nothing changed: the old password and the old token still work
    expect((await h.post(LOGIN, { email: user.email, password: 'old-password-1' })).statusCode).toBe(200);
    expect((await h.get(DETAILS, user.token)).statusCode).toBe(200);
  });

  it('answers missing fields with 422 "One or more required fields missing"', async () => {
    const user = await h.registerUser();
    const none = await change(user, {});
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({ status: false, message: MISSING, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(none).sort()).toEqual(['new_password', 'old_password']);

    const noNew = await change(user, { old_password: user.password });
    expect(noNew.statusCode).toBe(422);
    expect(noNew.json()).toMatchObject({ message: MISSING });
    expect(fieldsOf(noNew)).toEqual(['new_password']);

    const noOld = await change(user, { new_password: 'new-password-2' });
    expect(noOld.statusCode).toBe(422);
    expect(noOld.json()).toMatchObject({ message: MISSING });
    expect(fieldsOf(noOld)).toEqual(['old_password']);
  });

  it('refuses a new_password shorter than 8 characters with 422', async () => {
    const user = await h.registerUser();
    const res = await change(user, { old_password: user.password, new_password: 'short' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toEqual(['new_password']);
    expect((await h.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(200);
  });

  it('requires a token (401)', async () => {
    const user = await h.registerUser();
    const res = await h.post(CHANGE, { old_password: user.password, new_password: 'new-password-2' });
    expectUnauthenticated(res);
    expect((await h.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(200);
  });

  it('emails the user that the password was changed', async () => {
    const user = await h.registerUser({ password: 'old-password-1' });
    expect((await change(user, { old_password: 'old-password-1', new_password: 'new-password-2' })).statusCode).toBe(200);
    await h.deliver();
    const mail = h.mailer.last(user.email);
    expect(mail).toBeDefined();
    expect(mail!.subject).toMatch(/password was changed/i);
    expect(mail!.text).not.toContain('new-password-2');
  });
});

describe('per-account login lockout (LOGIN_MAX_FAILURES)', () => {
  it('locks the account with 429 and Retry-After after the allowed failures, even for the right password, until the window passes', async () => {
    const s = await h.sibling({ LOGIN_MAX_FAILURES: '3' });
    try {
      const user = await s.registerUser();
      for (let i = 0; i < 3; i++) {
        const res = await s.post(LOGIN, { email: user.email, password: `wrong-password-${i}` });
        expect(res.statusCode, `failure ${i + 1}`).toBe(401);
        expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      }
      const locked = await s.post(LOGIN, { email: user.email, password: user.password });
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      expect(locked.json().token).toBeUndefined();
      const retry = retryAfterOf(locked);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(900);

      // still locked a little later, with a smaller Retry-After
      s.clock.advance(10 * 60 * 1000);
      const stillLocked = await s.post(LOGIN, { email: user.email, password: user.password });
      expect(stillLocked.statusCode).toBe(429);
      expect(retryAfterOf(stillLocked)).toBeLessThanOrEqual(retry - 599);

      s.clock.advance(5 * 60 * 1000 + 1000);
      const after = await s.post(LOGIN, { email: user.email, password: user.password });
      expect(after.statusCode).toBe(200);
      expect(after.json()).toMatchObject({ status: true, message: 'Login successful' });
    } finally {
      await s.app.close();
    }
  });

  it('locks only the account that was guessed at, not others', async () => {
    const s = await h.sibling({ LOGIN_MAX_FAILURES: '3' });
    try {
      const victim = await s.registerUser();
      const bystander = await s.registerUser();
      for (let i = 0; i < 3; i++) await s.post(LOGIN, { email: victim.email, password: 'wrong-password' });
      expect((await s.post(LOGIN, { email: victim.email, password: victim.password })).statusCode).toBe(429);
      expect((await s.post(LOGIN, { email: bystander.email, password: bystander.password })).statusCode).toBe(200);
    } finally {
      await s.app.close();
    }
  });

  it('counts failures by phone against the same account', async () => {
    const s = await h.sibling({ LOGIN_MAX_FAILURES: '3' });
    try {
      const user = await s.registerUser({ phone: '5550003333' });
      await s.post(LOGIN, { phone: '5550003333', password: 'wrong-password' });
      await s.post(LOGIN, { email: user.email, password: 'wrong-password' });
      await s.post(LOGIN, { phone: '5550003333', password: 'wrong-password' });
      expect((await s.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(429);
    } finally {
      await s.app.close();
    }
  });

  it('counts failures within 15 minutes only: older failures do not add up to a lock', async () => {
    const s = await h.sibling({ LOGIN_MAX_FAILURES: '3' });
    try {
      const user = await s.registerUser();
      for (let i = 0; i < 2; i++) expect((await s.post(LOGIN, { email: user.email, password: 'wrong-password' })).statusCode).toBe(401);
      s.clock.advance(16 * 60 * 1000);
      for (let i = 0; i < 2; i++) {
        const res = await s.post(LOGIN, { email: user.email, password: 'wrong-password' });
        expect(res.statusCode, `failure ${i + 1} in the new window`).toBe(401);
      }
      // four failures in all, but only two in the last 15 minutes: under the limit of three
      const ok = await s.post(LOGIN, { email: user.email, password: user.password });
      expect(ok.statusCode, ok.body).toBe(200);
    } finally {
      await s.app.close();
    }
  });

  it('resets the failure count on a successful login', async () => {
    const s = await h.sibling({ LOGIN_MAX_FAILURES: '3' });
    try {
      const user = await s.registerUser();
      for (let i = 0; i < 2; i++) expect((await s.post(LOGIN, { email: user.email, password: 'wrong-password' })).statusCode).toBe(401);
      expect((await s.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(200);
      for (let i = 0; i < 2; i++) {
        const res = await s.post(LOGIN, { email: user.email, password: 'wrong-password' });
        expect(res.statusCode, `failure ${i + 1} after the reset`).toBe(401);
      }
      // the right password still works: two failures are under the limit of three
      expect((await s.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(200);
    } finally {
      await s.app.close();
    }
  });
});

describe('per-IP credential rate limit (RATE_LIMIT_PER_MINUTE)', () => {
  it('shares one budget across register, login and forgot-password, then answers 429 with Retry-After', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const email = uniqueEmail();
      const answers: number[] = [];
      answers.push((await s.post(REGISTER, { email, password: 'password-123', name: 'Rate Limited' })).statusCode);
      answers.push((await s.post(LOGIN, { email, password: 'password-123' })).statusCode);
      answers.push((await s.post('/api/v1/auth/forgot-password', { email })).statusCode);
      answers.push((await s.post('/api/auth/forgot-password', { email })).statusCode);
      answers.push((await s.post(LOGIN, { email, password: 'wrong-password' })).statusCode);
      expect(answers).toEqual([201, 200, 200, 200, 401]);

      const sixth = await s.post(REGISTER, { email: uniqueEmail(), password: 'password-123', name: 'Too Many' });
      expect(sixth.statusCode).toBe(429);
      expect(sixth.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      expect(typeof sixth.json().message).toBe('string');
      const retry = retryAfterOf(sixth);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
    } finally {
      await s.app.close();
    }
  });

  it('limits a single credential endpoint after the allowed number of requests', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '5' });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await s.post(LOGIN, { email: uniqueEmail(), password: 'password-123' });
        expect(res.statusCode, `request ${i + 1}`).toBe(401);
      }
      const sixth = await s.post(LOGIN, { email: uniqueEmail(), password: 'password-123' });
      expect(sixth.statusCode).toBe(429);
      expect(sixth.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      expect(retryAfterOf(sixth)).toBeGreaterThan(0);
    } finally {
      await s.app.close();
    }
  });

  it('counts per client IP: one address at the limit does not limit another', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const login = (remoteAddress: string) =>
        s.app.inject({ method: 'POST', url: LOGIN, payload: { email: uniqueEmail(), password: 'password-123' }, remoteAddress });
      expect((await login('10.0.0.1')).statusCode).toBe(401);
      expect((await login('10.0.0.1')).statusCode).toBe(401);
      const third = await login('10.0.0.1');
      expect(third.statusCode).toBe(429);
      expect(third.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      const other = await login('10.0.0.2');
      expect(other.statusCode, other.body).toBe(401);
    } finally {
      await s.app.close();
    }
  });

  it('does not limit non-credential endpoints', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const user = await s.registerUser(); // 1 credential request
      for (let i = 0; i < 10; i++) {
        expect((await s.get('/healthz')).statusCode, `healthz ${i + 1}`).toBe(200);
        expect((await s.get(DETAILS, user.token)).statusCode, `details ${i + 1}`).toBe(200);
      }
      // and they did not use up the credential budget either
      expect((await s.post(LOGIN, { email: user.email, password: user.password })).statusCode).toBe(200);
    } finally {
      await s.app.close();
    }
  });
});
