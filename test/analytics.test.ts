import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS } from '../src/modules/admins/permissions.js';
import { adminWith, createPlan, fieldsOf, rootToken, subscribed } from './helpers/fixtures.js';
import { Harness, type TestUser } from './helpers/harness.js';

/**
 * The admins' analytics (issue 13): five read-only figures behind view_analytics. Each test seeds
 * a known set of accounts, plans and subscriptions through the API, moving the test clock to place
 * them on given UTC days, and checks every number of the answer. The token checks over every admin
 * route are in admin-guard*.test.ts (its fixtures: helpers/admin-guard-fixtures.ts).
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const BASE = '/api/v1/admin/analytics';
const ENDPOINTS = ['signups', 'accounts', 'subscriptions', 'revenue', 'upcoming'] as const;
/** "today" of every test: a Saturday in June, mid-morning UTC */
const NOW = '2030-06-15T10:00:00.000Z';

const at = (iso: string) => h.clock.set(new Date(iso));

/** An admin holding only view_analytics, logged in at the clock's time (tokens live an hour of the test clock). */
async function analystNow(): Promise<string> {
  return (await adminWith(h, ['view_analytics'])).token;
}

/** The same, with the clock set to NOW first. */
async function analyst(): Promise<string> {
  at(NOW);
  return analystNow();
}

async function fetchData(token: string, path: string): Promise<any> {
  const res = await h.get(`${BASE}/${path}`, token);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ status: true, message: expect.any(String) });
  return res.json().data;
}

/** `count` UTC days from `first` (YYYY-MM-DD), each `{date, ...zeros}` unless `counts` has it. */
function days<T extends object>(first: string, count: number, zeros: T, counts: Record<string, Partial<T>>) {
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
    return { date, ...zeros, ...counts[date] };
  });
}

/** A parent registered at `iso` (its token issued then). */
async function parentAt(iso: string): Promise<TestUser> {
  at(iso);
  return h.registerUser();
}

async function adminOk(method: 'POST' | 'DELETE', url: string, token: string): Promise<void> {
  const res = await h.request(method, url, { token });
  expect(res.statusCode, res.body).toBe(200);
}

