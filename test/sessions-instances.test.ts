/**
 * Ending a session on one instance refuses its access tokens on another (each instance holds the
 * sessions it has seen alive in memory; the change feed tells it when one ends).
 */
import { describe, expect, it } from 'vitest';
import { twoInstances } from './helpers/caches.js';

const instances = twoInstances();
const A = instances.a;
const B = instances.b;
const PROFILE = '/api/v1/profile';

async function signedInOnBoth() {
  const user = await A().registerUser();
  const other = await A().post('/api/v1/auth/login', { email: user.email, password: user.password });
  expect(other.statusCode).toBe(200);
  await A().settle();
  await B().settle();
  // both instances have seen both sessions alive
  for (const h of [A(), B()]) {
    expect((await h.get(PROFILE, user.token)).statusCode).toBe(200);
    expect((await h.get(PROFILE, other.json().token)).statusCode).toBe(200);
  }
  return { user, other: other.json() as { token: string; refreshToken: string } };
}

describe('sessions across two instances', () => {
  it('a logout on one instance refuses the token on the other; the other session goes on', async () => {
    const { user, other } = await signedInOnBoth();
    expect((await A().post('/api/v1/auth/logout', {}, user.token)).statusCode).toBe(200);
    await B().settle();
    const res = await B().get(PROFILE, user.token);
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/session has ended/);
    expect((await B().get(PROFILE, other.token)).statusCode).toBe(200);
  });

  it('a reused refresh token detected on one instance signs the session out on the other', async () => {
    const { other } = await signedInOnBoth();
    const first = await B().post('/api/v1/auth/refresh', { refreshToken: other.refreshToken });
    expect(first.statusCode).toBe(200);
    A().clock.advance(11_000);
    B().clock.advance(11_000);
    expect((await A().post('/api/v1/auth/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(401);
    await B().settle();
    expect((await B().get(PROFILE, first.json().token)).statusCode).toBe(401);
  });
});
