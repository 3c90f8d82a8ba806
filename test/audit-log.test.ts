import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../src/modules/audit/repository.js';
import { type Admin, adminLogin, adminWith, bootstrapSuperadmin, countRows } from './helpers/fixtures.js';
import { Harness, type Response, uniqueEmail } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const LOG = '/api/v1/admin/audit-log';

interface AuditEntry {
  id: number;
  admin_id: string | null;
  admin_email: string;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  created_at: string;
}

async function auditRows(where = 'true', params: unknown[] = []): Promise<AuditRow[]> {
  const { rows } = await h.db.query<AuditRow>(`select * from audit_log where ${where} order by id`, params);
  return rows;
}

const countAudit = () => countRows(h, 'audit_log');

/** The one row a successful action wrote, with who, what, which target, from where and when. */
async function expectOneRow(action: string, actor: Admin, targetId: string, since: number): Promise<AuditRow> {
  const rows = (await auditRows('id > $1', [since])).filter((r) => r.action === action);
  expect(rows, `${action} rows`).toHaveLength(1);
  const row = rows[0]!;
  expect(row.admin_id).toBe(actor.id);
  expect(row.admin_email).toBe(actor.email);
  expect(row.target_id).toBe(targetId);
  expect(row.ip).toBe('127.0.0.1');
  expect(row.created_at).toBeInstanceOf(Date);
  expect(Math.abs(row.created_at.getTime() - h.clock.now().getTime())).toBeLessThan(60_000);
  return row;
}

async function lastId(): Promise<number> {
  const { rows } = await h.db.query<{ id: string | null }>('select max(id)::text as id from audit_log');
  return Number(rows[0]!.id ?? 0);
}

function entries(res: Response): AuditEntry[] {
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data as AuditEntry[];
}

// ---------------------------------------------------------------------------------------------

describe('every admin change writes one audit row', () => {
  it('admin.create, admin.permissions (before/after) and admin.delete', async () => {
    const root = await bootstrapSuperadmin(h);
    expect(await countAudit()).toBe(0); // bootstrap is not an admin action

    let since = await lastId();
    const created = await h.post(
      '/api/v1/admin/create-admin',
      { email: uniqueEmail('audited'), password: 'password123', name: 'Audited', permissions: ['manage_users'] },
      root.token,
    );
    expect(created.statusCode, created.body).toBe(201);
    const targetId = created.json().data.id as string;
    const createRow = await expectOneRow('admin.create', root, targetId, since);
    expect(createRow.target_type).toBe('admin');
    expect(JSON.stringify(createRow.detail)).not.toContain('password123');
    expect(JSON.stringify(createRow.detail)).not.toContain('$argon2');

    since = await lastId();
    h.clock.advance(1000);
    const perms = await h.put(
      `/api/v1/admin/update-admin-permissions/${targetId}`,
      { permissions: ['view_analytics', 'view_user_details'] },
      root.token,
    );
    expect(perms.statusCode, perms.body).toBe(200);
    const permRow = await expectOneRow('admin.permissions', root, targetId, since);
    expect(permRow.detail.before).toEqual(['manage_users']);
    expect([...(permRow.detail.after as string[])].sort()).toEqual(['view_analytics', 'view_user_details']);

    since = await lastId();
    h.clock.advance(1000);
    expect((await h.delete(`/api/v1/admin/delete-admin/${targetId}`, root.token)).statusCode).toBe(200);
    await expectOneRow('admin.delete', root, targetId, since);

    expect((await auditRows()).map((r) => r.action)).toEqual(['admin.create', 'admin.permissions', 'admin.delete']);
  });

  it('user.deactivate, user.reactivate, user.reset_link and user.delete, by the admin who did them', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const user = await h.registerUser();

    let since = await lastId();
    expect((await h.get(`/api/admin/users/${user.id}/deactivate`, staff.token)).statusCode).toBe(200);
    expect((await expectOneRow('user.deactivate', staff, user.id, since)).target_type).toBe('user');

    since = await lastId();
    expect((await h.post(`/api/v1/admin/users/${user.id}/reactivate`, undefined, staff.token)).statusCode).toBe(200);
    await expectOneRow('user.reactivate', staff, user.id, since);

    since = await lastId();
    const link = await h.post('/api/admin/users/sendPasswordResetLink', { email: user.email }, staff.token);
    expect(link.statusCode, link.body).toBe(200);
    const linkRow = await expectOneRow('user.reset_link', staff, user.id, since);
    // the reset token never lands in the log
    await h.deliver();
    const token = h.mailer.last(user.email)?.text.match(/reset-password\?token=([^\s&]+)/)?.[1];
    expect(token).toBeDefined();
    expect(JSON.stringify(linkRow.detail)).not.toContain(decodeURIComponent(token!));

    since = await lastId();
    expect((await h.delete(`/api/admin/users/${user.id}`, staff.token)).statusCode).toBe(200);
    await expectOneRow('user.delete', staff, user.id, since);
  });

  it('keeps the rows of an admin who was deleted later (who did it stays known)', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const user = await h.registerUser();
    expect((await h.post(`/api/v1/admin/users/${user.id}/deactivate`, undefined, staff.token)).statusCode).toBe(200);
    expect((await h.delete(`/api/v1/admin/admins/${staff.id}`, root.token)).statusCode).toBe(200);
    const rows = await auditRows('action = $1', ['user.deactivate']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ admin_id: staff.id, admin_email: staff.email, target_id: user.id });
  });
});

