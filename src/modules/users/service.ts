import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Tx } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { AuthUser } from '../auth/access-types.js';
import type { PasswordHasher } from '../auth/passwords.js';
import { generateLinkToken, hashLinkToken } from '../auth/tokens.js';
import type { Outbox } from '../email/outbox.js';
import { emails } from '../email/templates.js';
import type { EventSink } from '../webhooks/events.js';
import type { AccountCache } from './account-cache.js';
import { createEmailRevert } from './email-revert.js';
import type { ChildPermission } from './permissions.js';
import { normaliseEmail, type PublicUser, presentUser, resolveNames, splitName } from './present.js';
import { type AuthProof, type ConfirmPassword, createRecentAuth, type SensitiveChange } from './recent-auth.js';
import { type ProfileChanges, type UserRow, usersRepository as users } from './repository.js';
import type { NewAccountInput } from './schemas.js';
import { reserveSeat, type SeatLimit } from './seats.js';
import { linkTokensRepository as links } from './tokens-repository.js';

export const DELETE_LINK_TTL_MINUTES = 60;

export interface ProfileInput {
  name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string | null;
  picture?: string | null;
}

/** The signed-in user, as the request guard found it. */
type Caller = Pick<AuthUser, 'id' | 'role'>;

export type ChildInput = NewAccountInput & { permissions: ChildPermission[] };

/** A new email or phone is a new way into the account; a name or picture is not. */
function identifierChange(current: UserRow, changes: ProfileChanges): SensitiveChange | null {
  if (changes.email !== undefined && changes.email !== current.email) return 'email';
  if (changes.phone !== undefined && changes.phone !== current.phone) return 'phone';
  return null;
}

/**
 * The users module owns `users` and `user_tokens`: customer accounts, their profiles, child users
 * and their seats, account deletion, email-change revert links. This service is what the user
 * routes call; what other modules ask about an account is in accounts.ts.
 */
