import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSecrets, ids, LIST, SEED_BODY, UNKNOWN_ID } from './helpers/admin-users.js';
import { adminWith, fieldsOf, rootToken, userLogin } from './helpers/fixtures.js';
import { Harness, type TestUser, uniqueEmail } from './helpers/harness.js';

/**
 * Admin user management (issue 3, "Admin user management"): the user directory and a user's
 * details, at every documented spelling and at the canonical routes. Deactivate / reactivate,
 * delete and the admin-sent password-reset link are in admin-users-actions.test.ts. The generic
 * guard suite, admin CRUD and the audit log are tested elsewhere.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** Registers users one after another, `step` ms apart on the clock, so created_at orders them. */
async function registerMany(n: number, step = 1000, overrides: (i: number) => Record<string, unknown> = () => ({})): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i++) {
    if (step) h.clock.advance(step);
    out.push(await h.registerUser({ name: `Person ${i}`, ...overrides(i) }));
  }
  return out;
}

/** Follows meta.next_cursor from the first page until it is null; returns every id in order. */
async function walk(token: string, query: string, maxPages = 50): Promise<{ ids: string[]; pages: number }> {
  const seen: string[] = [];
  let res = await h.get(`${LIST}?${query}`, token);
  let pages = 0;
  for (;;) {
    expect(res.statusCode, res.body).toBe(200);
    expectNoSecrets(res);
    seen.push(...ids(res));
    pages++;
    const next = res.json().meta.next_cursor as string | null;
    if (next === null) break;
    expect(typeof next).toBe('string');
    if (pages >= maxPages) throw new Error('cursor walk does not end');
    res = await h.get(`${LIST}?${query}&cursor=${encodeURIComponent(next)}`, token);
    expect(res.statusCode, `the cursor this service issued was refused: ${res.body}`).toBe(200);
    expect(res.json().meta).toMatchObject({ page: null, total: null });
  }
  return { ids: seen, pages };
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

describe('GET /api/v1/admin/users', () => {
  it('lists page 1 with limit 20, newest first, with meta {page, limit, total, next_cursor} and no secrets', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const users = await registerMany(23);
    const res = await h.get(LIST, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe(true);
    expect(typeof body.message).toBe('string');
    expect(body.meta).toMatchObject({ page: 1, limit: 20, total: 23 });
    expect(typeof body.meta.next_cursor).toBe('string');
    const newestFirst = users.map((u) => u.id).reverse();
    expect(ids(res)).toEqual(newestFirst.slice(0, 20));
    expect(body.data[0]).toMatchObject({ id: users[22]!.id, email: users[22]!.email, role: 'parent', status: 'active' });
    expectNoSecrets(res);
    for (const u of users) expect(res.body).not.toContain(u.password);
  });

  it('page=2 returns the next slice, and the last page has next_cursor null', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const users = await registerMany(25);
    const newestFirst = users.map((u) => u.id).reverse();

    const p2 = await h.get(`${LIST}?page=2&limit=10`, admin);
    expect(p2.statusCode).toBe(200);
    expect(p2.json().meta).toMatchObject({ page: 2, limit: 10, total: 25 });
    expect(ids(p2)).toEqual(newestFirst.slice(10, 20));
    expect(typeof p2.json().meta.next_cursor).toBe('string');

    const p3 = await h.get(`${LIST}?page=3&limit=10`, admin);
    expect(ids(p3)).toEqual(newestFirst.slice(20, 25));
    expect(p3.json().meta).toMatchObject({ page: 3, limit: 10, total: 25, next_cursor: null });

    const beyond = await h.get(`${LIST}?page=4&limit=10`, admin);
    expect(beyond.statusCode).toBe(200);
    expect(beyond.json().data).toEqual([]);
    expect(beyond.json().meta.next_cursor).toBeNull();
  });

  it('caps limit: 100 is accepted, 1000 (and 0, and not-a-number) is 422 naming limit', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    await registerMany(3);
    const ok = await h.get(`${LIST}?limit=100`, admin);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().meta).toMatchObject({ limit: 100, total: 3 });
    expect(ok.json().data).toHaveLength(3);

    for (const bad of ['1000', '101', '0', 'lots']) {
      const res = await h.get(`${LIST}?limit=${bad}`, admin);
      expect(res.statusCode, bad).toBe(422);
      expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
      expect(fieldsOf(res), bad).toContain('limit');
    }
  });

  it('walks every user with the cursor: 25 users, limit 10 → 3 pages, 25 distinct ids in newest-first order', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const users = await registerMany(25);
    const first = await h.get(`${LIST}?limit=10`, admin);
    expect(first.json().meta).toMatchObject({ page: 1, limit: 10, total: 25 });

    const { ids: seen, pages } = await walk(admin, 'limit=10');
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual(users.map((u) => u.id).reverse());
  });

  it('the cursor walk neither skips nor repeats users created at the very same instant', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    // no clock step: all seven share one created_at, only the id breaks the tie
    const users = await registerMany(7, 0);
    const { ids: seen } = await walk(admin, 'limit=3');
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort()).toEqual(users.map((u) => u.id).sort());
  });

  it('the cursor walk keeps the filters', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const users = await registerMany(9, 1000, (i) => ({ name: i % 3 === 0 ? `Findme ${i}` : `Other ${i}` }));
    const { ids: seen } = await walk(admin, 'limit=2&search=findme');
    expect(seen).toEqual([users[6]!.id, users[3]!.id, users[0]!.id]);
  });

  it('answers a tampered cursor with 422 naming cursor, never 500 or a wrong page', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    await registerMany(3);
    const tampered = [
      'abc',
      b64url('junk that is not a cursor'),
      b64url('{"a":1}'),
      b64url('null'),
      b64url('[]'),
      b64url(JSON.stringify(['yesterday', '00000000-0000-4000-8000-000000000000'])),
      // shaped like a cursor, but the values are not a timestamp and a uuid
      b64url(JSON.stringify(['1', '00000000-0000-4000-8000-000000000000'])),
      b64url(JSON.stringify(['2024-13-45 25:61:61+00', '00000000-0000-4000-8000-000000000000'])),
      b64url(JSON.stringify(['2024-01-01T00:00:00Z', '------------------------------------'])),
      b64url(JSON.stringify(['2024-01-01T00:00:00Z', 'not-a-uuid'])),
    ];
    const wrong: string[] = [];
    for (const cursor of tampered) {
      const res = await h.get(`${LIST}?cursor=${encodeURIComponent(cursor)}`, admin);
      const ok = res.statusCode === 422 && res.json().code === 'VALIDATION_FAILED' && fieldsOf(res).includes('cursor');
      if (!ok) wrong.push(`${Buffer.from(cursor, 'base64url').toString('utf8')} → ${res.statusCode} ${res.body}`);
    }
    expect(wrong).toEqual([]);
  });

  it('search matches the beginning of a word of the email or name, case-insensitively', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const ada = await h.registerUser({ name: 'Ada Lovelace', email: uniqueEmail('ada') });
    h.clock.advance(1000);
    const grace = await h.registerUser({ name: 'Grace Hopper', email: `Grace.H.${Date.now()}@Navy.example.com` });
    h.clock.advance(1000);
    await h.registerUser({ name: 'Alan Turing' });

    const byName = await h.get(`${LIST}?search=LOVEL`, admin);
    expect(byName.statusCode).toBe(200);
    expect(ids(byName)).toEqual([ada.id]);
    expect(byName.json().meta.total).toBe(1);

    const byEmail = await h.get(`${LIST}?search=${encodeURIComponent('navy.EXAMPLE')}`, admin);
    expect(ids(byEmail)).toEqual([grace.id]);

    const byEmailPrefix = await h.get(`${LIST}?search=ADA.`, admin);
    expect(ids(byEmailPrefix)).toEqual([ada.id]);

    const none = await h.get(`${LIST}?search=nobody-matches-this`, admin);
    expect(none.json().data).toEqual([]);
    expect(none.json().meta.total).toBe(0);
  });

  it("treats '%' and '_' in search literally, not as wildcards", async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const percent = await h.registerUser({ name: '100% Real' });
    h.clock.advance(1000);
    const underscore = await h.registerUser({ name: 'snake_case Person' });
    h.clock.advance(1000);
    await h.registerUser({ name: 'Plain Person' });
    h.clock.advance(1000);
    await h.registerUser({ name: 'snakeXcase Person' });

    expect(ids(await h.get(`${LIST}?search=${encodeURIComponent('%')}`, admin))).toEqual([percent.id]);
    expect(ids(await h.get(`${LIST}?search=${encodeURIComponent('_')}`, admin))).toEqual([underscore.id]);
    expect(ids(await h.get(`${LIST}?search=${encodeURIComponent('snake_case')}`, admin))).toEqual([underscore.id]);
    expect(ids(await h.get(`${LIST}?search=${encodeURIComponent('100%')}`, admin))).toEqual([percent.id]);
  });

  it('matches where a word begins: not inside a word, unless the term itself begins with a separator', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const stamp = Date.now();
    const wang = await h.registerUser({ name: 'Alan Wang', email: `alan.wang.4242.${stamp}@acme.example` });
    h.clock.advance(1000);
    const other = await h.registerUser({ name: 'Alan Wang', email: `alan.wang.14242.${stamp}@acme.example` });
    h.clock.advance(1000);
    const jose = await h.registerUser({ name: 'José Ñandú', email: `jose.${stamp}@example.com` });
    const search = async (term: string) => ids(await h.get(`${LIST}?search=${encodeURIComponent(term)}&limit=100`, admin));

    // words in order, the last one begun: the 14242 account does not match "wang.4242"
    expect(await search('wang.4242')).toEqual([wang.id]);
    expect(await search('WANG.42')).toEqual([wang.id]);
    // a word's beginning, in the email or the name
    expect(await search(`alan.wang.4242.${stamp}@acme.example`)).toEqual([wang.id]);
    expect(await search('alan wang')).toEqual(expect.arrayContaining([wang.id, other.id]));
    // not from inside a word
    expect(await search('ang.4242')).toEqual([]);
    expect(await search('4242')).toEqual([wang.id]);
    // a term that begins with a separator matches wherever it appears
    expect(await search('.4242')).toEqual([wang.id]);
    expect(await search(`4242.${stamp}`)).toEqual([wang.id, other.id].filter((id) => id === wang.id));
    // non-ASCII letters are part of words, and case is folded by the database on both sides
    expect(await search('ñandú')).toEqual([jose.id]);
    expect(await search('josé ñan')).toEqual([jose.id]);
  });

  it('filters by status=deactivated and role=child', async () => {
    const admin = (await adminWith(h, ['view_user_details', 'manage_users'])).token;
    const parent = await h.registerUser();
    h.clock.advance(1000);
    const other = await h.registerUser();
    h.clock.advance(1000);
    const child = await h.createChild(parent);
    h.clock.advance(1000);
    expect((await h.post(`/api/v1/admin/users/${other.id}/deactivate`, undefined, admin)).statusCode).toBe(200);

    const deactivated = await h.get(`${LIST}?status=deactivated`, admin);
    expect(deactivated.statusCode).toBe(200);
    expect(ids(deactivated)).toEqual([other.id]);
    expect(deactivated.json().meta.total).toBe(1);
    expect(deactivated.json().data[0].status).toBe('deactivated');

    const active = await h.get(`${LIST}?status=active`, admin);
    expect(ids(active).sort()).toEqual([parent.id, child.id].sort());

    const children = await h.get(`${LIST}?role=child`, admin);
    expect(ids(children)).toEqual([child.id]);
    expect(children.json().data[0]).toMatchObject({ role: 'child', parent_id: parent.id });
    expect(children.json().meta.total).toBe(1);

    const parents = await h.get(`${LIST}?role=parent&status=active`, admin);
    expect(ids(parents)).toEqual([parent.id]);

    expect((await h.get(`${LIST}?status=banned`, admin)).statusCode).toBe(422);
    expect((await h.get(`${LIST}?role=admin`, admin)).statusCode).toBe(422);
  });

  it('ignores a GET body (the seed sends credentials in one)', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const users = await registerMany(2);
    const res = await h.request('GET', LIST, {
      token: admin,
      body: { email: 'your.email@example.com', password: 'your_secure_password' },
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(ids(res)).toEqual([users[1]!.id, users[0]!.id]);
    expect(res.json().meta.total).toBe(2);
  });

  it('needs view_user_details: an admin with only manage_users gets 403', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const res = await h.get(LIST, admin);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: false, code: 'FORBIDDEN' });
  });
});