describe('GET /admin/analytics/signups', () => {
  /** Parents and children on given UTC days (their edges to the millisecond); one parent deleted with its child. */
  async function seed(): Promise<void> {
    await parentAt('2030-05-16T23:59:59.999Z'); // the day before a 30-day window
    await parentAt('2030-05-17T00:00:00.000Z'); // the first day of it
    const a = await parentAt('2030-06-10T08:00:00.000Z');
    await h.createChild(a);
    const b = await parentAt('2030-06-10T12:00:00.000Z');
    await h.createChild(b);
    await parentAt('2030-06-10T23:59:59.999Z');
    await parentAt('2030-06-14T23:59:59.999Z');
    const c = await parentAt('2030-06-15T00:00:00.000Z');
    await h.createChild(c);
    await h.createChild(c);
    await parentAt('2030-06-15T09:59:00.000Z');
    at(NOW);
    // deleting an account removes its row and its children's: they are no longer counted
    await adminOk('DELETE', `/api/v1/admin/users/${a.id}`, await rootToken(h));
  }

  const SEEDED = {
    '2030-05-17': { signups: 1 },
    '2030-06-10': { signups: 2, children: 1 },
    '2030-06-14': { signups: 1 },
    '2030-06-15': { signups: 2, children: 2 },
  };
  const ZERO = { signups: 0, children: 0 };

  it('30 days by default, up to today: each UTC day from/to inclusive, oldest first, zeros filled, deleted accounts gone', async () => {
    await seed();
    const token = await analyst();
    const data = await fetchData(token, 'signups');
    expect(data).toEqual({ days: 30, from: '2030-05-17', to: '2030-06-15', series: days('2030-05-17', 30, ZERO, SEEDED) });
    expect(data.series).toHaveLength(30);
    expect(data.series.reduce((n: number, d: { signups: number }) => n + d.signups, 0)).toBe(6);
  });

  it('days=1, 31 and 366 move the window; days are UTC whatever the session time zone', async () => {
    await seed();
    const token = await analyst();
    expect(await fetchData(token, 'signups?days=1')).toEqual({
      days: 1,
      from: '2030-06-15',
      to: '2030-06-15',
      series: [{ date: '2030-06-15', signups: 2, children: 2 }],
    });
    const d31 = await fetchData(token, 'signups?days=31');
    expect(d31).toEqual({
      days: 31,
      from: '2030-05-16',
      to: '2030-06-15',
      series: days('2030-05-16', 31, ZERO, { ...SEEDED, '2030-05-16': { signups: 1 } }),
    });
    // 366 days back from a day in 2030 (no 29 February in between)
    const year = await fetchData(token, 'signups?days=366');
    expect(year).toMatchObject({ days: 366, from: '2029-06-15', to: '2030-06-15' });
    expect(year.series).toEqual(days('2029-06-15', 366, ZERO, { ...SEEDED, '2030-05-16': { signups: 1 } }));

    // a session far east of UTC: 23:59:59.999 UTC is already the next day there (embedded database:
    // the app's one connection; on a server, one connection of the pool)
    await h.db.query(`set timezone = 'Pacific/Kiritimati'`);
    try {
      expect((await fetchData(token, 'signups?days=31')).series).toEqual(d31.series);
    } finally {
      await h.db.query('set timezone = default');
    }
  });

  it('the window follows the clock: the next day, 30 days no longer reach 17 May', async () => {
    await seed();
    at('2030-06-16T00:30:00.000Z');
    const data = await fetchData(await analystNow(), 'signups');
    expect(data).toMatchObject({ from: '2030-05-18', to: '2030-06-16' });
    const { '2030-05-17': _gone, ...rest } = SEEDED;
    expect(data.series).toEqual(days('2030-05-18', 30, ZERO, rest));
  });
});

describe('GET /admin/analytics/accounts', () => {
  it('counts every account by status and role, each key present even at 0; deactivation moves one, deletion removes one', async () => {
    const token = await analyst();
    const empty = await fetchData(token, 'accounts');
    expect(empty).toEqual({ total: 0, byStatus: { active: 0, deactivated: 0 }, byRole: { parent: 0, child: 0 } });

    const root = await rootToken(h);
    const [p1, p2, p3, gone] = [await h.registerUser(), await h.registerUser(), await h.registerUser(), await h.registerUser()];
    const c1 = await h.createChild(p1);
    await h.createChild(p1);
    await h.createChild(p2);
    await h.createChild(gone);
    await adminOk('POST', `/api/v1/admin/users/${p3.id}/deactivate`, root);
    await adminOk('POST', `/api/v1/admin/users/${c1.id}/deactivate`, root);
    await adminOk('DELETE', `/api/v1/admin/users/${gone.id}`, root);

    expect(await fetchData(token, 'accounts')).toEqual({
      total: 6,
      byStatus: { active: 4, deactivated: 2 },
      byRole: { parent: 3, child: 3 },
    });
    await adminOk('POST', `/api/v1/admin/users/${p3.id}/reactivate`, root);
    expect((await fetchData(token, 'accounts')).byStatus).toEqual({ active: 5, deactivated: 1 });
  });

  it('byStatus has one key per status the users table can hold (its check constraint)', async () => {
    const { rows } = await h.db.query<{ def: string }>(
      `select pg_get_constraintdef(oid) as def from pg_constraint
       where conrelid = 'users'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%status%'`,
    );
    expect(rows).toHaveLength(1);
    const statuses = [...rows[0]!.def.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]).sort();
    const data = await fetchData(await analyst(), 'accounts');
    expect(Object.keys(data.byStatus).sort()).toEqual(statuses);
  });
});

