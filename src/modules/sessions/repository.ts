import type { Queryable, Statement } from '../../db/index.js';
import type { TokenKind } from '../auth/tokens.js';

export interface SessionRow {
  id: string;
  kind: TokenKind;
  account_id: string;
  token_version: number;
  created_at: Date;
  last_used_at: Date;
  auth_time: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
}

export interface RefreshRow {
  token_hash: string;
  session_id: string;
  created_at: Date;
  spent_at: Date | null;
}

const COLUMNS = 'id, kind, account_id, token_version, created_at, last_used_at, auth_time, expires_at, user_agent, ip';

/** The sessions module owns `sessions` and `refresh_tokens`. */
export const sessionsRepository = {
  /** A new session and its first refresh token, in one statement (atomic without a transaction). */
  insertStatement(s: SessionRow, refreshHash: string): Statement<SessionRow> {
    return {
      sql: `with s as (
         insert into sessions (id, kind, account_id, token_version, created_at, last_used_at, auth_time, expires_at, user_agent, ip)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ${COLUMNS}),
       r as (insert into refresh_tokens (token_hash, session_id, created_at) select $11, id, created_at from s)
       select * from s`,
      params: [
        s.id,
        s.kind,
        s.account_id,
        s.token_version,
        s.created_at,
        s.last_used_at,
        s.auth_time,
        s.expires_at,
        s.user_agent,
        s.ip,
        refreshHash,
      ],
    };
  },

  async insertRefresh(q: Queryable, hash: string, sessionId: string, now: Date): Promise<void> {
    await q.query('insert into refresh_tokens (token_hash, session_id, created_at) values ($1, $2, $3)', [hash, sessionId, now]);
  },

  /**
   * The refresh token and its session, both locked for the rest of the transaction: the session
   * first, as every other writer of a session locks it (a deletion cascades to its tokens), so two
   * of them never wait on each other in opposite orders.
   */
  async lockRefresh(q: Queryable, hash: string): Promise<{ token: RefreshRow; session: SessionRow } | null> {
    const found = await q.query<{ session_id: string }>('select session_id from refresh_tokens where token_hash = $1', [hash]);
    const sessionId = found.rows[0]?.session_id;
    if (!sessionId) return null;
    const session = (await q.query<SessionRow>(`select ${COLUMNS} from sessions where id = $1 for update`, [sessionId])).rows[0];
    if (!session) return null;
    const token = (
      await q.query<RefreshRow>(
        'select token_hash, session_id, created_at, spent_at from refresh_tokens where token_hash = $1 for update',
        [hash],
      )
    ).rows[0];
    return token ? { token, session } : null;
  },

  async spend(q: Queryable, hash: string, now: Date): Promise<void> {
    await q.query('update refresh_tokens set spent_at = $2 where token_hash = $1', [hash, now]);
  },

  async touch(q: Queryable, id: string, now: Date): Promise<void> {
    await q.query('update sessions set last_used_at = $2 where id = $1', [id, now]);
  },

  async find(q: Queryable, id: string): Promise<SessionRow | null> {
    const { rows } = await q.query<SessionRow>(`select ${COLUMNS} from sessions where id = $1`, [id]);
    return rows[0] ?? null;
  },

  /** The sessions of an account that are alive: at its token_version, not past either end. */
  async listAlive(
    q: Queryable,
    kind: TokenKind,
    accountId: string,
    tokenVersion: number,
    idleBefore: Date,
    now: Date,
  ): Promise<SessionRow[]> {
    const { rows } = await q.query<SessionRow>(
      `select ${COLUMNS} from sessions
        where kind = $1 and account_id = $2 and token_version = $3 and last_used_at > $4 and expires_at > $5
        order by last_used_at desc, id`,
      [kind, accountId, tokenVersion, idleBefore, now],
    );
    return rows;
  },

  async delete(q: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await q.query('delete from sessions where id = $1', [id]);
    return rowCount > 0;
  },

  /** Ends an account's sessions (one kept: `except`); returns the ids ended. */
  async deleteForAccount(q: Queryable, kind: TokenKind, accountId: string, except: string | null): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      'delete from sessions where kind = $1 and account_id = $2 and ($3::uuid is null or id <> $3::uuid) returning id',
      [kind, accountId, except],
    );
    return rows.map((r) => r.id);
  },

  /** The session a password change keeps: on the account's new token_version, its password just typed. */
  async renew(q: Queryable, id: string, tokenVersion: number, authTime: Date): Promise<SessionRow | null> {
    const { rows } = await q.query<SessionRow>(
      `update sessions set token_version = $2, auth_time = $3, last_used_at = $3 where id = $1 returning ${COLUMNS}`,
      [id, tokenVersion, authTime],
    );
    return rows[0] ?? null;
  },

  /** Sessions that can no longer be used (past either end): removed by the worker. */
  async deleteEnded(q: Queryable, idleBefore: Date, now: Date, limit: number): Promise<number> {
    const { rowCount } = await q.query(
      `delete from sessions where id in (
         select id from sessions where expires_at <= $2 or last_used_at <= $1 limit $3)`,
      [idleBefore, now, limit],
    );
    return rowCount;
  },
};
