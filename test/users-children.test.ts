import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt, fieldsOf, userLogin } from './helpers/fixtures.js';
import { Harness, uniqueEmail } from './helpers/harness.js';
import { expectNoSecrets, userHelpers } from './helpers/users.js';

/**
 * Child users: a parent creates and lists them, with permissions from the catalogue; a child logs
 * in with its own token and cannot create children.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { countUsers } = userHelpers(() => h);

const CATALOGUE = ['create_posts', 'view_analytics', 'schedule_posts', 'manage_social_accounts', 'manage_billing'];

describe('child users: POST /api/users/child-users, /api/v1/users/children', () => {
  it('lets a parent create a child (201, role child, parent_id, permissions, no password) and lists it', async () => {
    const parent = await h.registerUser();
    const email = uniqueEmail('kid');
    const res = await h.post(
      '/api/users/child-users',
      { email, password: 'childewqepassword123', name: 'Child User', permissions: ['create_posts', 'view_analytics'] },
      parent.token,
    );
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.status).toBe(true);
    expect(body.data).toMatchObject({
      email,
      name: 'Child User',
      first_name: 'Child',
      last_name: 'User',
      role: 'child',
      parent_id: parent.id,
      permissions: ['create_posts', 'view_analytics'],
      status: 'active',
    });
    expect(body.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expectNoSecrets(res.body);
    expect(res.body).not.toContain('childewqepassword123');

    const canonical = await h.post(
      '/api/v1/users/children',
      { email: uniqueEmail('kid'), password: 'another child pw', name: 'Second' },
      parent.token,
    );
    expect(canonical.statusCode).toBe(201);
    expect(canonical.json().data).toMatchObject({ role: 'child', parent_id: parent.id, permissions: [] });

    const list = await h.get('/api/v1/users/children', parent.token);
    expect(list.statusCode).toBe(200);
    expect((list.json().data as { id: string }[]).map((c) => c.id).sort()).toEqual([body.data.id, canonical.json().data.id].sort());
  });

  it('refuses a child token with 403, both for creating and listing children', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const res = await h.post(
      '/api/users/child-users',
      { email: uniqueEmail('grandkid'), password: 'grandchild pw', name: 'Grand Kid' },
      child.token,
    );
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: false, code: 'FORBIDDEN' });
    expect((await h.get('/api/v1/users/children', child.token)).statusCode).toBe(403);
    expect(await countUsers('parent_id = $1', [child.id])).toBe(0);
  });

  it('answers 401 without a token', async () => {
    const res = await h.post('/api/users/child-users', { email: uniqueEmail('kid'), password: 'childpassword', name: 'Kid' });
    expect(res.statusCode).toBe(401);
    expect((await h.get('/api/v1/users/children')).statusCode).toBe(401);
  });

  it('refuses an unknown permission with 422 naming the permissions field', async () => {
    const parent = await h.registerUser();
    const res = await h.post(
      '/api/users/child-users',
      { email: uniqueEmail('kid'), password: 'childpassword', name: 'Kid', permissions: ['create_posts', 'launch_rockets'] },
      parent.token,
    );
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    const fields = fieldsOf(res);
    expect(fields.length).toBeGreaterThan(0);
    expect(
      fields.every((f) => /^permissions(\.|$)/.test(f)),
      fields.join(','),
    ).toBe(true);
    expect(await countUsers('parent_id = $1', [parent.id])).toBe(0);
  });

  it('accepts every permission of the catalogue', async () => {
    const parent = await h.registerUser();
    const res = await h.post(
      '/api/users/child-users',
      { email: uniqueEmail('kid'), password: 'childpassword', name: 'All Powers', permissions: CATALOGUE },
      parent.token,
    );
    expect(res.statusCode).toBe(201);
    expect([...res.json().data.permissions].sort()).toEqual([...CATALOGUE].sort());
    for (const p of CATALOGUE) {
      const one = await h.post(
        '/api/users/child-users',
        { email: uniqueEmail(p), password: 'childpassword', name: 'One Power', permissions: [p] },
        parent.token,
      );
      expect(one.statusCode, p).toBe(201);
      expect(one.json().data.permissions).toEqual([p]);
    }
  });

  it('stores each permission once when the same one is sent twice', async () => {
    const parent = await h.registerUser();
    const res = await h.post(
      '/api/users/child-users',
      { email: uniqueEmail('kid'), password: 'childpassword', name: 'Twice', permissions: ['view_analytics', 'view_analytics'] },
      parent.token,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data.permissions).toEqual(['view_analytics']);
  });

  it("refuses a duplicate email (any case, including the parent's own) with 409", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    for (const email of [child.email, child.email.toUpperCase(), parent.email]) {
      const res = await h.post('/api/users/child-users', { email, password: 'childpassword', name: 'Dup' }, parent.token);
      expect(res.statusCode, email).toBe(409);
      expect(res.json()).toMatchObject({ status: false, code: 'CONFLICT' });
    }
    expect(await countUsers('parent_id = $1', [parent.id])).toBe(1);
  });

  it('answers 422 naming the missing field when email, password or name is missing', async () => {
    const parent = await h.registerUser();
    const full = { email: uniqueEmail('kid'), password: 'childpassword', name: 'Kid' };
    for (const field of ['email', 'password', 'name'] as const) {
      const body: Record<string, unknown> = { ...full };
      delete body[field];
      const res = await h.post('/api/users/child-users', body, parent.token);
      expect(res.statusCode, field).toBe(422);
      expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
      expect(fieldsOf(res), field).toContain(field);
    }
    expect(await countUsers('parent_id = $1', [parent.id])).toBe(0);
  });

  it('refuses a password shorter than 8 characters with 422 naming password', async () => {
    const parent = await h.registerUser();
    const res = await h.post('/api/users/child-users', { email: uniqueEmail('kid'), password: 'short7c', name: 'Kid' }, parent.token);
    expect(res.statusCode).toBe(422);
    expect(fieldsOf(res)).toContain('password');
  });

  it('lets the child log in; its token says role child and carries its permissions', async () => {
    const parent = await h.registerUser();
    const email = uniqueEmail('kid');
    const created = await h.post(
      '/api/users/child-users',
      { email, password: 'childewqepassword123', name: 'Child User', permissions: ['create_posts', 'view_analytics'] },
      parent.token,
    );
    expect(created.statusCode).toBe(201);
    const res = await userLogin(h, email, 'childewqepassword123');
    expect(res.statusCode).toBe(200);
    const token = res.json().token as string;
    const claims = decodeJwt(token);
    expect(claims.sub).toBe(created.json().data.id);
    expect(claims.role).toBe('child');
    expect(claims.perms).toEqual(['create_posts', 'view_analytics']);
    const parentClaims = decodeJwt(parent.token);
    expect(parentClaims.role).toBe('parent');
    expect(parentClaims.perms).toEqual([]);
    expect((await h.get('/api/profile', token)).json().profile.id).toBe(created.json().data.id);
  });

  it('ignores role and parent_id sent when creating a child', async () => {
    const someoneElse = await h.registerUser();
    const parent = await h.registerUser();
    const res = await h.post(
      '/api/users/child-users',
      {
        email: uniqueEmail('kid'),
        password: 'childpassword',
        name: 'Sneaky',
        role: 'parent',
        parent_id: someoneElse.id,
        status: 'deactivated',
      },
      parent.token,
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ role: 'child', parent_id: parent.id, status: 'active' });
    expect((await h.get('/api/v1/users/children', someoneElse.token)).json().data).toEqual([]);
    expect((await h.get('/api/v1/users/children', parent.token)).json().data).toHaveLength(1);
  });

  it('creates 5 children concurrently, all 201, and lists all 5', async () => {
    const parent = await h.registerUser();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.post('/api/users/child-users', { email: uniqueEmail(`kid${i}`), password: 'childpassword', name: `Kid ${i}` }, parent.token),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const list = await h.get('/api/v1/users/children', parent.token);
    expect(list.json().data).toHaveLength(5);
  });
});
