import type { Queryable } from '../../db/index.js';
import type { UserRow } from './repository.js';

export interface UserListFilter {
  search?: string;
  status?: 'active' | 'deactivated';
  role?: 'parent' | 'child';
  /** keyset position: the last row of the previous page */
  after?: { createdAt: string; id: string };
  offset?: number;
  limit: number;
}

const COLUMNS = `id, email, name, first_name, last_name, phone, picture, role, parent_id, permissions, status,
  token_version, last_login_at, created_at, updated_at`;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The user directory as admins see it: listing and counting over the users table (read only). */
export const directoryRepository = {
  /**
   * Newest first. With `after`, a keyset page (`(created_at, id) < after`): as fast on page 50,000
   * as on page 1. `cursor_ts` is the timestamp as ISO text in UTC with microseconds, so the
   * cursor loses nothing a JS Date would round away.
   */
  async list(q: Queryable, f: UserListFilter): Promise<{ rows: (UserRow & { cursor_ts: string })[]; total: number | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.search) {
      const like = p(`%${escapeLike(f.search.toLowerCase())}%`);
      where.push(`(lower(email) like ${like} or lower(name) like ${like})`);
    }
    if (f.status) where.push(`status = ${p(f.status)}`);
    if (f.role) where.push(`role = ${p(f.role)}`);
    const filterSql = where.length ? `where ${where.join(' and ')}` : '';
    // the total is only counted for page-numbered requests; a cursor walk does not need it
    let total: number | null = null;
    if (!f.after) {
      const { rows } = await q.query<{ n: number }>(`select count(*)::int as n from users ${filterSql}`, params);
      total = rows[0]?.n ?? 0;
    }
    const pageWhere = [...where];
    if (f.after) pageWhere.push(`(created_at, id) < (${p(f.after.createdAt)}::timestamptz, ${p(f.after.id)}::uuid)`);
    const { rows } = await q.query<UserRow & { cursor_ts: string }>(
      `select ${COLUMNS}, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts from users ${pageWhere.length ? `where ${pageWhere.join(' and ')}` : ''}
       order by created_at desc, id desc limit ${p(f.limit)} offset ${p(f.after ? 0 : (f.offset ?? 0))}`,
      params,
    );
    return { rows, total };
  },
};