export function createUsersService(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'appUrl' | 'reauthWindowSeconds'>;
  passwords: PasswordHasher;
  outbox: Outbox;
  /** the subscriptions module's answer: how many child users a parent may have */
  seatLimit: SeatLimit;
  /** the auth module's password check for re-authentication */
  confirmPassword: ConfirmPassword;
  /** the organisations module tells members before an account's organisations go with it */
  organisations: { announceAccountClosing(tx: Tx, userId: string): Promise<void> };
  /** the accounts in memory; every write here tells it */
  cache: AccountCache;
  /** a deleted account's sessions end with it (accounts.endSessions) */
  endSessions: (tx: Tx, userId: string) => Promise<number>;
  /** webhook events, in the change's transaction */
  events: EventSink;
}) {
  const { db, clock, passwords, outbox, config, seatLimit } = deps;
  const requireRecentAuth = createRecentAuth({ clock, windowSeconds: config.reauthWindowSeconds, confirmPassword: deps.confirmPassword });
  const emailRevert = createEmailRevert(deps);

  async function mustFind(id: string) {
    const user = await deps.cache.get(id);
    if (!user) throw new AppError('NOT_FOUND', 'Profile not found');
    return user;
  }

  return {
    async get(id: string): Promise<PublicUser> {
      return presentUser(await mustFind(id));
    },

    async getWithChildren(id: string) {
      const user = await mustFind(id);
      const children = user.role === 'parent' ? await deps.cache.children(id) : [];
      return { user: presentUser(user), children: children.map(presentUser) };
    },

    /**
     * Only the fields a person may change about themselves; role, status, permissions and parent are not among them.
     * A new email or phone needs a recent login (recent-auth.ts), decided before anything is written;
     * a new email sends the address it replaces a link that undoes the change (email-revert.ts).
     */
    async updateProfile(id: string, input: ProfileInput, proof: AuthProof): Promise<PublicUser> {
      const current = await mustFind(id);
      const changes: ProfileChanges = {};
      if (input.email !== undefined) changes.email = normaliseEmail(input.email);
      if (input.phone !== undefined) changes.phone = input.phone?.trim() || null;
      if (input.picture !== undefined) changes.picture = input.picture?.trim() || null;
      const first = input.first_name?.trim();
      const last = input.last_name?.trim();
      const name = input.name?.trim();
      if (name) {
        changes.name = name;
        const [f, l] = splitName(name);
        changes.firstName = first || f;
        changes.lastName = last ?? l;
      } else if (first || last !== undefined) {
        changes.firstName = first || current.first_name;
        changes.lastName = last ?? current.last_name;
        changes.name = `${changes.firstName} ${changes.lastName}`.trim();
      }
      if (Object.keys(changes).length === 0) {
        throw new AppError('VALIDATION_FAILED', 'One or more required fields missing', [
          { field: 'body', message: 'give at least one of name, first_name, last_name, email, phone, picture' },
        ]);
      }
      const sensitive = identifierChange(current, changes);
      if (sensitive) await requireRecentAuth(id, proof, sensitive);
      try {
        const user = await db.transaction(async (tx) => {
          // locked, so the address the revert link gives back is the one this change replaced
          const before = await users.lockById(tx, id);
          deps.cache.changed(tx, id);
          const after = before && (await users.updateProfile(tx, id, changes, clock.now()));
          if (!before || !after) throw new AppError('NOT_FOUND', 'Profile not found');
          if (after.email !== before.email) await emailRevert.sendLink(tx, id, before.email, after.email);
          await deps.events.emit(tx, 'user.updated', presentUser(after));
          return after;
        });
        return presentUser(user);
      } catch (err) {
        if ((err as { constraint?: string }).constraint === 'users_email_key') throw new AppError('CONFLICT', 'Email already in use');
        if ((err as { constraint?: string }).constraint === 'users_phone_key')
          throw new AppError('CONFLICT', 'Phone number already in use');
        throw err;
      }
    },

    /** Only a parent has child users; a new one takes a seat of the parent's plan (seats.ts). */
    async createChild(caller: Caller, input: ChildInput): Promise<PublicUser> {
      if (caller.role !== 'parent') throw new AppError('FORBIDDEN', 'Only a parent account can create child users');
      const parentId = caller.id;
      const names = resolveNames(input);
      if (!names) {
        throw new AppError('VALIDATION_FAILED', 'name is required', [
          { field: 'name', message: 'is required (or both first_name and last_name)' },
        ]);
      }
      const passwordHash = await passwords.hash(input.password);
      const child = await db.transaction(async (tx) => {
        await reserveSeat(tx, parentId, seatLimit);
        deps.cache.changed(tx, parentId);
        const created = await users.insert(
          tx,
          {
            email: normaliseEmail(input.email),
            passwordHash,
            ...names,
            phone: input.phone?.trim() || null,
            role: 'child',
            parentId,
            permissions: [...new Set(input.permissions)],
          },
          clock.now(),
        );
        await deps.events.emit(tx, 'user.created', presentUser(created));
        return created;
      });
      return presentUser(child);
    },

    async listChildren(caller: Caller): Promise<PublicUser[]> {
      if (caller.role !== 'parent') throw new AppError('FORBIDDEN', 'Only a parent account has child users');
      return (await deps.cache.children(caller.id)).map(presentUser);
    },

    /** Step one of self-deletion: email a single-use link to APP_URL/confirm-delete?token=… */
    async requestDeletion(id: string): Promise<void> {
      const user = await mustFind(id);
      const { token, hash } = generateLinkToken();
      const now = clock.now();
      await db.transaction(async (tx) => {
        await links.replace(tx, id, 'delete_account', hash, new Date(now.getTime() + DELETE_LINK_TTL_MINUTES * 60_000), now);
        const link = `${config.appUrl}/confirm-delete?token=${encodeURIComponent(token)}`;
        await outbox.enqueue(tx, emails.deleteConfirmation(user.email, link, DELETE_LINK_TTL_MINUTES));
      });
    },

    async confirmDeletion(token: string): Promise<void> {
      await db.transaction(async (tx) => {
        const userId = await links.consume(tx, hashLinkToken(token), 'delete_account', clock.now());
        if (!userId)
          throw new AppError('INVALID_TOKEN', 'Invalid or expired token', [{ field: 'token', message: 'is invalid or expired' }]);
        await deleteAccount(tx, userId);
      });
    },

    async deleteNow(id: string, proof: AuthProof): Promise<void> {
      await requireRecentAuth(id, proof, 'delete');
      await db.transaction((tx) => deleteAccount(tx, id));
    },

    revertEmail: emailRevert.revert,

    /** For other services (admin deletion) that delete inside their own transaction. */
    deleteAccount,
  };

  /** An account and what it owns, in one transaction; the goodbye email commits with it. */
  async function deleteAccount(tx: Tx, id: string, notFoundMessage = 'Profile not found') {
    // the cascade deletes the organisations this account created; their members are told first
    await deps.organisations.announceAccountClosing(tx, id);
    deps.cache.changed(tx, id, { revokes: true });
    await deps.endSessions(tx, id);
    const deleted = await users.delete(tx, id);
    if (!deleted) throw new AppError('NOT_FOUND', notFoundMessage);
    await deps.events.emit(tx, 'user.deleted', presentUser(deleted));
    await outbox.enqueue(tx, emails.accountDeleted(deleted.email));
    return deleted;
  }
}

export type UsersService = ReturnType<typeof createUsersService>;
