/**
 * Sessions (issue 11): every sign-in is a session with a refresh token; refresh rotates it, a spent
 * token presented again after the grace ends the session; logout, the list of sessions, ending one,
 * admins over a user's sessions; revocation on password change and deactivation; idle and absolute
 * expiry; auth_time kept through refreshes. With the 15-minute access-token default.
 */
import { Writable } from 'node:stream';
import { decodeJwt } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminWith, bootstrapSuperadmin, countRows } from './helpers/fixtures.js';
import { Harness, type Response, uniqueEmail } from './helpers/harness.js';

const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

let h: Harness;
beforeAll(async () => {
  h = await Harness.create({ env: { ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TTL: '2h', SESSION_MAX_TTL: '5h' }, logger });
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.reset();
  logLines.length = 0;
});

const PROFILE = '/api/v1/profile';
const REFRESH = '/api/v1/auth/refresh';
const SESSIONS = '/api/v1/auth/sessions';
const PASSWORD = 'correct horse battery';

interface Pair {
  token: string;
  refreshToken: string;
}

async function signUp(userAgent = 'test-agent/1.0'): Promise<Pair & { id: string; email: string }> {
  const email = uniqueEmail('session');
  const res = await h.request('POST', '/api/v1/auth/register', {
    body: { name: 'Session User', email, password: PASSWORD },
    headers: { 'user-agent': userAgent },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { id: body.data.user.id, email, token: body.token, refreshToken: body.refreshToken };
}

async function login(email: string, userAgent = 'second-device/2.0'): Promise<Pair> {
  const res = await h.request('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD }, headers: { 'user-agent': userAgent } });
  expect(res.statusCode, res.body).toBe(200);
  return { token: res.json().token, refreshToken: res.json().refreshToken };
}

const refresh = (refreshToken: string): Promise<Response> => h.post(REFRESH, { refreshToken });

function expect401(res: Response, message?: RegExp): void {
  expect(res.statusCode, res.body).toBe(401);
  expect(res.json()).toMatchObject({ status: false, code: 'UNAUTHENTICATED' });
  if (message) expect(res.json().message).toMatch(message);
}

describe('a sign-in', () => {
  it('answers an access token with sid and auth_time, a 256-bit refresh token and expiresIn, in both places the seeds show the token', async () => {
    const user = await signUp();
    const res = await h.post('/api/v1/auth/login', { email: user.email, password: PASSWORD });
    const body = res.json();
    expect(body.token).toBe(body.data.token);
    expect(body.refreshToken).toBe(body.data.refreshToken);
    expect(Buffer.from(body.refreshToken, 'base64url')).toHaveLength(32);
    expect(body.expiresIn).toBe(15 * 60);
    const claims = decodeJwt(body.token);
    expect(claims.sid).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(claims.auth_time).toBe(claims.iat);
    expect((claims.exp as number) - (claims.iat as number)).toBe(15 * 60);
    // one session per sign-in: the registration's and this login's
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(2);
    // only the hash of a refresh token is stored
    expect(await countRows(h, 'refresh_tokens', 'token_hash = $1', [body.refreshToken])).toBe(0);
  });

  it('admins too: a session and a refresh token, refreshed at /api/v1/admin/refresh', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const res = await h.post('/api/v1/admin/login', { email: staff.email, password: staff.password });
    expect(res.statusCode, res.body).toBe(200);
    const { token, refreshToken, expiresIn } = res.json();
    expect(decodeJwt(token)).toMatchObject({ typ: 'admin', sid: expect.any(String) });
    expect(expiresIn).toBe(15 * 60);
    const next = await h.post('/api/v1/admin/refresh', { refreshToken });
    expect(next.statusCode, next.body).toBe(200);
    expect((await h.get(`/api/v1/admin/users/${root.id}/sessions`, next.json().token)).statusCode).toBe(404);
    expect((await h.get('/api/v1/admin/users', next.json().token)).statusCode).toBe(403); // manage_users alone
    // a user's refresh endpoint does not take an admin's refresh token, nor the reverse
    expect401(await refresh(next.json().refreshToken));
    const user = await signUp();
    expect401(await h.post('/api/v1/admin/refresh', { refreshToken: user.refreshToken }));
  });
});

describe('refresh', () => {
  it('trades a refresh token for a new pair; the old refresh token is spent; the new access token works', async () => {
    const user = await signUp();
    h.clock.advance(60_000);
    const res = await refresh(user.refreshToken);
    expect(res.statusCode, res.body).toBe(200);
    const pair = res.json();
    expect(pair.data).toEqual({ token: pair.token, refreshToken: pair.refreshToken, expiresIn: 15 * 60 });
    expect(pair.refreshToken).not.toBe(user.refreshToken);
    expect(decodeJwt(pair.token).sid).toBe(decodeJwt(user.token).sid);
    expect((await h.get(PROFILE, pair.token)).statusCode).toBe(200);
    // the new refresh token refreshes in turn
    h.clock.advance(60_000);
    expect((await refresh(pair.refreshToken)).statusCode).toBe(200);
  });

  it('within 10 s a spent token gets the same pair again (a client retry); after that it ends the whole session', async () => {
    const user = await signUp();
    const first = (await refresh(user.refreshToken)).json();
    h.clock.advance(5_000);
    const retry = await refresh(user.refreshToken);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().token).toBe(first.token);
    expect(retry.json().refreshToken).toBe(first.refreshToken);

    h.clock.advance(6_000); // 11 s after it was spent
    expect401(await refresh(user.refreshToken), /already used/);
    // theft detected: both holders are out, the legitimate successor too
    expect401(await refresh(first.refreshToken));
    expect401(await h.get(PROFILE, first.token), /session has ended/);
    expect401(await h.get(PROFILE, user.token), /session has ended/);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
  });

  it('two concurrent refreshes of the same token both get the same new pair, and only one successor exists', async () => {
    const user = await signUp();
    const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode, b.body).toBe(200);
    expect(a.json().refreshToken).toBe(b.json().refreshToken);
    expect(a.json().token).toBe(b.json().token);
    const sid = decodeJwt(user.token).sid as string;
    expect(await countRows(h, 'refresh_tokens', 'session_id = $1', [sid])).toBe(2);
    expect(await countRows(h, 'refresh_tokens', 'session_id = $1 and spent_at is null', [sid])).toBe(1);
  });

  it('refuses an unknown refresh token with 401, and a missing one with 422 naming the field', async () => {
    expect401(await refresh('A'.repeat(43)), /log in again/);
    const res = await h.post(REFRESH, {});
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('refreshToken');
  });

  it('keeps auth_time: a refreshed token is not a recent login, so an email change past REAUTH_WINDOW still asks for the password', async () => {
    const user = await signUp();
    const authTime = decodeJwt(user.token).auth_time;
    h.clock.advance(11 * 60_000); // past the default 10-minute REAUTH_WINDOW
    const fresh = (await refresh(user.refreshToken)).json();
    expect(decodeJwt(fresh.token).auth_time).toBe(authTime);
    expect(decodeJwt(fresh.token).iat).toBeGreaterThan(authTime as number);
    const res = await h.put('/api/profile', { email: uniqueEmail('moved') }, fresh.token);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('REAUTH_REQUIRED');
  });

  it('never writes a refresh token to the log', async () => {
    const user = await signUp();
    const next = (await refresh(user.refreshToken)).json();
    await refresh('not-a-real-refresh-token');
    const log = logLines.join('');
    expect(log).toContain('/api/v1/auth/refresh'); // the request lines are there
    expect(log).not.toContain(user.refreshToken);
    expect(log).not.toContain(next.refreshToken);
  });

  it('is a credential endpoint: the per-IP credential limit counts it', async () => {
    const limited = await Harness.create({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.post(REFRESH, { refreshToken: `nope-${i}` })).statusCode);
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('expiry', () => {
  it('ends a session unused for SESSION_IDLE_TTL', async () => {
    const user = await signUp();
    h.clock.advance(60 * 60_000);
    const kept = (await refresh(user.refreshToken)).json(); // used: the idle clock starts again
    h.clock.advance(2 * 60 * 60_000 + 1_000);
    expect401(await refresh(kept.refreshToken), /log in again/);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
  });

  it('ends a session SESSION_MAX_TTL after its sign-in however it is used, and no access token outlives it', async () => {
    const user = await signUp();
    let pair: Pair = user;
    for (let hour = 0; hour < 4; hour++) {
      h.clock.advance(60 * 60_000);
      const res = await refresh(pair.refreshToken);
      expect(res.statusCode, `refresh after ${hour + 1} h`).toBe(200);
      pair = res.json();
    }
    h.clock.advance(50 * 60_000); // 4 h 50 min: the last access token is capped at the 5-hour end
    const last = await refresh(pair.refreshToken);
    expect(last.statusCode).toBe(200);
    expect(last.json().expiresIn).toBe(10 * 60);
    h.clock.advance(10 * 60_000 + 1_000);
    expect401(await refresh(last.json().refreshToken));
    expect401(await h.get(PROFILE, last.json().token));
  });
});

describe('logout and the list of sessions', () => {
  it('logout ends this session only: its tokens are refused, the other device goes on', async () => {
    const user = await signUp();
    const other = await login(user.email);
    const res = await h.post('/api/v1/auth/logout', {}, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect401(await h.get(PROFILE, user.token), /session has ended/);
    expect401(await refresh(user.refreshToken));
    expect((await h.get(PROFILE, other.token)).statusCode).toBe(200);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
  });

  it('logout {"all": true} ends every session of the account', async () => {
    const user = await signUp();
    const other = await login(user.email);
    expect((await h.post('/api/v1/auth/logout', { all: true }, user.token)).statusCode).toBe(200);
    expect401(await h.get(PROFILE, other.token));
    expect401(await refresh(other.refreshToken));
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
  });

  it('lists the sessions with who, when and where, marking the current one; never a token', async () => {
    const user = await signUp('browser-one');
    const other = await login(user.email, 'phone-two');
    const res = await h.get(SESSIONS, other.token);
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json().data as {
      id: string;
      userAgent: string;
      ip: string;
      current: boolean;
      createdAt: string;
      lastUsedAt: string;
    }[];
    expect(list.map((s) => s.userAgent).sort()).toEqual(['browser-one', 'phone-two']);
    expect(list.filter((s) => s.current).map((s) => s.id)).toEqual([decodeJwt(other.token).sid]);
    expect(list.every((s) => s.ip && s.createdAt && s.lastUsedAt)).toBe(true);
    expect(res.body).not.toContain(user.refreshToken);
    expect(res.body).not.toContain(other.refreshToken);
  });

  it("DELETE /api/v1/auth/sessions/:id ends one of the caller's sessions; another account's session is 404", async () => {
    const user = await signUp();
    const other = await login(user.email);
    const otherSid = decodeJwt(other.token).sid as string;
    const stranger = await signUp();
    expect((await h.delete(`${SESSIONS}/${decodeJwt(stranger.token).sid}`, user.token)).statusCode).toBe(404);
    expect((await h.get(PROFILE, stranger.token)).statusCode).toBe(200);
    const res = await h.delete(`${SESSIONS}/${otherSid}`, user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect401(await h.get(PROFILE, other.token));
    expect((await h.get(SESSIONS, user.token)).json().data.map((s: { id: string }) => s.id)).toEqual([decodeJwt(user.token).sid]);
    expect((await h.delete(`${SESSIONS}/${otherSid}`, user.token)).statusCode).toBe(404);
  });
});

describe('what ends every session', () => {
  it('a password change: every other session ends, the one that made it goes on with a fresh access token', async () => {
    const user = await signUp();
    const other = await login(user.email);
    const res = await h.post('/api/v1/auth/change-password', { old_password: PASSWORD, new_password: 'another long password' }, user.token);
    expect(res.statusCode, res.body).toBe(200);
    const fresh = res.json().token as string;
    expect(decodeJwt(fresh).sid).toBe(decodeJwt(user.token).sid);
    expect(decodeJwt(fresh).auth_time).toBeGreaterThanOrEqual(decodeJwt(user.token).auth_time as number);
    expect401(await h.get(PROFILE, user.token), /revoked/);
    expect401(await h.get(PROFILE, other.token));
    expect401(await refresh(other.refreshToken));
    // the session that changed it keeps its refresh token
    const next = await refresh(user.refreshToken);
    expect(next.statusCode, next.body).toBe(200);
    expect((await h.get(PROFILE, next.json().token)).statusCode).toBe(200);
  });

  it('deactivation by an admin ends every session; the admin can list and end them, audited', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const user = await signUp();
    await login(user.email);
    const listed = await h.get(`/api/v1/admin/users/${user.id}/sessions`, staff.token);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().data).toHaveLength(2);
    expect((await h.post(`/api/v1/admin/users/${user.id}/deactivate`, {}, staff.token)).statusCode).toBe(200);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
    expect401(await refresh(user.refreshToken));
    expect((await h.get(`/api/v1/admin/users/${user.id}/sessions`, staff.token)).json().data).toEqual([]);
  });

  it('an admin ending all sessions signs the user out everywhere and audits it', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const user = await signUp();
    const other = await login(user.email);
    const res = await h.delete(`/api/v1/admin/users/${user.id}/sessions`, staff.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.ended).toBe(2);
    for (const t of [user.token, other.token]) expect401(await h.get(PROFILE, t));
    expect(await countRows(h, 'audit_log', "action = 'user.sessions_end' and target_id = $1", [user.id])).toBe(1);
    // the user signs in again as usual
    expect((await h.get(PROFILE, (await login(user.email)).token)).statusCode).toBe(200);
  });

  it('a password reset by emailed code ends every session', async () => {
    const user = await signUp();
    const other = await login(user.email);
    expect((await h.post('/api/v1/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    const otp = await h.otpFor(user.email);
    const reset = await h.post('/api/v1/auth/reset-password', { email: user.email, otp, newPassword: 'a reset long password' });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
    for (const pair of [user, other]) {
      expect401(await refresh(pair.refreshToken));
      expect401(await h.get(PROFILE, pair.token));
    }
  });

  it('deletion of the account ends its sessions', async () => {
    const user = await signUp();
    const res = await h.request('DELETE', PROFILE, { token: user.token, body: { password: PASSWORD } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
    expect401(await refresh(user.refreshToken));
  });

  it('the worker sweeps sessions past either end', async () => {
    const user = await signUp();
    await login(user.email);
    h.clock.advance(2 * 60 * 60_000 + 1_000);
    expect(await h.app.sessions.sweep()).toBe(2);
    expect(await countRows(h, 'sessions', 'account_id = $1', [user.id])).toBe(0);
  });
});
