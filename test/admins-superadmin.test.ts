import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSuperadminCommand } from '../src/cli/create-superadmin.js';
import { rotateKeysCommand } from '../src/cli/rotate-keys.js';
import { openPglite } from '../src/db/pglite.js';
import { adminHelpers, expectError, LOGIN } from './helpers/admins.js';
import { adminWith, bootstrapSuperadmin } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';

/**
 * Deleting admins (never the last superadmin), bootstrapping the first superadmin, and the
 * create-superadmin operator command.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { countAdmins, countSuperadmins, extraSuperadmin } = adminHelpers(() => h);

describe('delete an admin: DELETE /api/v1/admin/delete-admin/{id} and DELETE /api/v1/admin/admins/{id}', () => {
  it('deletes the admin (200); its token stops working at once and it cannot log in', async () => {
    const root = await bootstrapSuperadmin(h);
    for (const base of ['/api/v1/admin/delete-admin', '/api/v1/admin/admins']) {
      const staff = await adminWith(h, ['view_user_details'], { by: root });
      expect((await h.get('/api/v1/admin/users', staff.token)).statusCode).toBe(200);
      const res = await h.delete(`${base}/${staff.id}`, root.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(true);
      expect(await countAdmins('id = $1', [staff.id])).toBe(0);
      expectError(await h.get('/api/v1/admin/users', staff.token), 401, 'UNAUTHENTICATED');
      expectError(await h.post(LOGIN, { email: staff.email, password: staff.password }), 401, 'INVALID_CREDENTIALS');
    }
  });

  it('answers 404 for an unknown admin and for a malformed id', async () => {
    const root = await bootstrapSuperadmin(h);
    expectError(await h.delete(`/api/v1/admin/delete-admin/${crypto.randomUUID()}`, root.token), 404, 'NOT_FOUND', 'Admin not found');
    expectError(await h.delete('/api/v1/admin/delete-admin/abc', root.token), 404, 'NOT_FOUND');
  });

  it('refuses to delete the last superadmin (409), which still exists and still works', async () => {
    const root = await bootstrapSuperadmin(h);
    for (const base of ['/api/v1/admin/delete-admin', '/api/v1/admin/admins']) {
      expectError(await h.delete(`${base}/${root.id}`, root.token), 409, 'CONFLICT');
    }
    expect(await countAdmins('id = $1', [root.id])).toBe(1);
    expect((await h.get('/api/v1/admin/admins', root.token)).statusCode).toBe(200);
  });

  it('lets one of two superadmins be deleted, then protects the remaining one', async () => {
    const root = await bootstrapSuperadmin(h);
    const second = await extraSuperadmin();
    const res = await h.delete(`/api/v1/admin/delete-admin/${second.id}`, root.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(await countSuperadmins()).toBe(1);
    expectError(await h.delete(`/api/v1/admin/delete-admin/${root.id}`, root.token), 409, 'CONFLICT');
    expect(await countSuperadmins()).toBe(1);
  });

  it('deletes a superadmin who created other admins; those admins stay', async () => {
    const root = await bootstrapSuperadmin(h);
    const second = await extraSuperadmin();
    const createdBySecond = await adminWith(h, ['manage_users'], { by: second });
    expect((await h.delete(`/api/v1/admin/delete-admin/${second.id}`, root.token)).statusCode).toBe(200);
    const details = await h.get(`/api/v1/admin/admins/${createdBySecond.id}`, root.token);
    expect(details.statusCode, details.body).toBe(200);
    expect(details.json().data.created_by).toBeNull();
  });

  it('two concurrent deletions of the two remaining superadmins: exactly one succeeds and one superadmin remains', async () => {
    const a = await bootstrapSuperadmin(h);
    const b = await extraSuperadmin();
    const results = await Promise.all([
      h.delete(`/api/v1/admin/delete-admin/${b.id}`, a.token),
      h.delete(`/api/v1/admin/admins/${a.id}`, b.token),
    ]);
    const statuses = results.map((r) => r.statusCode);
    expect(
      statuses.filter((s) => s === 200),
      JSON.stringify(statuses),
    ).toHaveLength(1);
    // the loser was refused as the last superadmin, or its own account was already gone
    for (const s of statuses.filter((x) => x !== 200)) expect([401, 409]).toContain(s);
    expect(await countSuperadmins()).toBe(1);
  });

  it('answers 403 to a plain admin and deletes nothing', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const other = await adminWith(h, [], { by: root });
    expectError(await h.delete(`/api/v1/admin/delete-admin/${other.id}`, staff.token), 403, 'FORBIDDEN');
    expectError(await h.delete(`/api/v1/admin/delete-admin/${staff.id}`, staff.token), 403, 'FORBIDDEN');
    expect(await countAdmins()).toBe(3);
  });
});

describe('superadmin bootstrap', () => {
  it('creates the first superadmin once; a second call returns null and creates nothing', async () => {
    const first = await h.app.services.admins.bootstrapSuperadmin('First.Root@example.com', 'first password');
    expect(first).toMatchObject({ email: 'first.root@example.com', role: 'superadmin' });
    expect(await h.app.services.admins.bootstrapSuperadmin('first.root@example.com', 'first password')).toBeNull();
    expect(await h.app.services.admins.bootstrapSuperadmin('other.root@example.com', 'other password')).toBeNull();
    expect(await countSuperadmins()).toBe(1);
    expect(await countAdmins()).toBe(1);
    expect((await h.post(LOGIN, { email: 'first.root@example.com', password: 'first password' })).statusCode).toBe(200);
  });

  it('two instances bootstrapping together with the same email create exactly one superadmin', async () => {
    const sibling = await h.sibling();
    try {
      const results = await Promise.all([
        h.app.services.admins.bootstrapSuperadmin('ops@example.com', 'password123'),
        sibling.app.services.admins.bootstrapSuperadmin('ops@example.com', 'password123'),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await countAdmins("lower(email) = 'ops@example.com' and role = 'superadmin'")).toBe(1);
      expect(await countSuperadmins()).toBe(1);
    } finally {
      await sibling.app.close();
    }
  });

  it('two instances bootstrapping together with different emails still create exactly one superadmin', async () => {
    const sibling = await h.sibling();
    try {
      const results = await Promise.all([
        h.app.services.admins.bootstrapSuperadmin('ops.a@example.com', 'password123'),
        sibling.app.services.admins.bootstrapSuperadmin('ops.b@example.com', 'password123'),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await countSuperadmins()).toBe(1);
    } finally {
      await sibling.app.close();
    }
  });
});

describe('CLI: create-superadmin', () => {
  it('creates a superadmin (0), refuses the same email again (1), refuses missing arguments (2)', { timeout: 180_000 }, async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const dataDir = await mkdtemp(join(tmpdir(), 'sociox-cli-'));
    try {
      const serverUrl = process.env.DATABASE_URL ? h.testDb.url : null;
      const env: NodeJS.ProcessEnv = {
        DATA_DIR: dataDir,
        NODE_ENV: 'test',
        JWT_SECRET: 'x'.repeat(40),
        ...(serverUrl ? { DATABASE_URL: serverUrl } : {}),
      };
      const argv = ['--email', 'ops@example.com', '--password', 'password123'];

      expect(await createSuperadminCommand(['--email', 'ops@example.com'], env)).toBe(2);
      expect(await createSuperadminCommand(['--email', 'ops@example.com', '--password', 'short'], env)).toBe(2);
      expect(await createSuperadminCommand(['--email', 'not-an-email', '--password', 'password123'], env)).toBe(2);
      expect(await createSuperadminCommand(argv, env)).toBe(0);
      expect(await createSuperadminCommand(['--email', 'OPS@example.com', '--password', 'password123'], env)).toBe(1);
      expect(await createSuperadminCommand(['--email', 'ops@example.com', '--password'], env)).toBe(2);

      const query = `select email, role, password_hash from admins order by created_at`;
      let rows: { email: string; role: string; password_hash: string }[];
      if (serverUrl) {
        ({ rows } = await h.db.query(query));
      } else {
        const db = await openPglite({ dataDir: join(dataDir, 'pgdata') });
        try {
          ({ rows } = await db.query(query));
        } finally {
          await db.close();
        }
      }
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ email: 'ops@example.com', role: 'superadmin' });
      expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
      expect(log.mock.calls.flat().join('\n')).not.toContain('password123');
      expect(error.mock.calls.flat().join('\n')).not.toContain('password123');
    } finally {
      log.mockRestore();
      error.mockRestore();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('CLI: rotate-keys', () => {
  it("makes a new signing key in the service's database; the previous one stays published", { timeout: 180_000 }, async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const dataDir = await mkdtemp(join(tmpdir(), 'sociox-cli-'));
    try {
      const serverUrl = process.env.DATABASE_URL ? h.testDb.url : null;
      const env: NodeJS.ProcessEnv = {
        DATA_DIR: dataDir,
        NODE_ENV: 'test',
        JWT_SECRET: 'x'.repeat(40),
        KEY_ENCRYPTION_SECRET: 'cli-key-encryption-secret-abcdefghijklmnopqrstuvwxyz',
        ...(serverUrl ? { DATABASE_URL: serverUrl } : {}),
      };
      const before = serverUrl ? (await h.app.keys.jwks()).map((k) => k.kid) : [];
      expect(await rotateKeysCommand(env)).toBe(0);
      expect(await rotateKeysCommand(env)).toBe(0);
      const printed = log.mock.calls.flat().join('\n');
      const kids = [...printed.matchAll(/New signing key (\S+);/g)].map((m) => m[1]);
      expect(kids).toHaveLength(2);
      const query = 'select kid, superseded_at from signing_keys order by created_at';
      let rows: { kid: string; superseded_at: Date | null }[];
      if (serverUrl) {
        ({ rows } = await h.db.query(query));
      } else {
        const db = await openPglite({ dataDir: join(dataDir, 'pgdata') });
        try {
          ({ rows } = await db.query(query));
        } finally {
          await db.close();
        }
      }
      // the newest signs, the ones before are superseded (and still published within the token lifetime)
      expect(rows.at(-1)).toMatchObject({ kid: kids[1], superseded_at: null });
      expect(rows.slice(0, -1).every((r) => r.superseded_at !== null)).toBe(true);
      expect(rows.map((r) => r.kid)).toEqual(expect.arrayContaining([...before, ...kids]));
      if (serverUrl) {
        await h.settle();
        expect((await h.app.keys.jwks()).map((k) => k.kid)).toEqual(expect.arrayContaining([kids[0], kids[1]]));
      }
    } finally {
      log.mockRestore();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
