/**
 * The public catalogue in memory (plans service) with ETag / If-None-Match, and a plan change
 * visible on every instance: the one that made it at once, another one within a second.
 */
import { describe, expect, it } from 'vitest';
import { twoInstances } from './helpers/caches.js';
import { createPlan, rootSession } from './helpers/fixtures.js';
import { HNG, PUBLIC_PLANS } from './helpers/plans.js';

const instances = twoInstances();
const A = instances.a;
const B = instances.b;
const root = rootSession();

const names = (res: { json(): { data: { name: string }[] } }) => res.json().data.map((p) => p.name);

describe('ETag and If-None-Match', () => {
  it('answers the catalogue with an ETag, 304 and no body for a client that has it, 200 again once it changed', async () => {
    await createPlan(A(), await root.token(A()), { name: 'starter' });
    const first = await A().get(PUBLIC_PLANS);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(names(first)).toEqual(['starter']);
    expect(first.json()).toMatchObject({ status: true, message: 'Plans fetched successfully', meta: { page: 1, limit: 1, total: 1 } });

    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await A().request('GET', PUBLIC_PLANS, { headers: { 'if-none-match': header } });
      expect(again.statusCode, header).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
    }
    expect((await A().request('GET', PUBLIC_PLANS, { headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);

    await createPlan(A(), await root.token(A()), { name: 'growth' });
    const changed = await A().request('GET', PUBLIC_PLANS, { headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(names(changed).sort()).toEqual(['growth', 'starter']);
  });

  it('the body served from memory is the one the response schema makes (same as a fresh read)', async () => {
    await createPlan(A(), await root.token(A()), { name: 'starter' });
    const cached = await A().get(PUBLIC_PLANS);
    const fresh = await A().get(`${PUBLIC_PLANS}?category=general`);
    expect(cached.json()).toEqual(fresh.json());
  });

  it("HNG's simple list has its own ETag and 304", async () => {
    await createPlan(A(), await root.token(A()), { name: 'starter' });
    const first = await A().get(HNG);
    expect(first.statusCode).toBe(200);
    expect(first.json().data).toEqual([{ id: expect.any(String), name: 'starter', price: 10 }]);
    const again = await A().request('GET', HNG, { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });
});

describe('a plan change on every instance', () => {
  it('deactivating a plan on one instance drops it from the other instance within one second', async () => {
    const plan = await createPlan(A(), await root.token(A()), { name: 'starter' });
    expect(names(await B().get(PUBLIC_PLANS))).toEqual(['starter']);
    expect(names(await A().get(PUBLIC_PLANS))).toEqual(['starter']);
    const res = await A().post(`/api/subscription/admin/plans/${plan.id}/status`, { status: 'inactive' }, await root.token(A()));
    expect(res.statusCode, res.body).toBe(200);
    // the instance that made the change: at once
    expect(names(await A().get(PUBLIC_PLANS))).toEqual([]);
    const started = Date.now();
    while (names(await B().get(PUBLIC_PLANS)).length > 0) {
      expect(Date.now() - started).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
  });

  it("the suite's own reset empties the tables without a notification, and still no instance answers from memory", async () => {
    await createPlan(A(), await root.token(A()), { name: 'starter' });
    expect(names(await B().get(PUBLIC_PLANS))).toEqual(['starter']);
    await A().reset();
    expect(names(await B().get(PUBLIC_PLANS))).toEqual([]);
  });

  it('while the feed is down the catalogue is read from the database each time', async () => {
    await createPlan(A(), await root.token(A()), { name: 'starter' });
    expect(names(await B().get(PUBLIC_PLANS))).toEqual(['starter']);
    expect(names(await B().get(HNG))).toEqual(['starter']);
    await B().app.changes.stop();
    try {
      // a change no feed announces: memory still holds the old catalogue, and must not answer it
      await A().db.query("update plans set status = 'inactive'");
      expect(names(await B().get(PUBLIC_PLANS))).toEqual([]);
      expect(names(await B().get(HNG))).toEqual([]);
    } finally {
      await B().app.changes.start();
    }
  });
});
