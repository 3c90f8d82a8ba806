import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { purgeRateLimitHits } from '../src/http/rate-limit-store.js';
import { Harness, TEST_ENV, uniqueEmail } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** A credential request that is cheap and always 200: forgot-password for an unknown email. */
const forgot = (app: Harness) => app.post('/api/auth/forgot-password', { email: uniqueEmail('nobody') });

describe('the per-IP credential limit across instances', () => {
  it('with RATE_LIMIT_STORE=database, two instances share one budget per client, and the window resets', async () => {
    const env = { RATE_LIMIT_STORE: 'database', RATE_LIMIT_PER_MINUTE: '3' };
    const a = await h.sibling(env);
    const b = await h.sibling(env);
    try {
      expect((await forgot(a)).statusCode).toBe(200);
      expect((await forgot(b)).statusCode).toBe(200);
      expect((await forgot(a)).statusCode).toBe(200);
      const fourth = await forgot(b);
      expect(fourth.statusCode).toBe(429);
      expect(fourth.json()).toMatchObject({ status: false, code: 'RATE_LIMITED' });
      const retryAfter = Number(fourth.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await forgot(a)).statusCode).toBe(429);

      h.clock.advance(61_000);
      expect((await forgot(b)).statusCode).toBe(200);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });

  it('with the in-memory store each instance counts on its own (why the database store exists)', async () => {
    const env = { RATE_LIMIT_STORE: 'memory', RATE_LIMIT_PER_MINUTE: '2' };
    const a = await h.sibling(env);
    const b = await h.sibling(env);
    try {
      for (const app of [a, a, b, b]) expect((await forgot(app)).statusCode).toBe(200);
      expect((await forgot(a)).statusCode).toBe(429);
      expect((await forgot(b)).statusCode).toBe(429);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });

  it('the worker forgets counters whose window has passed', async () => {
    const a = await h.sibling({ RATE_LIMIT_STORE: 'database', RATE_LIMIT_PER_MINUTE: '3' });
    try {
      await forgot(a);
      const count = async () => (await h.db.query<{ n: number }>('select count(*)::int as n from rate_limit_hits')).rows[0]!.n;
      expect(await count()).toBe(1);
      expect(await purgeRateLimitHits(h.db, h.clock.now())).toBe(0);
      h.clock.advance(61_000);
      expect(await purgeRateLimitHits(h.db, h.clock.now())).toBe(1);
      expect(await count()).toBe(0);
    } finally {
      await a.app.close();
    }
  });
});

describe('RATE_LIMIT_STORE', () => {
  it('defaults to the database when DATABASE_URL is set (several instances) and to memory otherwise', () => {
    expect(loadConfig({ ...TEST_ENV }).rateLimitStore).toBe('memory');
    expect(loadConfig({ ...TEST_ENV, DATABASE_URL: 'postgres://x@127.0.0.1/db' }).rateLimitStore).toBe('database');
    expect(loadConfig({ ...TEST_ENV, DATABASE_URL: 'postgres://x@127.0.0.1/db', RATE_LIMIT_STORE: 'memory' }).rateLimitStore).toBe(
      'memory',
    );
    expect(() => loadConfig({ ...TEST_ENV, RATE_LIMIT_STORE: 'redis' })).toThrow(/RATE_LIMIT_STORE/);
  });
});
