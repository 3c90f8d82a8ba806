import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fieldsOf } from './helpers/fixtures.js';
import { Harness, type TestUser, uniqueEmail } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const FORGOT = '/api/v1/auth/forgot-password';
const RESET = '/api/v1/auth/reset-password';
const FORGOT_DOCUMENTED = '/api/auth/forgot-password';
const RESET_DOCUMENTED = '/api/auth/reset-password';
const NEW_PASSWORD = 'a brand new password';
const TEN_MINUTES = 10 * 60 * 1000;

/** A six-digit code that is certainly not `otp`. */
function wrongOtp(otp: string, offset = 1): string {
  return ((Number(otp) + offset) % 1_000_000).toString().padStart(6, '0');
}

async function requestOtp(user: TestUser, path = FORGOT): Promise<string> {
  const res = await h.post(path, { email: user.email });
  expect(res.statusCode).toBe(200);
  return h.otpFor(user.email);
}

async function loginStatus(email: string, password: string): Promise<number> {
  return (await h.post('/api/v1/auth/login', { email, password })).statusCode;
}

describe('forgot-password', () => {
  it('answers a registered and an unknown email identically, and emails only the registered one', async () => {
    const user = await h.registerUser();
    const unknown = uniqueEmail('nobody');

    const known = await h.post(FORGOT, { email: user.email });
    const missing = await h.post(FORGOT, { email: unknown });

    expect(known.statusCode).toBe(200);
    expect(missing.statusCode).toBe(200);
    expect(known.json()).toEqual(missing.json());
    expect(known.json()).toMatchObject({ status: true });
    expect(typeof known.json().message).toBe('string');

    await h.deliver();
    expect(h.mailer.to(user.email)).toHaveLength(1);
    expect(h.mailer.to(unknown)).toHaveLength(0);
    expect(h.mailer.sent).toHaveLength(1);
  });

  it('is served at the documented /api/auth/forgot-password spelling too', async () => {
    const user = await h.registerUser();
    const res = await h.post(FORGOT_DOCUMENTED, { email: user.email });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: true });
    await h.deliver();
    expect(h.mailer.to(user.email)).toHaveLength(1);
  });

  it('rejects a missing email with 422 naming email', async () => {
    const res = await h.post(FORGOT, {});
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('email');
  });

  it('rejects an invalid email with 422 naming email', async () => {
    const res = await h.post(FORGOT_DOCUMENTED, { email: 'not-an-email' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('email');
  });

  it('emails exactly one 6-digit code, never returns it, and stores it only hashed', async () => {
    const user = await h.registerUser();
    const res = await h.post(FORGOT, { email: user.email });
    expect(res.statusCode).toBe(200);

    await h.deliver();
    const mails = h.mailer.to(user.email);
    expect(mails).toHaveLength(1);
    const codes = mails[0]!.text.match(/\d{6,}/g) ?? [];
    expect(codes).toHaveLength(1);
    const otp = codes[0]!;
    expect(otp).toMatch(/^\d{6}$/);

    expect(res.body).not.toContain(otp);

    const { rows } = await h.db.query<{ otp_hash: string }>('select otp_hash from password_reset_otps');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.otp_hash).not.toBe(otp);
    expect(rows[0]!.otp_hash).not.toContain(otp);

    const reset = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(reset.statusCode).toBe(200);
    expect(reset.body).not.toContain(otp);
  });

  it('sends no code to a deactivated account but answers the same as for an active one', async () => {
    const active = await h.registerUser();
    const deactivated = await h.registerUser();
    await h.db.query("update users set status = 'deactivated' where id = $1", [deactivated.id]);
    await h.settle();

    const a = await h.post(FORGOT, { email: active.email });
    const d = await h.post(FORGOT, { email: deactivated.email });
    expect(d.statusCode).toBe(a.statusCode);
    expect(d.json()).toEqual(a.json());

    await h.deliver();
    expect(h.mailer.to(active.email)).toHaveLength(1);
    expect(h.mailer.to(deactivated.email)).toHaveLength(0);
    const { rows } = await h.db.query('select 1 from password_reset_otps where user_id = $1', [deactivated.id]);
    expect(rows).toHaveLength(0);
  });

  it('takes at least FORGOT_PASSWORD_MIN_MS whether or not the email is registered', async () => {
    const s = await h.sibling({ FORGOT_PASSWORD_MIN_MS: '300' });
    try {
      const user = await h.registerUser();
      for (const email of [user.email, uniqueEmail('nobody')]) {
        const started = performance.now();
        const res = await s.post(FORGOT, { email });
        expect(res.statusCode).toBe(200);
        expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      }
    } finally {
      await s.app.close();
    }
  });
});