/**
 * The subscriptions of the last two describes, at NOW: gold (29.99 / 299.99 USD) with one monthly,
 * one yearly and one cancelled-but-live; silver (free, USD) with one active, and one cancelled whose
 * period ended 5 days ago (not live, though the worker has not expired it yet); bronze (9.99 / 99.99 EUR)
 * with one yearly; trial (USD) with one ended at once (expired).
 */
async function seedSubscriptions() {
  at('2030-05-11T10:00:00.000Z');
  const root0 = await rootToken(h);
  const usd = (monthly: number, yearly: number) => ({
    monthly: { amount: monthly, currency: 'USD' },
    yearly: { amount: yearly, currency: 'USD' },
  });
  const gold = await createPlan(h, root0, { name: 'gold', price: usd(29.99, 299.99) });
  const silver = await createPlan(h, root0, { name: 'silver', price: { monthly: { amount: 0, currency: 'USD' } } });
  const bronze = await createPlan(h, root0, {
    name: 'bronze',
    price: { monthly: { amount: 9.99, currency: 'EUR' }, yearly: { amount: 99.99, currency: 'EUR' } },
  });
  const trial = await createPlan(h, root0, { name: 'trial', price: usd(1, 10) });
  // subscribed 11 May, cancelled: its period ended 11 June
  const lapsed = await h.registerUser();
  await subscribed(h, lapsed, silver.id);
  await cancel(lapsed);

  at(NOW);
  for (const cycle of ['monthly', 'yearly']) await subscribed(h, await h.registerUser(), gold.id, cycle);
  const leaving = await h.registerUser();
  await subscribed(h, leaving, gold.id, 'yearly');
  await cancel(leaving);
  await subscribed(h, await h.registerUser(), silver.id);
  await subscribed(h, await h.registerUser(), bronze.id, 'yearly');
  const ended = await h.registerUser();
  await subscribed(h, ended, trial.id);
  await cancel(ended, true);
  return { gold, silver, bronze, trial };
}

async function cancel(user: TestUser, immediately = false): Promise<void> {
  const res = await h.post('/api/v1/users/subscription/cancel', { reason: 'test', immediately }, user.token);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().data.status).toBe(immediately ? 'expired' : 'canceled');
}

describe('GET /admin/analytics/subscriptions', () => {
  it('live subscriptions per plan (active + cancelled inside the period), by total then name; ended and expired ones left out', async () => {
    const token = await analyst();
    expect(await fetchData(token, 'subscriptions')).toEqual({ total: 0, plans: [] });
    const { gold, silver, bronze } = await seedSubscriptions();
    expect(await fetchData(token, 'subscriptions')).toEqual({
      total: 5,
      plans: [
        { planId: gold.id, name: 'gold', active: 2, canceled: 1, total: 3 },
        { planId: bronze.id, name: 'bronze', active: 1, canceled: 0, total: 1 },
        { planId: silver.id, name: 'silver', active: 1, canceled: 0, total: 1 },
      ],
    });
  });

  it('a cancelled one counts until its period ends; a deleted plan keeps its live subscriptions', async () => {
    const { gold } = await seedSubscriptions();
    const token = await analyst();
    const res = await h.delete(`/api/v1/admin/plans/${gold.id}`, await rootToken(h));
    expect(res.statusCode, res.body).toBe(200);
    expect((await fetchData(token, 'subscriptions')).plans[0]).toEqual({ planId: gold.id, name: 'gold', active: 2, canceled: 1, total: 3 });
    // the cancelled gold subscription's (yearly) period ends 15 June 2031; the monthly ones renew unseen
    at('2031-06-15T09:59:59.999Z');
    const before = await fetchData(await analystNow(), 'subscriptions');
    expect(before.plans.find((p: { name: string }) => p.name === 'gold')).toMatchObject({ active: 2, canceled: 1, total: 3 });
    at('2031-06-15T10:00:00.000Z');
    const after = await fetchData(await analystNow(), 'subscriptions');
    expect(after.plans.find((p: { name: string }) => p.name === 'gold')).toMatchObject({ active: 2, canceled: 0, total: 2 });
    expect(after.total).toBe(4);
  });
});

