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

/** The separators between words: ASCII spaces and punctuation (as migration 0012's user_search_split). */
const SEPARATORS = '\\x01-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7F';
const SEPARATOR = new RegExp(`[${SEPARATORS}]`);
const EVERY_SEPARATOR = new RegExp(`[${SEPARATORS}]`, 'g');
const WORD_CHAR = new RegExp(`[^${SEPARATORS}]`);

/**
 * The search: accounts where a word of the email or the name begins with the term (a term that
 * begins with a separator, such as "@acme", matches wherever it appears), case-insensitively.
 * The word index of migration 0012 finds the candidates and the regular expression rechecks the
 * term itself, so "wang.4242" matches "alan.wang.4242@acme.io" and not "alan.wang.14242@…". A
 * term with no word at all ("%", "_") is a plain substring match: no index serves it.
 * Lowercasing happens in the database on both sides, so it agrees with the index under any locale.
 */
function searchCondition(term: string, p: (v: unknown) => string): string {
  if (!WORD_CHAR.test(term)) {
    const like = p(`%${escapeLike(term)}%`);
    return `(lower(email) like lower(${like}) or lower(name) like lower(${like}))`;
  }
  // ASCII punctuation escaped with a backslash is that character in a PostgreSQL regular expression;
  // letters, digits and non-ASCII characters are never special
  const literal = term.replace(EVERY_SEPARATOR, (c) => `\\${c}`);
  const anchor = SEPARATOR.test(term[0] ?? '') ? '' : `(^|[${SEPARATORS}])`;
  const re = `('${anchor}' || lower(${p(literal)}))`;
  return `(user_search_words(email, name) @@ user_search_query(${p(term)}) and (lower(email) ~ ${re} or lower(name) ~ ${re}))`;
}

/** A page-numbered list counts its matches up to this many; past it `total` is null (a cursor walk never counts). */
export const COUNT_CAP = 1_000;

/**
 * The statements of one directory page: the page (newest first, keyset after `after`) and, for a
 * page-numbered request, the capped count. Exported so a test can EXPLAIN exactly what runs.
 * The search is served by the word index of migration 0012, the order and the status and
 * role filters by the (…, created_at desc, id desc) indexes of 0002.
 */
export function directoryQueries(f: UserListFilter): {
  page: { sql: string; params: unknown[] };
  count: { sql: string; params: unknown[] } | null;
} {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.search) where.push(searchCondition(f.search, p));
  if (f.status) where.push(`status = ${p(f.status)}`);
  if (f.role) where.push(`role = ${p(f.role)}`);
  const filterSql = where.length ? `where ${where.join(' and ')}` : '';
  const count = f.after
    ? null
    : { sql: `select count(*)::int as n from (select 1 from users ${filterSql} limit ${COUNT_CAP + 1}) capped`, params: [...params] };
  const pageWhere = [...where];
  if (f.after) pageWhere.push(`(created_at, id) < (${p(f.after.createdAt)}::timestamptz, ${p(f.after.id)}::uuid)`);
  const sql = `select ${COLUMNS}, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts
     from users ${pageWhere.length ? `where ${pageWhere.join(' and ')}` : ''}
     order by created_at desc, id desc limit ${p(f.limit)} offset ${p(f.after ? 0 : (f.offset ?? 0))}`;
  return { page: { sql, params }, count };
}

/** The user directory as admins see it: listing and counting over the users table (read only). */
export const directoryRepository = {
  /**
   * Newest first. With `after`, a keyset page (`(created_at, id) < after`): as fast on page 50,000
   * as on page 1. `cursor_ts` is the timestamp as ISO text in UTC with microseconds, so the
   * cursor loses nothing a JS Date would round away. `total`: the exact number of matches up to
   * COUNT_CAP, null past it (counting a million rows is what made a first page slow) and for a cursor page.
   */
  async list(q: Queryable, f: UserListFilter): Promise<{ rows: (UserRow & { cursor_ts: string })[]; total: number | null }> {
    const { page, count } = directoryQueries(f);
    const { rows } = await q.query<UserRow & { cursor_ts: string }>(page.sql, page.params);
    if (!count) return { rows, total: null };
    // a first page that is not full holds every match: no need to count them again
    const offset = f.offset ?? 0;
    if (rows.length < f.limit && (offset === 0 || rows.length > 0)) return { rows, total: offset + rows.length };
    const n = (await q.query<{ n: number }>(count.sql, count.params)).rows[0]?.n ?? 0;
    return { rows, total: n > COUNT_CAP ? null : n };
  },
};
