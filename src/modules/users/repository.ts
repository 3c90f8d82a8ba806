import type { Queryable, Statement } from '../../db/index.js';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  picture: string | null;
  role: 'parent' | 'child';
  parent_id: string | null;
  permissions: string[];
  status: 'active' | 'deactivated';
  token_version: number;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A child's parent status travels with it: a deactivated parent deactivates its children too. */
export interface AuthRow extends UserRow {
  parent_status: 'active' | 'deactivated' | null;
}

export interface CredentialRow extends AuthRow {
  password_hash: string;
  /** set when an email change was reverted: the right password alone no longer logs in */
  password_reset_required: boolean;
}

const COLUMNS = `id, email, name, first_name, last_name, phone, picture, role, parent_id, permissions, status,
  token_version, last_login_at, created_at, updated_at`;

/** What a login names the account by (HNG lets either do). */
export type LoginName = { email?: string; phone?: string };
const loginWhere = (by: LoginName): [string, string | undefined] =>
  by.email !== undefined ? ['lower(email) = lower($1)', by.email] : ['phone = $1', by.phone];

const PARENT_STATUS = '(select p.status from users p where p.id = users.parent_id) as parent_status';

export interface NewUser {
  email: string;
  passwordHash: string;
  name: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: 'parent' | 'child';
  parentId: string | null;
  permissions: string[];
}

export interface ProfileChanges {
  email?: string;
  name?: string;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  picture?: string | null;
}

/** The only SQL for customer accounts. */
export const usersRepository = {
  async insert(q: Queryable, u: NewUser, now: Date): Promise<UserRow> {
    const { rows } = await q.query<UserRow>(
      `insert into users (email, password_hash, name, first_name, last_name, phone, role, parent_id, permissions, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning ${COLUMNS}`,
      [u.email, u.passwordHash, u.name, u.firstName, u.lastName, u.phone, u.role, u.parentId, u.permissions, now],
    );
    return rows[0]!;
  },

  async findById(q: Queryable, id: string): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from users where id = $1`, [id]);
    return rows[0] ?? null;
  },

  async findByEmail(q: Queryable, email: string): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from users where lower(email) = lower($1)`, [email]);
    return rows[0] ?? null;
  },

  /** For the bearer check: the account and its parent's status, in one round trip. */
  async findForAuth(q: Queryable, id: string): Promise<AuthRow | null> {
    const { rows } = await q.query<AuthRow>(`select ${COLUMNS}, ${PARENT_STATUS} from users where id = $1`, [id]);
    return rows[0] ?? null;
  },

  /** For login: the account by email or by phone, with what a password check needs (none or one row). */
  credentials(by: LoginName): Statement<CredentialRow> {
    const [where, value] = loginWhere(by);
    return {
      sql: `select ${COLUMNS}, ${PARENT_STATUS}, password_hash, password_reset_required from users where ${where}`,
      params: [value],
    };
  },

  /** The same account's id as a subquery whose parameter is `$1` (a read batched with the credentials: the lockout's). */
  idOf(by: LoginName): { sql: string; params: unknown[] } {
    const [where, value] = loginWhere(by);
    return { sql: `select id from users where ${where}`, params: [value] };
  },

  recordLogin(id: string, now: Date): Statement {
    return { sql: 'update users set last_login_at = $2 where id = $1', params: [id, now] };
  },

  async passwordHash(q: Queryable, id: string): Promise<string | null> {
    const { rows } = await q.query<{ password_hash: string }>('select password_hash from users where id = $1', [id]);
    return rows[0]?.password_hash ?? null;
  },

  /** Sets a new password (which meets a pending password-reset requirement) and revokes every earlier token. Returns the new token version. */
  async setPassword(q: Queryable, id: string, passwordHash: string, now: Date): Promise<number | null> {
    const { rows } = await q.query<{ token_version: number }>(
      `update users set password_hash = $2, password_reset_required = false, token_version = token_version + 1, updated_at = $3
       where id = $1 returning token_version`,
      [id, passwordHash, now],
    );
    return rows[0]?.token_version ?? null;
  },

  async updateProfile(q: Queryable, id: string, c: ProfileChanges, now: Date): Promise<UserRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (c.email !== undefined) add('email', c.email);
    if (c.name !== undefined) add('name', c.name);
    if (c.firstName !== undefined) add('first_name', c.firstName);
    if (c.lastName !== undefined) add('last_name', c.lastName);
    if (c.phone !== undefined) add('phone', c.phone);
    if (c.picture !== undefined) add('picture', c.picture);
    add('updated_at', now);
    const { rows } = await q.query<UserRow>(`update users set ${sets.join(', ')} where id = $1 returning ${COLUMNS}`, params);
    return rows[0] ?? null;
  },

  /** The account, locked until the transaction ends: an email change reads the address it replaces. */
  async lockById(q: Queryable, id: string): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from users where id = $1 for update`, [id]);
    return rows[0] ?? null;
  },

  /** Gives back an earlier email, revokes every token and makes the next login go through a password reset. */
  async restoreEmail(q: Queryable, id: string, email: string, now: Date): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(
      `update users set email = $2, token_version = token_version + 1, password_reset_required = true, updated_at = $3
       where id = $1 returning ${COLUMNS}`,
      [id, email, now],
    );
    return rows[0] ?? null;
  },

  /** Deletes the account; children, tokens, OTPs and memberships go with it (foreign keys cascade). */
  /** Deactivates or reactivates; deactivation also revokes every token. Null when the user does not exist. */
  async setStatus(q: Queryable, id: string, status: 'active' | 'deactivated', now: Date): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(
      `update users set status = $2, updated_at = $3,
         token_version = case when $2 = 'deactivated' then token_version + 1 else token_version end
       where id = $1 returning ${COLUMNS}`,
      [id, status, now],
    );
    return rows[0] ?? null;
  },

  /** The user, locked against deletion (and key changes) until the caller's transaction ends. */
  async lockKey(q: Queryable, id: string): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from users where id = $1 for key share`, [id]);
    return rows[0] ?? null;
  },

  async delete(q: Queryable, id: string): Promise<UserRow | null> {
    const { rows } = await q.query<UserRow>(`delete from users where id = $1 returning ${COLUMNS}`, [id]);
    return rows[0] ?? null;
  },

  /** Locks the parent row so concurrent child creations count and insert one at a time. */
  async lockAndCountChildren(q: Queryable, parentId: string): Promise<number> {
    await q.query('select id from users where id = $1 for update', [parentId]);
    return usersRepository.countChildren(q, parentId);
  },

  async listChildren(q: Queryable, parentId: string): Promise<UserRow[]> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from users where parent_id = $1 order by created_at, id`, [parentId]);
    return rows;
  },

  async countChildren(q: Queryable, parentId: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>('select count(*)::int as n from users where parent_id = $1', [parentId]);
    return rows[0]?.n ?? 0;
  },
};
