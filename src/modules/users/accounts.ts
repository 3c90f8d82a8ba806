import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Queryable, Statement, Tx } from '../../db/index.js';
import { generateLinkToken, hashLinkToken } from '../auth/tokens.js';
import type { Outbox } from '../email/outbox.js';
import { emails } from '../email/templates.js';
import type { Sessions } from '../sessions/service.js';
import type { AccountCache } from './account-cache.js';
import { directoryRepository, type UserListFilter } from './directory-repository.js';
import { normaliseEmail } from './present.js';
import { type CredentialRow, type LoginName, type NewUser, type UserRow, usersRepository as users } from './repository.js';
import { linkTokensRepository as links } from './tokens-repository.js';

/** contract: the admin's reset link expires within an hour */
export const RESET_LINK_TTL_MINUTES = 60;

/**
 * What other modules ask of the users module about an account (auth signs in, admin-users manages,
 * subscriptions and organisations check who exists). The users module owns `users` and
 * `user_tokens`; nobody else writes them. A function that takes `q`/`tx` runs in the caller's
 * transaction, so a change across modules stays atomic.
 */
export function createAccounts(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'appUrl'>;
  outbox: Outbox;
  cache: AccountCache;
  /** the sessions module: a revoked account's sessions end with it */
  sessions: Pick<Sessions, 'endAll'>;
}) {
  const { db, clock, config, outbox, cache, sessions } = deps;
  return {
    create: (q: Queryable, user: NewUser): Promise<UserRow> => users.insert(q, user, clock.now()),
    findById: (q: Queryable, id: string): Promise<UserRow | null> => users.findById(q, id),
    findByEmail: (q: Queryable, email: string): Promise<UserRow | null> => users.findByEmail(q, normaliseEmail(email)),
    /** The user locked against deletion until the caller's transaction ends (a membership or subscription is being added). */
    lockExisting: (tx: Queryable, id: string): Promise<UserRow | null> => users.lockKey(tx, id),
    countChildren: (q: Queryable, parentId: string): Promise<number> => users.countChildren(q, parentId),
    listChildren: (q: Queryable, parentId: string): Promise<UserRow[]> => users.listChildren(q, parentId),

    // ---- signing in (the auth module) ----
    /** The account and its parent's status, for the request guard (from memory while that is exact: account-cache.ts). */
    forAuth: (id: string) => cache.get(id),
    /** The same, read in `q` (inside a transaction: what it sees), never from memory. */
    forAuthIn: (q: Queryable, id: string) => users.findForAuth(q, id),
    /** The login's account (none or one row) as a statement, and its id as a subquery, for a batch with the lockout's read. */
    credentials: (by: LoginName): Statement<CredentialRow> => users.credentials(by),
    accountId: (by: LoginName) => users.idOf(by),
    passwordHash: (id: string): Promise<string | null> => users.passwordHash(db, id),
    /** A sign-in's time, as a statement for the sign-in's batch (`Db.batch`); the cached row is dropped once it commits. */
    recordLogin: (id: string, at: Date): Statement => ({ ...users.recordLogin(id, at), afterCommit: () => cache.changed(db, id) }),
    /** Sets the hash, clears a required reset, revokes every older token; the new token_version, or null. */
    /** Every session of the account ends but `keepSession` (the one that changed the password). */
    async setPassword(tx: Queryable, id: string, passwordHash: string, keepSession: string | null = null): Promise<number | null> {
      cache.changed(tx, id, { revokes: true });
      await sessions.endAll(tx, 'user', id, keepSession);
      return users.setPassword(tx, id, passwordHash, clock.now());
    },
    /** Ends every session of the account (it is being deleted). */
    endSessions: (tx: Queryable, id: string): Promise<number> => sessions.endAll(tx, 'user', id),

    // ---- what admins do to accounts (the admin-users module) ----
    /** Deactivation revokes every token. Null when the user does not exist. */
    async setStatus(tx: Queryable, id: string, status: 'active' | 'deactivated'): Promise<UserRow | null> {
      cache.changed(tx, id, { revokes: true });
      if (status === 'deactivated') await sessions.endAll(tx, 'user', id);
      return users.setStatus(tx, id, status, clock.now());
    },
    directory: (filter: UserListFilter) => directoryRepository.list(db, filter),

    /** Emails APP_URL/reset-password?token=…, replacing any earlier reset link of the account. */
    async sendPasswordResetLink(tx: Tx, user: Pick<UserRow, 'id' | 'email'>): Promise<void> {
      const { token, hash } = generateLinkToken();
      const now = clock.now();
      await links.replace(tx, user.id, 'password_reset_link', hash, new Date(now.getTime() + RESET_LINK_TTL_MINUTES * 60_000), now);
      const link = `${config.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
      await outbox.enqueue(tx, emails.passwordResetLink(user.email, link, RESET_LINK_TTL_MINUTES));
    },

    /** Spends a reset link: its account, or null when the link is unknown, spent or expired. */
    async consumePasswordResetLink(tx: Queryable, token: string): Promise<UserRow | null> {
      const userId = await links.consume(tx, hashLinkToken(token), 'password_reset_link', clock.now());
      return userId ? users.findById(tx, userId) : null;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
