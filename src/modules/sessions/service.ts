import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { ChangeFeed } from '../../db/changes.js';
import { exactReads } from '../../db/exact-reads.js';
import type { Db, Queryable, Statement } from '../../db/index.js';
import type { TokenKind } from '../auth/tokens.js';
import { sessionsRepository as repo, type SessionRow } from './repository.js';

export const SESSION_MESSAGES = {
  refreshInvalid: 'Invalid or expired refresh token, please log in again',
  refreshReused: 'This refresh token was already used: the session has been ended for safety, please log in again',
  refreshed: 'Token refreshed successfully',
  loggedOut: 'Logged out successfully',
  loggedOutAll: 'Logged out of every session',
  sessionsFetched: 'Sessions fetched successfully',
  sessionEnded: 'Session ended successfully',
  sessionNotFound: 'Session not found',
} as const;

/** A spent refresh token presented again within this long gets the same successor (a client's retry). */
export const REFRESH_GRACE_MS = 10_000;
const CACHE_MAX = 50_000;
const CACHE_MAX_AGE_MS = 60_000;

export type RotateResult =
  | { ok: true; session: SessionRow; refreshToken: string; issuedAt: Date }
  | { ok: false; reason: 'invalid' | 'expired' | 'reused' };

/** Who a new session is for (a sign-in). */
export interface NewSession {
  kind: TokenKind;
  accountId: string;
  tokenVersion: number;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionsConfig {
  sessionIdleTtlSeconds: number;
  sessionMaxTtlSeconds: number;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The sessions module owns `sessions` and `refresh_tokens`: one session per sign-in (user or
 * admin), its refresh tokens (only their SHA-256 is stored; each is spent by the refresh that
 * uses it), reuse detection, and the request guard's question "is this session still alive?",
 * answered from memory while the change feed listens (an ended session is announced; the instance
 * that ends one answers only once every instance has heard, as for a revoked account).
 *
 * A refresh token's successor is an HMAC of it under a server key, so a retry of the same refresh
 * within the grace gets the same successor without any token being stored in the clear.
 */
export function createSessions(deps: { db: Db; clock: Clock; changes: ChangeFeed; config: SessionsConfig; secret: string }) {
  const { db, clock, changes, config } = deps;
  const successorKey = createHmac('sha256', deps.secret).update('refresh-token-successor').digest();
  const alive = new Map<string, { kind: TokenKind; accountId: string; at: number }>();
  const reads = exactReads(changes);

  changes.on('sessions', (id) => {
    if (id === null) alive.clear();
    else alive.delete(id);
  });

  const idleBefore = (now: Date) => new Date(now.getTime() - config.sessionIdleTtlSeconds * 1000);

  /** Ends sessions in `q`'s transaction; answered once every instance has heard (a revocation). */
  function ended(q: Queryable, ids: string[]): void {
    if (ids.length === 0) return;
    reads.changed(q, () => {
      for (const id of ids) alive.delete(id);
      return changes.sync();
    });
  }

  async function issueRefresh(q: Queryable, sessionId: string, token: string, now: Date): Promise<void> {
    await repo.insertRefresh(q, hashOf(token), sessionId, now);
  }

  /**
   * A new session and its refresh token as one statement, for `start` or a sign-in's batch
   * (`Db.batch`). Its id is made here, so `session` is the row the statement writes, known before
   * it runs: a sign-in signs the access token while the batch is on its way.
   */
  function starting(s: NewSession): { statement: Statement<SessionRow>; session: SessionRow; refreshToken: string } {
    const now = clock.now();
    const refreshToken = randomBytes(32).toString('base64url');
    const session: SessionRow = {
      id: randomUUID(),
      kind: s.kind,
      account_id: s.accountId,
      token_version: s.tokenVersion,
      created_at: now,
      last_used_at: now,
      auth_time: now,
      expires_at: new Date(now.getTime() + config.sessionMaxTtlSeconds * 1000),
      user_agent: s.userAgent?.slice(0, 512) ?? null,
      ip: s.ip,
    };
    return { statement: repo.insertStatement(session, hashOf(refreshToken)), session, refreshToken };
  }

  return {
    /** A new session for a sign-in, and its first refresh token (one statement: both or neither). */
    async start(q: Queryable, s: NewSession): Promise<{ session: SessionRow; refreshToken: string }> {
      const { statement, refreshToken } = starting(s);
      const { rows } = await q.query<SessionRow>(statement.sql, statement.params);
      return { session: rows[0]!, refreshToken };
    },

    starting,

    /**
     * Spends a refresh token (in the caller's transaction): its successor, or the same successor
     * again within the grace; a spent token after the grace ends the whole session (whoever holds
     * the other copy is signed out too). An expired session is ended.
     */
    async rotate(tx: Queryable, kind: TokenKind, token: string): Promise<RotateResult> {
      const now = clock.now();
      const found = await repo.lockRefresh(tx, hashOf(token));
      if (!found || found.session.kind !== kind) return { ok: false, reason: 'invalid' };
      const { session } = found;
      if (session.expires_at.getTime() <= now.getTime() || session.last_used_at.getTime() <= idleBefore(now).getTime()) {
        await repo.delete(tx, session.id);
        ended(tx, [session.id]);
        return { ok: false, reason: 'expired' };
      }
      const successor = createHmac('sha256', successorKey).update(token).digest('base64url');
      const spentAt = found.token.spent_at;
      if (spentAt === null) {
        await repo.spend(tx, found.token.token_hash, now);
        await issueRefresh(tx, session.id, successor, now);
        await repo.touch(tx, session.id, now);
        return { ok: true, session: { ...session, last_used_at: now }, refreshToken: successor, issuedAt: now };
      }
      if (now.getTime() - spentAt.getTime() <= REFRESH_GRACE_MS) {
        return { ok: true, session, refreshToken: successor, issuedAt: spentAt };
      }
      await repo.delete(tx, session.id);
      ended(tx, [session.id]);
      return { ok: false, reason: 'reused' };
    },

    /** For the request guard: the session's kind and account while it exists, else null. */
    alive(id: string): Promise<{ kind: TokenKind; accountId: string } | null> {
      return reads.read(
        () => {
          const hit = alive.get(id);
          return hit && performance.now() - hit.at < CACHE_MAX_AGE_MS ? hit : undefined;
        },
        async () => {
          const row = await repo.find(db, id);
          return row ? { kind: row.kind, accountId: row.account_id, at: performance.now() } : null;
        },
        (value) => {
          if (!value) return;
          if (alive.size >= CACHE_MAX) alive.delete(alive.keys().next().value as string);
          alive.set(id, value);
        },
      );
    },

    /** The account's sessions that can still be used, most recently used first. */
    list(kind: TokenKind, accountId: string, tokenVersion: number): Promise<SessionRow[]> {
      const now = clock.now();
      return repo.listAlive(db, kind, accountId, tokenVersion, idleBefore(now), now);
    },

    /** Ends one session of the account; false when it has no such session. */
    async end(q: Queryable, kind: TokenKind, accountId: string, id: string): Promise<boolean> {
      const row = await repo.find(q, id);
      if (!row || row.kind !== kind || row.account_id !== accountId) return false;
      const done = await repo.delete(q, id);
      if (done) ended(q, [id]);
      return done;
    },

    /** Ends every session of the account but `except`; how many were ended. */
    async endAll(q: Queryable, kind: TokenKind, accountId: string, except: string | null = null): Promise<number> {
      const ids = await repo.deleteForAccount(q, kind, accountId, except);
      ended(q, ids);
      return ids.length;
    },

    /** The session a password change keeps: moved to the account's new token_version, its password just typed. */
    renew: (q: Queryable, id: string, tokenVersion: number): Promise<SessionRow | null> => repo.renew(q, id, tokenVersion, clock.now()),

    /** Removes sessions past either end (the worker); how many. */
    sweep(limit = 5_000): Promise<number> {
      const now = clock.now();
      return repo.deleteEnded(db, idleBefore(now), now, limit);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
