import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminHelpers, expectError, expectNoSecrets, INVALID, LOGIN } from './helpers/admins.js';
import { whileUpdatesFail } from './helpers/database.js';
import { adminLogin, adminWith, bootstrapSuperadmin, fieldsOf } from './helpers/fixtures.js';
import { Harness, uniqueEmail } from './helpers/harness.js';

/**
 * Staff admins: login (and its per-IP rate limit), creating, listing and reading admins, and their
 * permissions, at every documented spelling. Deleting admins, the first superadmin and the
 * create-superadmin command are in admins-superadmin.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { countAdmins } = adminHelpers(() => h);

describe('POST /api/v1/admin/login', () => {
  it('returns an admin token at the top level and in data, and the admin without any password or hash', async () => {
    const root = await bootstrapSuperadmin(h, 'Root.Admin@Example.com');
    const res = await h.post(LOGIN, { email: 'root.admin@example.com', password: root.password });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: true, message: 'Login successful' });
    expect(typeof body.token).toBe('string');
    expect(body.token.split('.')).toHaveLength(3);
    expect(body.data.token).toBe(body.token);
    expect(body.data.admin).toMatchObject({ id: root.id, email: 'root.admin@example.com', role: 'superadmin' });
    expect(body.data.admin.last_login_at).not.toBeNull();
    expectNoSecrets(res, root.password);
    // the token opens admin routes
    expect((await h.get('/api/v1/admin/get-all-admins', body.token)).statusCode).toBe(200);
  });

  it('commits a sign-in whole: when last_login_at cannot be recorded, no session is left and no token is sent', async () => {
    const root = await bootstrapSuperadmin(h);
    const sessions = async () =>
      (await h.db.query<{ n: number }>("select count(*)::int as n from sessions where kind = 'admin'")).rows[0]!.n;
    const before = await sessions();
    const res = await whileUpdatesFail(h.db, 'admins', 'last_login_at', () =>
      h.post(LOGIN, { email: root.email, password: root.password }),
    );
    expect(res.statusCode).toBe(500);
    expect(res.json().token).toBeUndefined();
    expect(await sessions()).toBe(before);
  });

  it('matches the email case-insensitively', async () => {
    const root = await bootstrapSuperadmin(h);
    expect((await h.post(LOGIN, { email: root.email.toUpperCase(), password: root.password })).statusCode).toBe(200);
  });

  it('answers 401 "Invalid credentials provided" for a wrong password, an unknown email, and a customer user\'s credentials', async () => {
    const root = await bootstrapSuperadmin(h);
    expectError(await h.post(LOGIN, { email: root.email, password: 'wrong password 1' }), 401, 'INVALID_CREDENTIALS', INVALID);
    expectError(await h.post(LOGIN, { email: uniqueEmail('nobody'), password: 'whatever 123' }), 401, 'INVALID_CREDENTIALS', INVALID);
    // a customer account is not a staff account
    const user = await h.registerUser();
    expectError(await h.post(LOGIN, { email: user.email, password: user.password }), 401, 'INVALID_CREDENTIALS', INVALID);
  });

  it('answers 422 naming the missing fields', async () => {
    const none = await h.post(LOGIN, {});
    expectError(none, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(none)).toEqual(expect.arrayContaining(['email', 'password']));
    const noPassword = await h.post(LOGIN, { email: 'a@example.com' });
    expectError(noPassword, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(noPassword)).toContain('password');
  });

  it('locks the admin account after LOGIN_MAX_FAILURES failures: 429 with Retry-After, even for the right password, until the window passes', async () => {
    const sibling = await h.sibling({ LOGIN_MAX_FAILURES: '2' });
    try {
      const root = await bootstrapSuperadmin(h);
      for (let i = 0; i < 2; i++) {
        expectError(await sibling.post(LOGIN, { email: root.email, password: 'wrong password 1' }), 401, 'INVALID_CREDENTIALS');
      }
      const locked = await sibling.post(LOGIN, { email: root.email, password: root.password });
      expectError(locked, 429, 'RATE_LIMITED');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(Number.isFinite(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(locked.body).not.toContain('token');

      h.clock.advance((retryAfter + 1) * 1000);
      expect((await sibling.post(LOGIN, { email: root.email, password: root.password })).statusCode).toBe(200);
    } finally {
      await sibling.app.close();
    }
  });
});

describe('admin login under the per-IP credential rate limit (RATE_LIMIT_PER_MINUTE)', () => {
  it('answers the 4th login within a minute with 429 and Retry-After when the limit is 3, whatever the emails', async () => {
    const sibling = await h.sibling({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      // three different unknown emails: the per-account lockout cannot be what stops the fourth
      for (let i = 0; i < 3; i++) {
        expectError(await sibling.post(LOGIN, { email: uniqueEmail('nobody'), password: 'wrong password 1' }), 401, 'INVALID_CREDENTIALS');
      }
      const limited = await sibling.post(LOGIN, { email: uniqueEmail('nobody'), password: 'wrong password 1' });
      expectError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await sibling.app.close();
    }
  });
});

describe('create an admin: POST /api/v1/admin/create-admin and POST /api/v1/admin/admins', () => {
  for (const path of ['/api/v1/admin/create-admin', '/api/v1/admin/admins']) {
    it(`${path}: 201 with the admin (never a password), who can then log in`, async () => {
      const root = await bootstrapSuperadmin(h);
      const email = uniqueEmail('New.Admin');
      const res = await h.post(
        path,
        { email, password: 'securePassword123!', name: 'New Admin', permissions: ['manage_users', 'view_user_details', 'manage_content'] },
        root.token,
      );
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({
        status: true,
        data: { email: email.toLowerCase(), name: 'New Admin', role: 'admin', created_by: root.id },
      });
      expect([...res.json().data.permissions].sort()).toEqual(['manage_content', 'manage_users', 'view_user_details']);
      expect(res.json().data.id).toMatch(/^[0-9a-f-]{36}$/);
      expectNoSecrets(res, 'securePassword123!');

      const login = await h.post(LOGIN, { email, password: 'securePassword123!' });
      expect(login.statusCode).toBe(200);
      expect(login.json().data.admin.role).toBe('admin');
      const { rows } = await h.db.query<{ password_hash: string }>('select password_hash from admins where id = $1', [res.json().data.id]);
      expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
    });
  }

  it('answers 409 for an email already used by an admin, in any case', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, [], { by: root, email: 'dup.admin@example.com' });
    const dup = await h.post(
      '/api/v1/admin/create-admin',
      { email: 'DUP.Admin@Example.COM', password: 'password123', name: 'Dup' },
      root.token,
    );
    expectError(dup, 409, 'CONFLICT', 'An admin with this email already exists');
    const dupRoot = await h.post(
      '/api/v1/admin/admins',
      { email: root.email.toUpperCase(), password: 'password123', name: 'Dup' },
      root.token,
    );
    expectError(dupRoot, 409, 'CONFLICT');
    expect(await countAdmins('lower(email) = $1', [staff.email])).toBe(1);
    expect(await countAdmins()).toBe(2);
  });

  it('answers 422 naming permissions for an unknown permission, and creates nothing', async () => {
    const root = await bootstrapSuperadmin(h);
    const res = await h.post(
      '/api/v1/admin/create-admin',
      { email: uniqueEmail(), password: 'password123', name: 'X', permissions: ['manage_users', 'launch_missiles'] },
      root.token,
    );
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res).some((f) => f.startsWith('permissions'))).toBe(true);
    expect(await countAdmins()).toBe(1);
  });

  it('answers 422 naming password for a password shorter than 8 characters', async () => {
    const root = await bootstrapSuperadmin(h);
    const res = await h.post('/api/v1/admin/create-admin', { email: uniqueEmail(), password: 'short', name: 'X' }, root.token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('password');
    expect(await countAdmins()).toBe(1);
  });

  it('answers 422 naming name for a blank (whitespace-only) name, and creates nothing', async () => {
    const root = await bootstrapSuperadmin(h);
    const res = await h.post('/api/v1/admin/create-admin', { email: uniqueEmail(), password: 'password123', name: '   ' }, root.token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('name');
    expect(await countAdmins()).toBe(1);
  });

  it('answers 422 naming each missing field', async () => {
    const root = await bootstrapSuperadmin(h);
    const res = await h.post('/api/v1/admin/create-admin', {}, root.token);
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toEqual(expect.arrayContaining(['email', 'password', 'name']));
  });

  it('answers 403 to a plain admin, even one holding every permission, and creates nothing', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(
      h,
      ['manage_users', 'view_user_details', 'manage_content', 'manage_plans', 'manage_subscriptions', 'view_analytics', 'view_audit_log'],
      { by: root },
    );
    for (const path of ['/api/v1/admin/create-admin', '/api/v1/admin/admins']) {
      expectError(await h.post(path, { email: uniqueEmail(), password: 'password123', name: 'X' }, staff.token), 403, 'FORBIDDEN');
    }
    expect(await countAdmins()).toBe(2);
  });
});

describe('list admins: GET /api/v1/admin/get-all-admins and GET /api/v1/admin/admins', () => {
  it('lists every admin for a superadmin, without passwords or hashes', async () => {
    const root = await bootstrapSuperadmin(h);
    const a = await adminWith(h, ['manage_users'], { by: root });
    const b = await adminWith(h, [], { by: root });
    for (const path of ['/api/v1/admin/get-all-admins', '/api/v1/admin/admins']) {
      const res = await h.get(path, root.token);
      expect(res.statusCode, res.body).toBe(200);
      const data = res.json().data as { id: string; role: string; permissions: string[] }[];
      expect(data.map((x) => x.id).sort()).toEqual([root.id, a.id, b.id].sort());
      expect(data.find((x) => x.id === root.id)!.role).toBe('superadmin');
      expect(data.find((x) => x.id === a.id)!.permissions).toEqual(['manage_users']);
      expectNoSecrets(res, root.password, a.password);
    }
  });

  it('answers 403 to a plain admin', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['view_user_details'], { by: root });
    expectError(await h.get('/api/v1/admin/get-all-admins', staff.token), 403, 'FORBIDDEN');
  });
});

describe('admin details: GET /api/v1/admin/get-admin-details/{id} and GET /api/v1/admin/admins/{id}', () => {
  it('lets a superadmin read anyone and an admin read only itself', async () => {
    const root = await bootstrapSuperadmin(h);
    const a = await adminWith(h, ['manage_users'], { by: root });
    const b = await adminWith(h, ['view_analytics'], { by: root });
    for (const base of ['/api/v1/admin/get-admin-details', '/api/v1/admin/admins']) {
      const byRoot = await h.get(`${base}/${a.id}`, root.token);
      expect(byRoot.statusCode, byRoot.body).toBe(200);
      expect(byRoot.json().data).toMatchObject({ id: a.id, email: a.email, role: 'admin', permissions: ['manage_users'] });
      expectNoSecrets(byRoot, a.password);

      const self = await h.get(`${base}/${a.id}`, a.token);
      expect(self.statusCode, self.body).toBe(200);
      expect(self.json().data.id).toBe(a.id);

      expectError(await h.get(`${base}/${b.id}`, a.token), 403, 'FORBIDDEN');
      expectError(await h.get(`${base}/${root.id}`, a.token), 403, 'FORBIDDEN');
    }
  });

  it('an admin reads itself whatever the case of the uuid in the path', async () => {
    const root = await bootstrapSuperadmin(h);
    const a = await adminWith(h, [], { by: root });
    const res = await h.get(`/api/v1/admin/get-admin-details/${a.id.toUpperCase()}`, a.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.id).toBe(a.id);
  });

  it('answers 404 "Admin not found" for an unknown uuid and 404 (never 500) for a malformed id', async () => {
    const root = await bootstrapSuperadmin(h);
    for (const base of ['/api/v1/admin/get-admin-details', '/api/v1/admin/admins']) {
      expectError(await h.get(`${base}/${crypto.randomUUID()}`, root.token), 404, 'NOT_FOUND', 'Admin not found');
      expectError(await h.get(`${base}/abc`, root.token), 404, 'NOT_FOUND');
    }
  });
});

describe('permissions: PUT /api/v1/admin/update-admin-permissions/{id} and PUT /api/v1/admin/admins/{id}/permissions', () => {
  const paths = [(id: string) => `/api/v1/admin/update-admin-permissions/${id}`, (id: string) => `/api/v1/admin/admins/${id}/permissions`];

  for (const path of paths) {
    it(`${path(':id')}: 200 with the new permissions; the old token is refused at once; a new login has the new rights`, async () => {
      const root = await bootstrapSuperadmin(h);
      const staff = await adminWith(h, ['view_analytics'], { by: root });
      expectError(await h.get('/api/v1/admin/users', staff.token), 403, 'FORBIDDEN');

      const res = await h.put(path(staff.id), { permissions: ['view_user_details', 'view_analytics'] }, root.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.id).toBe(staff.id);
      expect([...res.json().data.permissions].sort()).toEqual(['view_analytics', 'view_user_details']);
      expectNoSecrets(res, staff.password);

      expectError(await h.get('/api/v1/admin/users', staff.token), 401, 'UNAUTHENTICATED');
      expectError(await h.get(`/api/v1/admin/admins/${staff.id}`, staff.token), 401, 'UNAUTHENTICATED');

      const token = await adminLogin(h, staff.email, staff.password);
      expect((await h.get('/api/v1/admin/users', token)).statusCode).toBe(200);
      const me = await h.get(`/api/v1/admin/admins/${staff.id}`, token);
      expect([...me.json().data.permissions].sort()).toEqual(['view_analytics', 'view_user_details']);
    });
  }

  it('removing a permission takes the right away', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['view_user_details'], { by: root });
    expect((await h.get('/api/v1/admin/users', staff.token)).statusCode).toBe(200);
    expect((await h.put(`/api/v1/admin/update-admin-permissions/${staff.id}`, { permissions: [] }, root.token)).statusCode).toBe(200);
    const token = await adminLogin(h, staff.email, staff.password);
    expectError(await h.get('/api/v1/admin/users', token), 403, 'FORBIDDEN');
  });

  it('answers 422 for an unknown permission and changes nothing (the old token keeps working)', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['view_user_details'], { by: root });
    const res = await h.put(
      `/api/v1/admin/update-admin-permissions/${staff.id}`,
      { permissions: ['view_user_details', 'root_access'] },
      root.token,
    );
    expectError(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res).some((f) => f.startsWith('permissions'))).toBe(true);
    const missing = await h.put(`/api/v1/admin/admins/${staff.id}/permissions`, {}, root.token);
    expectError(missing, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(missing)).toContain('permissions');
    expect((await h.get('/api/v1/admin/users', staff.token)).statusCode).toBe(200);
  });

  it('answers 404 for an unknown admin and a malformed id, and 403 to a plain admin', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    expectError(
      await h.put(`/api/v1/admin/update-admin-permissions/${crypto.randomUUID()}`, { permissions: [] }, root.token),
      404,
      'NOT_FOUND',
      'Admin not found',
    );
    expectError(await h.put('/api/v1/admin/update-admin-permissions/abc', { permissions: [] }, root.token), 404, 'NOT_FOUND');
    // an admin cannot grant itself more
    expectError(
      await h.put(`/api/v1/admin/update-admin-permissions/${staff.id}`, { permissions: ['view_audit_log'] }, staff.token),
      403,
      'FORBIDDEN',
    );
    expect((await h.get('/api/v1/admin/users', staff.token)).statusCode).toBe(403);
  });
});