describe('a failed action writes no audit row', () => {
  it('409 deleting the last superadmin, 404 deactivating/reactivating/deleting an unknown user, 404 reset link to an unknown email, 409 duplicate admin, 404 permissions of an unknown admin, 422 bad input', async () => {
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const before = await countAudit();
    const unknown = crypto.randomUUID();

    expect((await h.delete(`/api/v1/admin/delete-admin/${root.id}`, root.token)).statusCode).toBe(409);
    expect((await h.delete(`/api/v1/admin/delete-admin/${unknown}`, root.token)).statusCode).toBe(404);
    expect((await h.get(`/api/admin/users/${unknown}/deactivate`, staff.token)).statusCode).toBe(404);
    expect((await h.post(`/api/v1/admin/users/${unknown}/reactivate`, undefined, staff.token)).statusCode).toBe(404);
    expect((await h.delete(`/api/admin/users/${unknown}`, staff.token)).statusCode).toBe(404);
    expect((await h.post('/api/admin/users/sendPasswordResetLink', { email: uniqueEmail('ghost') }, staff.token)).statusCode).toBe(404);
    expect(
      (await h.post('/api/v1/admin/create-admin', { email: staff.email, password: 'password123', name: 'Dup' }, root.token)).statusCode,
    ).toBe(409);
    expect((await h.put(`/api/v1/admin/update-admin-permissions/${unknown}`, { permissions: [] }, root.token)).statusCode).toBe(404);
    expect((await h.put(`/api/v1/admin/update-admin-permissions/${staff.id}`, { permissions: ['nope'] }, root.token)).statusCode).toBe(422);
    // refused for want of permission: nothing happened, nothing logged
    expect(
      (await h.post('/api/v1/admin/create-admin', { email: uniqueEmail(), password: 'password123', name: 'X' }, staff.token)).statusCode,
    ).toBe(403);

    expect(await countAudit()).toBe(before);
  });

  it('the audit row and the change commit together: when the audit insert fails, the change is rolled back', async () => {
    const root = await bootstrapSuperadmin(h);
    const user = await h.registerUser();
    const target = await adminWith(h, ['view_analytics'], { by: root });
    // make every new audit row fail to insert
    await h.db.exec(`alter table audit_log add constraint audit_test_block check (action = 'admin.create') not valid`);
    try {
      const deactivate = await h.post(`/api/v1/admin/users/${user.id}/deactivate`, undefined, root.token);
      expect(deactivate.statusCode).toBeGreaterThanOrEqual(400);
      const { rows: u } = await h.db.query<{ status: string }>('select status from users where id = $1', [user.id]);
      expect(u[0]!.status).toBe('active');

      const perms = await h.put(`/api/v1/admin/update-admin-permissions/${target.id}`, { permissions: ['manage_users'] }, root.token);
      expect(perms.statusCode).toBeGreaterThanOrEqual(400);
      const { rows: a } = await h.db.query<{ permissions: string[] }>('select permissions from admins where id = $1', [target.id]);
      expect(a[0]!.permissions).toEqual(['view_analytics']);
      // and its token was not revoked either
      expect((await h.get(`/api/v1/admin/admins/${target.id}`, target.token)).statusCode).toBe(200);

      const del = await h.delete(`/api/v1/admin/users/${user.id}`, root.token);
      expect(del.statusCode).toBeGreaterThanOrEqual(400);
      const { rows: n } = await h.db.query<{ n: number }>('select count(*)::int as n from users where id = $1', [user.id]);
      expect(n[0]!.n).toBe(1);

      const link = await h.post('/api/v1/admin/users/password-reset-link', { email: user.email }, root.token);
      expect(link.statusCode).toBeGreaterThanOrEqual(400);
      await h.deliver();
      expect(h.mailer.to(user.email).filter((m) => m.text.includes('/reset-password?token='))).toHaveLength(0);
    } finally {
      await h.db.exec('alter table audit_log drop constraint audit_test_block');
    }
  });
});

