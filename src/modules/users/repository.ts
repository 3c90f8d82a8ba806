import type { Queryable } from '../../db/index.js';

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

export interface CredentialRow extends UserRow {
  password_hash: string;
  failed_logins: number;
  failed_login_window_start: Date | null;
}

const COLUMNS = `id, email, name, first_name, last_name, phone, picture, role, parent_id, permissions, status,
  token_version, last_login_at, created_at, updated_at`;

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

  /** For login: by email or by phone, with what a password check needs. */
  async findCredentials(q: Queryable, by: { email?: string; phone?: string }): Promise<CredentialRow | null> {
    const [where, value] = by.email !== undefined ? ['lower(email) = lower($1)', by.email] : ['phone = $1', by.phone];
    const { rows } = await q.query<CredentialRow>(
      `select ${COLUMNS}, password_hash, failed_logins, failed_login_window_start from users where ${where}`,
      [value],
    );
    return rows[0] ?? null;
  },

  async passwordHash(q: Queryable, id: string): Promise<string | null> {
    const { rows } = await q.query<{ password_hash: string }>('select password_hash from users where id = $1', [id]);
    return rows[0]?.password_hash ?? null;
  },


  /** Sets a new password and revokes every token issued before it. Returns the new token version. */
  async setPassword(q: Queryable, id: string, passwordHash: string, now: Date): Promise<number | null> {
    const { rows } = await q.query<{ token_version: number }>(
      `update users set password_hash = $2, token_version = token_version + 1, failed_logins = 0,
         failed_login_window_start = null, updated_at = $3
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

  /** Deletes the account; children, tokens, OTPs and memberships go with it (foreign keys cascade). */
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
