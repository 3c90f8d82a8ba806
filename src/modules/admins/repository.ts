import type { Queryable, Statement } from '../../db/index.js';

export interface AdminRow {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'superadmin';
  permissions: string[];
  token_version: number;
  created_by: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AdminCredentialRow extends AdminRow {
  password_hash: string;
}

const COLUMNS = 'id, email, name, role, permissions, token_version, created_by, last_login_at, created_at, updated_at';

/** A fixed key: instances bootstrapping the first superadmin take turns. */
const BOOTSTRAP_LOCK_KEY = 727_002;

/** The only SQL for staff accounts. */
/** How a login finds an admin: the email in any case, `$1`. */
const BY_EMAIL = 'lower(email) = lower($1)';

export const adminsRepository = {
  async insert(
    q: Queryable,
    a: { email: string; passwordHash: string; name: string; role: 'admin' | 'superadmin'; permissions: string[]; createdBy: string | null },
    now: Date,
  ): Promise<AdminRow> {
    const { rows } = await q.query<AdminRow>(
      `insert into admins (email, password_hash, name, role, permissions, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $7) returning ${COLUMNS}`,
      [a.email, a.passwordHash, a.name, a.role, a.permissions, a.createdBy, now],
    );
    return rows[0]!;
  },

  /** Creates the superadmin unless one exists; serialised so instances starting together create one. */
  async insertFirstSuperadmin(q: Queryable, a: { email: string; passwordHash: string; name: string }, now: Date): Promise<AdminRow | null> {
    await q.query('select pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
    const { rows } = await q.query<AdminRow>(
      `insert into admins (email, password_hash, name, role, permissions, created_at, updated_at)
       select $1, $2, $3, 'superadmin', '{}', $4, $4
       where not exists (select 1 from admins where role = 'superadmin')
       on conflict (lower(email)) do nothing
       returning ${COLUMNS}`,
      [a.email, a.passwordHash, a.name, now],
    );
    return rows[0] ?? null;
  },

  async countSuperadmins(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ n: number }>("select count(*)::int as n from admins where role = 'superadmin'");
    return rows[0]?.n ?? 0;
  },

  async findById(q: Queryable, id: string): Promise<AdminRow | null> {
    const { rows } = await q.query<AdminRow>(`select ${COLUMNS} from admins where id = $1`, [id]);
    return rows[0] ?? null;
  },

  /** For login: the admin by email (none or one row), and its id as a subquery on `$1`, for a batch with the lockout's read. */
  credentials(email: string): Statement<AdminCredentialRow> {
    return { sql: `select ${COLUMNS}, password_hash from admins where ${BY_EMAIL}`, params: [email] };
  },
  idOf(email: string): { sql: string; params: unknown[] } {
    return { sql: `select id from admins where ${BY_EMAIL}`, params: [email] };
  },

  /** A sign-in's time, as a statement for the sign-in's batch (`Db.batch`). */
  recordLogin(id: string, now: Date): Statement {
    return { sql: 'update admins set last_login_at = $2 where id = $1', params: [id, now] };
  },

  async list(q: Queryable): Promise<AdminRow[]> {
    const { rows } = await q.query<AdminRow>(`select ${COLUMNS} from admins order by created_at, id`);
    return rows;
  },

  /** Replaces the permissions and revokes the admin's tokens (they carry the old ones). */
  async setPermissions(q: Queryable, id: string, permissions: string[], now: Date): Promise<AdminRow | null> {
    const { rows } = await q.query<AdminRow>(
      `update admins set permissions = $2, token_version = token_version + 1, updated_at = $3 where id = $1 returning ${COLUMNS}`,
      [id, permissions, now],
    );
    return rows[0] ?? null;
  },

  async superadminEmails(q: Queryable): Promise<string[]> {
    const { rows } = await q.query<{ email: string }>("select email from admins where role = 'superadmin' order by created_at");
    return rows.map((r) => r.email);
  },

  /** Locks every superadmin row, so two concurrent deletions cannot remove the last two. */
  async lockSuperadmins(q: Queryable): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>("select id from admins where role = 'superadmin' order by id for update");
    return rows.map((r) => r.id);
  },

  async delete(q: Queryable, id: string): Promise<AdminRow | null> {
    const { rows } = await q.query<AdminRow>(`delete from admins where id = $1 returning ${COLUMNS}`, [id]);
    return rows[0] ?? null;
  },
};