describe('GET /api/v1/admin/audit-log', () => {
  /** root creates staff (1 row), staff deactivates/reactivates two users (4 rows), root changes staff's permissions (1 row): 6 rows, one second apart. */
  async function seed() {
    const root = await bootstrapSuperadmin(h);
    h.clock.advance(1000);
    const staff = await adminWith(h, ['manage_users'], { by: root });
    const u1 = await h.registerUser();
    const u2 = await h.registerUser();
    for (const [user, action] of [
      [u1, 'deactivate'],
      [u2, 'deactivate'],
      [u1, 'reactivate'],
      [u2, 'reactivate'],
    ] as const) {
      h.clock.advance(1000);
      expect((await h.post(`/api/v1/admin/users/${user.id}/${action}`, undefined, staff.token)).statusCode).toBe(200);
    }
    h.clock.advance(1000);
    expect(
      (await h.put(`/api/v1/admin/admins/${staff.id}/permissions`, { permissions: ['manage_users', 'view_audit_log'] }, root.token))
        .statusCode,
    ).toBe(200);
    const staffToken = await adminLogin(h, staff.email, staff.password);
    return { root, staff: { ...staff, token: staffToken }, u1, u2 };
  }

  it('gives a superadmin every entry, newest first', async () => {
    const { root, staff, u1, u2 } = await seed();
    const res = await h.get(LOG, root.token);
    const data = entries(res);
    expect(res.json().status).toBe(true);
    expect(data.map((e) => e.action)).toEqual([
      'admin.permissions',
      'user.reactivate',
      'user.reactivate',
      'user.deactivate',
      'user.deactivate',
      'admin.create',
    ]);
    expect(data.map((e) => e.target_id)).toEqual([staff.id, u2.id, u1.id, u2.id, u1.id, staff.id]);
    for (let i = 1; i < data.length; i++) {
      expect(data[i - 1]!.id).toBeGreaterThan(data[i]!.id);
      expect(Date.parse(data[i - 1]!.created_at)).toBeGreaterThan(Date.parse(data[i]!.created_at));
    }
    expect(data[0]).toMatchObject({ admin_id: root.id, admin_email: root.email, target_type: 'admin', ip: '127.0.0.1' });
    expect(data[0]!.detail).toMatchObject({ before: ['manage_users'] });
    expect(res.json().meta.next_cursor).toBeNull();
    expect(res.body).not.toContain('$argon2');
  });

  it('is open to an admin with view_audit_log and closed (403) to an admin with every other permission', async () => {
    const { root, staff } = await seed();
    expect(entries(await h.get(LOG, staff.token))).toHaveLength(6);
    const others = await adminWith(
      h,
      ['manage_users', 'view_user_details', 'manage_content', 'manage_plans', 'manage_subscriptions', 'view_analytics'],
      { by: root },
    );
    const refused = await h.get(LOG, others.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ status: false, code: 'FORBIDDEN' });
    expect(refused.body).not.toContain('admin.create');
  });

  it('filters by admin_id, target_id and action, alone and combined', async () => {
    const { root, staff, u1 } = await seed();
    const byStaff = entries(await h.get(`${LOG}?admin_id=${staff.id}`, root.token));
    expect(byStaff).toHaveLength(4);
    expect(byStaff.every((e) => e.admin_id === staff.id)).toBe(true);

    const byRoot = entries(await h.get(`${LOG}?admin_id=${root.id}`, root.token));
    expect(byRoot.map((e) => e.action)).toEqual(['admin.permissions', 'admin.create']);

    const onU1 = entries(await h.get(`${LOG}?target_id=${u1.id}`, root.token));
    expect(onU1.map((e) => e.action)).toEqual(['user.reactivate', 'user.deactivate']);
    expect(onU1.every((e) => e.target_id === u1.id)).toBe(true);

    const deactivations = entries(await h.get(`${LOG}?action=user.deactivate`, root.token));
    expect(deactivations).toHaveLength(2);
    expect(deactivations.every((e) => e.action === 'user.deactivate')).toBe(true);

    const combined = entries(await h.get(`${LOG}?admin_id=${staff.id}&target_id=${u1.id}&action=user.reactivate`, root.token));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ admin_id: staff.id, target_id: u1.id, action: 'user.reactivate' });

    expect(entries(await h.get(`${LOG}?action=admin.delete`, root.token))).toEqual([]);
    expect(entries(await h.get(`${LOG}?admin_id=${crypto.randomUUID()}`, root.token))).toEqual([]);
  });

  it('filters by time: from (inclusive) and to (exclusive), alone, together and with another filter', async () => {
    const { root, staff } = await seed();
    const all = entries(await h.get(LOG, root.token));
    // one second apart, newest first: [permissions, reactivate, reactivate, deactivate, deactivate, create]
    const at = (i: number) => encodeURIComponent(all[i]!.created_at);
    expect(entries(await h.get(`${LOG}?from=${at(2)}`, root.token)).map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.id));
    expect(entries(await h.get(`${LOG}?to=${at(2)}`, root.token)).map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
    expect(entries(await h.get(`${LOG}?from=${at(4)}&to=${at(1)}`, root.token)).map((e) => e.action)).toEqual([
      'user.reactivate',
      'user.deactivate',
      'user.deactivate',
    ]);
    const staffDeactivations = entries(
      await h.get(`${LOG}?from=${at(4)}&to=${at(1)}&admin_id=${staff.id}&action=user.deactivate`, root.token),
    );
    expect(staffDeactivations).toHaveLength(2);
    expect(entries(await h.get(`${LOG}?from=${at(0)}&to=${at(0)}`, root.token))).toEqual([]);
    for (const query of ['from=yesterday', 'to=2026-13-01T00:00:00Z', 'from=2026-12-01']) {
      const res = await h.get(`${LOG}?${query}`, root.token);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(422);
      expect(res.json().message).toMatch(/from|to/);
    }
  });

  it('walks every entry with limit=2 through meta.next_cursor: no duplicates, no gaps, ends with null', async () => {
    const { root } = await seed();
    const all = entries(await h.get(LOG, root.token)).map((e) => e.id);
    expect(all).toHaveLength(6);

    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const res = await h.get(`${LOG}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, root.token);
      const page = entries(res);
      expect(page.length).toBeLessThanOrEqual(2);
      expect(res.json().meta.limit).toBe(2);
      seen.push(...page.map((e) => e.id));
      cursor = res.json().meta.next_cursor;
      pages++;
      expect(pages).toBeLessThan(10);
    } while (cursor !== null);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });

  it('pages a filtered list the same way, and new entries do not shift a walk in progress', async () => {
    const { root, staff, u1 } = await seed();
    const first = await h.get(`${LOG}?admin_id=${staff.id}&limit=2`, root.token);
    expect(entries(first).map((e) => e.action)).toEqual(['user.reactivate', 'user.reactivate']);
    const cursor = first.json().meta.next_cursor as number;
    expect(cursor).not.toBeNull();

    // a new action by staff happens between pages
    expect((await h.post(`/api/v1/admin/users/${u1.id}/deactivate`, undefined, staff.token)).statusCode).toBe(200);

    const second = await h.get(`${LOG}?admin_id=${staff.id}&limit=2&cursor=${cursor}`, root.token);
    expect(entries(second).map((e) => e.action)).toEqual(['user.deactivate', 'user.deactivate']);
    expect(entries(second).every((e) => e.id < cursor)).toBe(true);
    expect(second.json().meta.next_cursor).toBeNull();
  });

  it('answers 422 for a malformed admin_id, cursor or limit, and for an action that is not one', async () => {
    const { root } = await seed();
    for (const query of ['admin_id=abc', 'cursor=abc', 'cursor=0', 'limit=0', 'limit=101', 'action=user.nope', 'action=']) {
      const res = await h.get(`${LOG}?${query}`, root.token);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });
});