describe('GET /api/admin/users/{userId}/details and GET /api/v1/admin/users/{userId}', () => {
  const paths = (id: string) => [`/api/admin/users/${id}/details`, `/api/v1/admin/users/${id}`];

  it('a parent: data.user, data.parent null, data.children listing its children', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const parent = await h.registerUser({ name: 'Ada Lovelace' });
    const c1 = await h.createChild(parent, { name: 'First Child' });
    const c2 = await h.createChild(parent, { name: 'Second Child' });
    const stranger = await h.registerUser();
    await h.createChild(stranger);

    for (const path of paths(parent.id)) {
      const res = await h.request('GET', path, { token: admin, body: SEED_BODY });
      expect(res.statusCode, path).toBe(200);
      const body = res.json();
      expect(body.status).toBe(true);
      expect(body.data.user).toMatchObject({
        id: parent.id,
        email: parent.email,
        name: 'Ada Lovelace',
        role: 'parent',
        status: 'active',
        parent_id: null,
      });
      expect(body.data.user).toHaveProperty('created_at');
      expect(body.data.user).toHaveProperty('updated_at');
      expect(body.data.user).toHaveProperty('last_login_at');
      expect(body.data.parent).toBeNull();
      const children = body.data.children as { id: string; role: string; parent_id: string }[];
      expect(children.map((c) => c.id).sort()).toEqual([c1.id, c2.id].sort());
      for (const c of children) expect(c).toMatchObject({ role: 'child', parent_id: parent.id });
      expectNoSecrets(res);
    }
  });

  it('a child: data.parent is its parent, no children', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const parent = await h.registerUser({ name: 'The Parent' });
    const child = await h.createChild(parent);
    for (const path of paths(child.id)) {
      const res = await h.get(path, admin);
      expect(res.statusCode, path).toBe(200);
      expect(res.json().data.user).toMatchObject({ id: child.id, role: 'child', parent_id: parent.id });
      expect(res.json().data.parent).toMatchObject({ id: parent.id, email: parent.email, name: 'The Parent', role: 'parent' });
      expect(res.json().data.children).toEqual([]);
      expectNoSecrets(res);
    }
  });

  it("shows the current subscription (a child sees its parent's) and the organisations, counted and listed", async () => {
    const root = await rootToken(h);
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const other = await h.registerUser();

    let res = await h.get(`/api/v1/admin/users/${parent.id}`, admin);
    expect(res.json().data.subscription).toBeNull();
    expect(res.json().data.organisations).toEqual({ created: 0, member: 0, items: [] });

    const plan = await h.post('/api/v1/admin/plans', { name: 'details-plan', price: { monthly: { amount: 12.5, currency: 'USD' } } }, root);
    expect(plan.statusCode).toBe(201);
    expect(
      (await h.post('/api/v1/users/subscribe', { planId: plan.json().data.id, billingCycle: 'monthly' }, parent.token)).statusCode,
    ).toBe(200);
    const org1 = await h.post('/api/organisation', { name: 'Parent Org' }, parent.token);
    await h.post('/api/organisation', { name: 'Second Org' }, parent.token);
    const otherOrg = await h.post('/api/organisation', { name: 'Other Org' }, other.token);
    expect(org1.statusCode).toBe(201);
    const otherOrgId = (await h.get('/api/organisation', other.token)).json().data[0].id;
    expect(otherOrg.statusCode).toBe(201);
    expect((await h.post(`/api/organisation/${otherOrgId}/users`, { user_id: parent.id }, other.token)).statusCode).toBe(200);

    res = await h.get(`/api/admin/users/${parent.id}/details`, admin);
    expect(res.json().data.subscription).toMatchObject({
      userId: parent.id,
      status: 'active',
      billingCycle: 'monthly',
      price: { amount: 12.5, currency: 'USD' },
    });
    const orgs = res.json().data.organisations;
    expect(orgs).toMatchObject({ created: 2, member: 1 });
    // the ones they created and the one they were added to, each with who made it and its size
    expect(orgs.items.map((o: any) => [o.name, o.creator, o.members]).sort()).toEqual([
      ['Other Org', false, 2],
      ['Parent Org', true, 1],
      ['Second Org', true, 1],
    ]);
    const other_ = orgs.items.find((o: any) => o.name === 'Other Org');
    expect(other_.orgId).toBe(otherOrgId);
    for (const o of orgs.items) expect(Date.parse(o.createdAt)).not.toBeNaN();

    res = await h.get(`/api/admin/users/${child.id}/details`, admin);
    expect(res.json().data.subscription).toMatchObject({ userId: parent.id, status: 'active' });
    expect(res.json().data.organisations).toEqual({ created: 0, member: 0, items: [] });
    // another account sees only its own organisation
    res = await h.get(`/api/admin/users/${other.id}/details`, admin);
    expect(res.json().data.organisations.items.map((o: any) => o.name)).toEqual(['Other Org']);
  });

  it('shows the real last login: null before one, then the time of the latest login', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const user = await h.registerUser();
    const before = await h.get(`/api/admin/users/${user.id}/details`, admin);
    expect(before.json().data.user.last_login_at).toBeNull();
    h.clock.advance(5000);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
    const res = await h.get(`/api/admin/users/${user.id}/details`, admin);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.user.last_login_at).toBe(h.clock.now().toISOString());
  });

  it('an unknown uuid → 404 "User not found"; a malformed id → 404, never 500', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    for (const path of [...paths(UNKNOWN_ID), ...paths('not-a-uuid')]) {
      const res = await h.get(path, admin);
      expect(res.statusCode, path).toBe(404);
      expect(res.json()).toMatchObject({ status: false, code: 'NOT_FOUND', message: 'User not found' });
    }
  });
});