describe('GET /admin/analytics/revenue', () => {
  it('MRR per currency from active subscriptions: monthly price, yearly ÷ 12 rounded to the cent; free ones count and add 0', async () => {
    const token = await analyst();
    expect(await fetchData(token, 'revenue')).toEqual({ currencies: [] });
    await seedSubscriptions();
    expect(await fetchData(token, 'revenue')).toEqual({
      currencies: [
        // 99.99 / 12 = 8.3325
        { currency: 'EUR', mrr: 8.33, subscriptions: 1 },
        // 29.99 + 299.99 / 12 (24.999166…) + 0 = 54.989166…; the cancelled gold, ended silver and expired trial add nothing
        { currency: 'USD', mrr: 54.99, subscriptions: 3 },
      ],
    });
  });

  it('sums before it rounds, in the currency of the cycle’s price', async () => {
    at(NOW);
    const root = await rootToken(h);
    // 0.06 a year is half a cent a month: one rounds up to a cent; two are exactly a cent (not two half cents rounded up each)
    const tiny = await createPlan(h, root, {
      name: 'tiny',
      price: { monthly: { amount: 5, currency: 'GBP' }, yearly: { amount: 0.06, currency: 'CHF' } },
    });
    await subscribed(h, await h.registerUser(), tiny.id, 'yearly');
    const token = await analyst();
    expect((await fetchData(token, 'revenue')).currencies).toEqual([{ currency: 'CHF', mrr: 0.01, subscriptions: 1 }]);
    await subscribed(h, await h.registerUser(), tiny.id, 'yearly');
    await subscribed(h, await h.registerUser(), tiny.id, 'monthly');
    expect((await fetchData(token, 'revenue')).currencies).toEqual([
      { currency: 'CHF', mrr: 0.01, subscriptions: 2 },
      { currency: 'GBP', mrr: 5, subscriptions: 1 },
    ]);
  });
});

