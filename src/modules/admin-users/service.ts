import { AppError } from '../../http/errors.js';
import type { ServiceDeps } from '../../services.js';
import type { Actor } from '../admins/service.js';
import { auditRepository as audit } from '../audit/repository.js';
import type { AuthService } from '../auth/service.js';
import { generateLinkToken, hashLinkToken } from '../auth/tokens.js';
import { emails } from '../email/templates.js';
import { countsForUser } from '../organisations/repository.js';
import type { SubscriptionsService } from '../subscriptions/service.js';
import { normaliseEmail, type PublicUser, presentUser } from '../users/present.js';
import { usersRepository as users } from '../users/repository.js';
import type { UsersService } from '../users/service.js';
import { linkTokensRepository as links } from '../users/tokens-repository.js';
import { directoryRepository as directory } from './repository.js';

/** contract: the admin's reset link expires within an hour */
export const RESET_LINK_TTL_MINUTES = 60;

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

export function createAdminUsersService(
  deps: ServiceDeps & { auth: AuthService; users: UsersService; subscriptions: SubscriptionsService },
) {
  const { db, clock, passwords, outbox, config } = deps;

  async function changeStatus(actor: Actor, userId: string, status: 'active' | 'deactivated'): Promise<PublicUser> {
    const user = await db.transaction(async (tx) => {
      const updated = await directory.setStatus(tx, userId, status, clock.now());
      if (!updated) throw new AppError('NOT_FOUND', 'User not found');
      await audit.record(
        tx,
        {
          admin: actor,
          action: status === 'active' ? 'user.reactivate' : 'user.deactivate',
          targetType: 'user',
          targetId: userId,
          ip: actor.ip,
          detail: { email: updated.email },
        },
        clock.now(),
      );
      return updated;
    });
    return presentUser(user);
  }

  return {
    async list(query: ListQuery) {
      const limit = query.limit ?? 20;
      const page = query.page ?? 1;
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const { rows, total } = await directory.list(db, {
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
      const user = await users.findById(db, userId);
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      const [parent, children, subscription, organisations] = await Promise.all([
        user.parent_id ? users.findById(db, user.parent_id) : Promise.resolve(null),
        user.role === 'parent' ? users.listChildren(db, user.id) : Promise.resolve([]),
        // a child's billing is its parent's subscription
        deps.subscriptions.current(user.parent_id ?? user.id).catch((err) => {
          if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
          throw err;
        }),
        countsForUser(db, user.id),
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
        await audit.record(
          tx,
          {
            admin: actor,
            action: 'user.delete',
            targetType: 'user',
            targetId: userId,
            ip: actor.ip,
            detail: { email: deleted.email, role: deleted.role },
          },
          clock.now(),
        );
      });
      deps.afterCommit();
    },

    /** Emails APP_URL/reset-password?token=…; the admin never sees the token nor sets a password. */
    async sendResetLink(actor: Actor, email: string): Promise<void> {
      const user = await users.findByEmail(db, normaliseEmail(email));
      if (!user) throw new AppError('NOT_FOUND', 'User not found');
      const { token, hash } = generateLinkToken();
      const now = clock.now();
      await db.transaction(async (tx) => {
        await links.replace(tx, user.id, 'password_reset_link', hash, new Date(now.getTime() + RESET_LINK_TTL_MINUTES * 60_000), now);
        const link = `${config.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
        await outbox.enqueue(tx, emails.passwordResetLink(user.email, link, RESET_LINK_TTL_MINUTES));
        await audit.record(
          tx,
          {
            admin: actor,
            action: 'user.reset_link',
            targetType: 'user',
            targetId: user.id,
            ip: actor.ip,
            detail: { email: user.email },
          },
          now,
        );
      });
      deps.afterCommit();
    },

    /** The user, through the emailed link, chooses a new password; older tokens are revoked. */
    async resetWithLink(token: string, newPassword: string): Promise<void> {
      const passwordHash = await passwords.hash(newPassword);
      await db.transaction(async (tx) => {
        const userId = await links.consume(tx, hashLinkToken(token), 'password_reset_link', clock.now());
        const user = userId ? await users.findById(tx, userId) : null;
        if (!user) throw new AppError('INVALID_TOKEN', 'Invalid or expired token', [{ field: 'token', message: 'is invalid or expired' }]);
        await deps.auth.replacePassword(tx, user, passwordHash);
      });
      deps.afterCommit();
    },
  };
}

export type AdminUsersService = ReturnType<typeof createAdminUsersService>;
