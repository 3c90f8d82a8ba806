import type { Db, Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { SessionRow } from '../sessions/repository.js';
import { type NewSession, SESSION_MESSAGES, type Sessions } from '../sessions/service.js';
import type { Accounts } from '../users/accounts.js';
import type { UserRow } from '../users/repository.js';
import type { ClientInfo, RefreshedTokens } from './service.js';
import type { TokenService } from './tokens.js';

/**
 * A user's sessions as the auth module uses them: the access token of a session (its `sid` and
 * `auth_time`), a new session for a sign-in, the refresh, and signing out.
 */
export function userSessions(deps: { db: Db; tokens: TokenService; sessions: Sessions; accounts: Pick<Accounts, 'forAuthIn'> }) {
  const { db, tokens, sessions, accounts } = deps;
  type TokenAccount = Pick<UserRow, 'id' | 'role' | 'permissions' | 'token_version'>;

  /** An access token of `session` for the account, as of `issuedAt` (a refresh's retry signs the same token again). */
  function accessToken(user: TokenAccount, session: SessionRow, issuedAt?: Date) {
    return tokens.sign(
      {
        sub: user.id,
        typ: 'user',
        ver: user.token_version,
        role: user.role,
        perms: user.permissions,
        sid: session.id,
        auth_time: Math.floor(session.auth_time.getTime() / 1000),
      },
      { ...(issuedAt ? { issuedAt } : {}), notAfter: session.expires_at },
    );
  }

  /**
   * A new session for the account, in `q`'s transaction when it is one. Its access token is signed
   * after the commit (`signedIn`): signing may read the keys, and the embedded database is one
   * connection, on which a read outside a transaction waits for the transaction to end.
   */
  function startSession(q: Queryable, user: TokenAccount, client: ClientInfo) {
    return sessions.start(q, newSession(user, client));
  }

  /** The same as a statement, for a sign-in's batch of writes (`Db.batch`). */
  function startingSession(user: TokenAccount, client: ClientInfo) {
    return sessions.starting(newSession(user, client));
  }

  const newSession = (user: TokenAccount, client: ClientInfo): NewSession => ({
    kind: 'user',
    accountId: user.id,
    tokenVersion: user.token_version,
    ip: client.ip,
    userAgent: client.userAgent,
  });

  async function signedIn(user: TokenAccount, started: { session: SessionRow; refreshToken: string }) {
    const { token, expiresIn } = await accessToken(user, started.session);
    return { token, refreshToken: started.refreshToken, expiresIn };
  }

  return {
    accessToken,
    startSession,
    startingSession,
    signedIn,

    /**
     * A new access token and refresh token for a refresh token, which is spent. A spent one again
     * within the grace gets the same pair; after it, the session ends (whoever else holds it is out too).
     */
    async refresh(refreshToken: string): Promise<RefreshedTokens> {
      const outcome = await db.transaction(async (tx) => {
        const r = await sessions.rotate(tx, 'user', refreshToken);
        if (!r.ok) return r;
        const user = await accounts.forAuthIn(tx, r.session.account_id);
        const usable =
          user && user.status === 'active' && user.parent_status !== 'deactivated' && user.token_version === r.session.token_version;
        if (!user || !usable) {
          await sessions.end(tx, 'user', r.session.account_id, r.session.id);
          return { ok: false as const, reason: 'invalid' as const };
        }
        return { ok: true as const, user, rotated: r };
      });
      // an ended session is committed before the refusal is answered
      if (!outcome.ok) {
        throw new AppError(
          'UNAUTHENTICATED',
          outcome.reason === 'reused' ? SESSION_MESSAGES.refreshReused : SESSION_MESSAGES.refreshInvalid,
        );
      }
      const { user, rotated } = outcome;
      const { token, expiresIn } = await accessToken(user, rotated.session, rotated.issuedAt);
      return { token, refreshToken: rotated.refreshToken, expiresIn };
    },

    /** Ends the caller's session, or every session of the account. */
    async logout(caller: { id: string; sessionId: string | null }, all: boolean): Promise<void> {
      await db.transaction(async (tx) => {
        if (all) await sessions.endAll(tx, 'user', caller.id);
        else if (caller.sessionId) await sessions.end(tx, 'user', caller.id, caller.sessionId);
      });
    },

    /** Ends one session of the account; false when the account has no such session. */
    endSession: (userId: string, sessionId: string): Promise<boolean> =>
      db.transaction((tx) => sessions.end(tx, 'user', userId, sessionId)),
  };
}