describe('GET /admin/analytics/upcoming', () => {
  /** Subscribes a new user at `iso` (monthly unless told), cancelling at period end when `cancelled`. */
  async function subscribedAt(iso: string, planId: string, options: { cycle?: string; cancelled?: boolean } = {}) {
    const user = await parentAt(iso);
    await subscribed(h, user, planId, options.cycle ?? 'monthly');
    if (options.cancelled) await cancel(user);
  }

  it('renewals (active) and expiries (cancelled) per UTC day of the period end, today first, zeros filled', async () => {
    at('2029-01-01T00:00:00.000Z');
    const plan = await createPlan(h, await rootToken(h));
    await subscribedAt('2029-06-16T07:00:00.000Z', plan.id, { cycle: 'yearly' }); // renews 16 June 2030
    await subscribedAt('2030-05-15T03:00:00.000Z', plan.id); // due today at 03:00, not yet renewed by the worker
    await subscribedAt('2030-05-15T23:59:59.999Z', plan.id); // today's last millisecond
    await subscribedAt('2030-05-17T08:00:00.000Z', plan.id);
    await subscribedAt('2030-05-17T09:00:00.000Z', plan.id, { cancelled: true });
    await subscribedAt('2030-05-20T12:00:00.000Z', plan.id, { cancelled: true });
    await subscribedAt('2030-05-21T23:59:59.999Z', plan.id); // the last day of 7
    await subscribedAt('2030-05-22T00:00:00.000Z', plan.id, { cancelled: true }); // the first day after 7
    await subscribedAt('2030-05-14T12:00:00.000Z', plan.id, { cancelled: true }); // ended yesterday: not upcoming
    await subscribedAt('2030-06-15T09:00:00.000Z', plan.id); // renews 15 July
    const token = await analyst();

    const ZERO = { renewals: 0, expiries: 0 };
    const SEEDED = {
      '2030-06-15': { renewals: 2 },
      '2030-06-16': { renewals: 1 },
      '2030-06-17': { renewals: 1, expiries: 1 },
      '2030-06-20': { expiries: 1 },
      '2030-06-21': { renewals: 1 },
    };
    expect(await fetchData(token, 'upcoming')).toEqual({ days: 7, series: days('2030-06-15', 7, ZERO, SEEDED) });
    expect(await fetchData(token, 'upcoming?days=8')).toEqual({
      days: 8,
      series: days('2030-06-15', 8, ZERO, { ...SEEDED, '2030-06-22': { expiries: 1 } }),
    });
    expect(await fetchData(token, 'upcoming?days=1')).toEqual({ days: 1, series: [{ date: '2030-06-15', renewals: 2, expiries: 0 }] });
    const quarter = await fetchData(token, 'upcoming?days=90');
    expect(quarter.series).toEqual(
      days('2030-06-15', 90, ZERO, { ...SEEDED, '2030-06-22': { expiries: 1 }, '2030-07-15': { renewals: 1 } }),
    );

    // the worker renews what is due (today's 03:00 one moves to 15 July) and nothing else
    await h.app.services.subscriptions.runDue();
    const after = await fetchData(token, 'upcoming?days=31');
    expect(after.series[0]).toEqual({ date: '2030-06-15', renewals: 1, expiries: 0 });
    expect(after.series[30]).toEqual({ date: '2030-07-15', renewals: 2, expiries: 0 });
  });
});

describe('the days parameter, and who may ask', () => {
  it.each([
    ['signups', '0'],
    ['signups', '367'],
    ['signups', '1000'],
    ['signups', 'abc'],
    ['signups', '1.5'],
    ['upcoming', '0'],
    ['upcoming', '91'],
    ['upcoming', '1000'],
    ['upcoming', 'abc'],
  ])('%s?days=%s is 422 naming days', async (path, value) => {
    const res = await h.get(`${BASE}/${path}?days=${value}`, await analyst());
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toEqual(['days']);
  });

  it('the bounds themselves are accepted', async () => {
    const token = await analyst();
    expect((await fetchData(token, 'signups?days=366')).series).toHaveLength(366);
    expect((await fetchData(token, 'upcoming?days=90')).series).toHaveLength(90);
  });

  it('view_analytics is needed: 401 without a token, 403 for an admin with every other permission or a user, 200 with it', async () => {
    at(NOW);
    const root = await rootToken(h);
    const without = await adminWith(
      h,
      ADMIN_PERMISSIONS.filter((p) => p !== 'view_analytics'),
    );
    const holder = await adminWith(h, ['view_analytics']);
    const user = await h.registerUser();
    for (const path of ENDPOINTS) {
      const url = `${BASE}/${path}`;
      expect((await h.get(url)).statusCode, url).toBe(401);
      expect((await h.get(url)).json().code, url).toBe('UNAUTHENTICATED');
      expect((await h.get(url, without.token)).statusCode, url).toBe(403);
      expect((await h.get(url, without.token)).json().code, url).toBe('FORBIDDEN');
      expect((await h.get(url, user.token)).statusCode, url).toBe(403);
      expect((await h.get(url, holder.token)).statusCode, url).toBe(200);
      expect((await h.get(url, root)).statusCode, url).toBe(200);
    }
  });

  it('the five routes are in the OpenAPI document under the analytics tag', async () => {
    const doc = (await h.get('/openapi.json')).json();
    for (const path of ENDPOINTS) {
      expect(doc.paths[`${BASE}/${path}`]?.get?.tags, path).toEqual(['analytics']);
    }
  });
});