describe('reset-password', () => {
  it('sets the new password, revokes older tokens and emails a "password changed" notice', async () => {
    const user = await h.registerUser();
    const second = await h.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(second.statusCode).toBe(200);
    const olderTokens = [user.token, second.json().token as string];
    for (const t of olderTokens) expect((await h.get('/api/users/details', t)).statusCode).toBe(200);

    const otp = await requestOtp(user, FORGOT_DOCUMENTED);
    h.mailer.clear();
    const res = await h.post(RESET_DOCUMENTED, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: true });

    expect(await loginStatus(user.email, NEW_PASSWORD)).toBe(200);
    expect(await loginStatus(user.email, user.password)).toBe(401);

    for (const t of olderTokens) {
      const details = await h.get('/api/users/details', t);
      expect(details.statusCode).toBe(401);
    }

    await h.deliver();
    const notices = h.mailer.to(user.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.subject).toMatch(/password was changed/i);
  });

  it('accepts the email in any letter case', async () => {
    const user = await h.registerUser();
    const res = await h.post(FORGOT, { email: user.email.toUpperCase() });
    expect(res.statusCode).toBe(200);
    const otp = await h.otpFor(user.email);
    const reset = await h.post(RESET, { email: user.email.toUpperCase(), otp, newPassword: NEW_PASSWORD });
    expect(reset.statusCode).toBe(200);
    expect(await loginStatus(user.email, NEW_PASSWORD)).toBe(200);
  });

  it('refuses a wrong OTP with 400 INVALID_TOKEN and leaves the password unchanged', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    h.mailer.clear();

    const res = await h.post(RESET, { email: user.email, otp: wrongOtp(otp), newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });

    expect(await loginStatus(user.email, user.password)).toBe(200);
    expect(await loginStatus(user.email, NEW_PASSWORD)).toBe(401);
    expect((await h.get('/api/users/details', user.token)).statusCode).toBe(200);
    await h.deliver();
    expect(h.mailer.to(user.email)).toHaveLength(0);
  });

  it('burns the OTP after 5 wrong tries: the right one is then refused', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    for (let i = 1; i <= 5; i++) {
      const res = await h.post(RESET, { email: user.email, otp: wrongOtp(otp, i), newPassword: NEW_PASSWORD });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_TOKEN');
    }
    const res = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect(await loginStatus(user.email, user.password)).toBe(200);
  });

  it('still accepts the right OTP after 4 wrong tries', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    for (let i = 1; i <= 4; i++) {
      const res = await h.post(RESET, { email: user.email, otp: wrongOtp(otp, i), newPassword: NEW_PASSWORD });
      expect(res.statusCode).toBe(400);
    }
    const res = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(await loginStatus(user.email, NEW_PASSWORD)).toBe(200);
  });

  it('refuses an OTP older than 10 minutes', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    h.clock.advance(TEN_MINUTES + 1000);
    const res = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect(await loginStatus(user.email, user.password)).toBe(200);
  });

  it('accepts an OTP 9 minutes old', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    h.clock.advance(9 * 60 * 1000);
    const res = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(200);
  });

  it('accepts an OTP only once', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    const first = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(first.statusCode).toBe(200);
    const second = await h.post(RESET, { email: user.email, otp, newPassword: 'yet another password' });
    expect(second.statusCode).toBe(400);
    expect(second.json().code).toBe('INVALID_TOKEN');
    expect(await loginStatus(user.email, NEW_PASSWORD)).toBe(200);
    expect(await loginStatus(user.email, 'yet another password')).toBe(401);
  });

  it('replaces the previous OTP when a new one is requested', async () => {
    const user = await h.registerUser();
    const first = await requestOtp(user);
    h.mailer.clear();
    let second = await requestOtp(user);
    // a 1-in-a-million collision would make the test meaningless, not wrong: ask again
    while (second === first) {
      h.mailer.clear();
      second = await requestOtp(user);
    }

    const old = await h.post(RESET, { email: user.email, otp: first, newPassword: NEW_PASSWORD });
    expect(old.statusCode).toBe(400);
    expect(old.json().code).toBe('INVALID_TOKEN');

    const res = await h.post(RESET, { email: user.email, otp: second, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(200);
  });

  it('rejects an otp that is not 6 digits with 422 naming otp', async () => {
    const user = await h.registerUser();
    for (const otp of ['12345', '1234567', 'abcdef', '']) {
      const res = await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD });
      expect(res.statusCode, `otp ${JSON.stringify(otp)}`).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(res)).toContain('otp');
    }
  });

  it('rejects a newPassword shorter than 8 characters with 422 naming newPassword', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    const res = await h.post(RESET, { email: user.email, otp, newPassword: 'short' });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('newPassword');
    // the refused request did not use up the OTP
    expect((await h.post(RESET, { email: user.email, otp, newPassword: NEW_PASSWORD })).statusCode).toBe(200);
  });

  it('rejects a request with every field missing with 422 naming each', async () => {
    const res = await h.post(RESET_DOCUMENTED, {});
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res).sort()).toEqual(['email', 'newPassword', 'otp']);
  });

  it('answers an unknown email like a wrong OTP: 400 INVALID_TOKEN', async () => {
    const user = await h.registerUser();
    const otp = await requestOtp(user);
    const wrong = await h.post(RESET, { email: user.email, otp: wrongOtp(otp), newPassword: NEW_PASSWORD });
    const unknown = await h.post(RESET, { email: uniqueEmail('nobody'), otp: '123456', newPassword: NEW_PASSWORD });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('refuses a reset for an account that never asked for a code', async () => {
    const user = await h.registerUser();
    const res = await h.post(RESET, { email: user.email, otp: '123456', newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect(await loginStatus(user.email, user.password)).toBe(200);
  });
});

describe('rate limit on the reset endpoints', () => {
  it('answers the 4th forgot-password within a minute with 429 and Retry-After when the limit is 3', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const email = uniqueEmail('nobody');
      for (let i = 0; i < 3; i++) expect((await s.post(FORGOT, { email })).statusCode).toBe(200);
      const res = await s.post(FORGOT, { email });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    } finally {
      await s.app.close();
    }
  });

  it('counts both spellings of forgot-password against one per-IP limit (not N per spelling)', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const email = uniqueEmail('nobody');
      expect((await s.post(FORGOT_DOCUMENTED, { email })).statusCode).toBe(200);
      expect((await s.post(FORGOT, { email })).statusCode).toBe(200);
      expect((await s.post(FORGOT_DOCUMENTED, { email })).statusCode).toBe(200);
      const res = await s.post(FORGOT, { email });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await s.app.close();
    }
  });

  it('counts forgot-password and reset-password against one shared per-IP limit', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const email = uniqueEmail('nobody');
      expect((await s.post(FORGOT, { email })).statusCode).toBe(200);
      expect((await s.post(FORGOT, { email })).statusCode).toBe(200);
      expect((await s.post(RESET, { email, otp: '123456', newPassword: NEW_PASSWORD })).statusCode).toBe(400);
      const res = await s.post(RESET, { email, otp: '123456', newPassword: NEW_PASSWORD });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await s.app.close();
    }
  });

  it('limits the admin-link reset (POST /api/admin/users/reset-password) per IP too', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await s.post('/api/admin/users/reset-password', { token: 'x', newPassword: 'long enough pw' });
        expect(res.statusCode, `attempt ${i + 1}: ${res.body}`).toBe(400);
      }
      const res = await s.post('/api/admin/users/reset-password', { token: 'x', newPassword: 'long enough pw' });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await s.app.close();
    }
  });

  it('limits reset-password attempts per IP too', async () => {
    const s = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const email = uniqueEmail('nobody');
      for (let i = 0; i < 3; i++) {
        expect((await s.post(RESET_DOCUMENTED, { email, otp: '123456', newPassword: NEW_PASSWORD })).statusCode).toBe(400);
      }
      const res = await s.post(RESET_DOCUMENTED, { email, otp: '123456', newPassword: NEW_PASSWORD });
      expect(res.statusCode).toBe(429);
      expect(res.json().code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await s.app.close();
    }
  });
});
