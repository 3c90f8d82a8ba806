import type { Db } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../admins/service.js';
import type { AuditService } from '../audit/service.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { AuthService } from '../auth/service.js';
import type { OrganisationsService } from '../organisations/service.js';
import type { Sessions } from '../sessions/service.js';
import type { SubscriptionsService } from '../subscriptions/service.js';
import type { Accounts } from '../users/accounts.js';
import { type PublicUser, presentUser } from '../users/present.js';
import type { UsersService } from '../users/service.js';
import type { EventSink } from '../webhooks/events.js';

export interface ListQuery {
  page?: number;
  limit?: number;
  search?: string;
  status?: 'active' | 'deactivated';
  role?: 'parent' | 'child';
  cursor?: string;
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Only cursors this service issued pass; anything else is a 422 naming `cursor`, never a database error. */
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof createdAt === 'string' &&
      typeof id === 'string' &&
      UUID.test(id) &&
      CURSOR_TIME.test(createdAt) &&
      !Number.isNaN(Date.parse(createdAt))
    ) {
      return { createdAt, id };
    }
  } catch {
    /* answered below */
  }
  throw new AppError('VALIDATION_FAILED', 'cursor is invalid', [{ field: 'cursor', message: 'is not a cursor this service issued' }]);
}

/**
 * What admins do to customer accounts. This module owns no table: it asks the users module
 * (`accounts`, `users`), subscriptions and organisations, and audits every action in the
 * transaction of the change.
 */
export function createAdminUsersService(deps: {
  db: Db;
  passwords: PasswordHasher;
  accounts: Accounts;
  users: Pick<UsersService, 'deleteAccount'>;
  subscriptions: Pick<SubscriptionsService, 'liveOf'>;
  organisations: Pick<OrganisationsService, 'ofUser'>;
  audit: AuditService;
  auth: Pick<AuthService, 'replacePassword'>;
  sessions: Pick<Sessions, 'list' | 'endAll'>;
  /** webhook events, in the change's transaction */
  events: EventSink;
}) {
  const { db, passwords, accounts, audit } = deps;

  async function changeStatus(actor: Actor, userId: string, status: 'active' | 'deactivated'): Promise<PublicUser> {
    const user = await db.transaction(async (tx) => {
      const updated = await accounts.setStatus(tx, userId, status);
      if (!updated) throw new AppError('NOT_FOUND', 'User not found');
      await audit.record(tx, {
        admin: actor,
        action: status === 'active' ? 'user.reactivate' : 'user.deactivate',
        targetType: 'user',
        targetId: userId,
        ip: actor.ip,
        detail: { email: updated.email },
      });
      await deps.events.emit(tx, status === 'active' ? 'user.reactivated' : 'user.deactivated', presentUser(updated));
      return updated;
    });
    return presentUser(user);
  }

  return {
    async list(query: ListQuery) {
      const limit = query.limit ?? 20;
      const page = query.page ?? 1;
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const { rows, total } = await accounts.directory({
        search: query.search?.trim() || undefined,
        status: query.status,
        role: query.role,
        after,
        offset: (page - 1) * limit,
        limit: limit + 1,
      });
      const pageRows = rows.slice(0, limit);
      const last = pageRows.at(-1);
      const nextCursor = rows.length > limit && last ? encodeCursor(last.cursor_ts, last.id) : null;
      return {
        data: pageRows.map(presentUser),
        meta: { page: after ? null : page, limit, total, next_cursor: nextCursor },
      };
    },

    /** Everything an admin needs on one screen. */
    async details(userId: string) {
      const user = await accounts.findById(db, userId);
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      const [parent, children, subscription, organisations] = await Promise.all([
        user.parent_id ? accounts.findById(db, user.parent_id) : Promise.resolve(null),
        user.role === 'parent' ? accounts.listChildren(db, user.id) : Promise.resolve([]),
        // a child's billing is its parent's subscription
        deps.subscriptions.liveOf(user.parent_id ?? user.id).catch((err) => {
          if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
          throw err;
        }),
        deps.organisations.ofUser(user.id),
      ]);
      return {
        user: presentUser(user),
        parent: parent ? presentUser(parent) : null,
        children: children.map(presentUser),
        subscription,
        organisations,
      };
    },

    deactivate: (actor: Actor, userId: string) => changeStatus(actor, userId, 'deactivated'),
    reactivate: (actor: Actor, userId: string) => changeStatus(actor, userId, 'active'),

    async delete(actor: Actor, userId: string): Promise<void> {
      await db.transaction(async (tx) => {
        const deleted = await deps.users.deleteAccount(tx, userId, 'User not found');
        await audit.record(tx, {
          admin: actor,
          action: 'user.delete',
          targetType: 'user',
          targetId: userId,
          ip: actor.ip,
          detail: { email: deleted.email, role: deleted.role },
        });
      });
    },

    /** Emails APP_URL/reset-password?token=…; the admin never sees the token nor sets a password. */
    /** The user's sessions that can still be used (the user's own devices, as GET /api/v1/auth/sessions lists them). */
    async sessions(userId: string) {
      const user = await accounts.findById(db, userId);
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      return deps.sessions.list('user', user.id, user.token_version);
    },

    /** Signs the user out everywhere: every session ends (its access tokens refused at the next request), audited. */
    async endSessions(actor: Actor, userId: string): Promise<number> {
      return db.transaction(async (tx) => {
        const user = await accounts.findById(tx, userId);
        if (!user) throw new AppError('NOT_FOUND', 'User not found');
        const ended = await deps.sessions.endAll(tx, 'user', user.id);
        await audit.record(tx, {
          admin: actor,
          action: 'user.sessions_end',
          targetType: 'user',
          targetId: user.id,
          ip: actor.ip,
          detail: { email: user.email, sessions: ended },
        });
        return ended;
      });
    },

    async sendResetLink(actor: Actor, email: string): Promise<void> {
      await db.transaction(async (tx) => {
        const user = await accounts.findByEmail(tx, email);
        if (!user) throw new AppError('NOT_FOUND', 'User not found');
        await accounts.sendPasswordResetLink(tx, user);
        await audit.record(tx, {
          admin: actor,
          action: 'user.reset_link',
          targetType: 'user',
          targetId: user.id,
          ip: actor.ip,
          detail: { email: user.email },
        });
      });
    },

    /** The user, through the emailed link, chooses a new password; older tokens are revoked. */
    async resetWithLink(token: string, newPassword: string): Promise<void> {
      const passwordHash = await passwords.hash(newPassword);
      await db.transaction(async (tx) => {
        const user = await accounts.consumePasswordResetLink(tx, token);
        if (!user) throw new AppError('INVALID_TOKEN', 'Invalid or expired token', [{ field: 'token', message: 'is invalid or expired' }]);
        await deps.auth.replacePassword(tx, user, passwordHash);
      });
    },
  };
}

export type AdminUsersService = ReturnType<typeof createAdminUsersService>;
