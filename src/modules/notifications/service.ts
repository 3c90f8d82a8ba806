import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/index.js';
import type { NotificationKind } from './kinds.js';
import { type NotificationRow, notificationsRepository as repo } from './repository.js';

/**
 * Owns `notifications`: the messages a user reads in the app. Other modules announce what happened
 * with `notify` / `notifyMany` inside the transaction of the change, so a notification exists
 * exactly when its event does; only this module writes the table.
 */
export function createNotificationsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    notify: (tx: Queryable, userId: string, kind: NotificationKind, message: string): Promise<void> =>
      repo.create(tx, userId, kind, message, clock.now()),

    /** One statement for any number of users (the renewal pass notifies a whole batch at once). */
    notifyMany: (tx: Queryable, userIds: readonly string[], kind: NotificationKind, message: string): Promise<void> =>
      repo.createMany(tx, userIds, kind, message, clock.now()),

    async list(userId: string, page: number, limit: number, unreadOnly: boolean) {
      const { rows, total, unread } = await repo.list(db, userId, limit, (page - 1) * limit, unreadOnly);
      return { rows: rows.map(present), total, unread };
    },

    unreadCount: (userId: string): Promise<number> => repo.unreadCount(db, userId),

    /** False when the notification is not this user's (or does not exist). */
    markRead: (userId: string, id: string): Promise<boolean> => repo.markRead(db, userId, id, clock.now()),

    markAllRead: (userId: string): Promise<number> => repo.markAllRead(db, userId, clock.now()),
  };
}

function present(n: NotificationRow) {
  return { id: n.id, message: n.message, date: n.created_at.toISOString(), read: n.read_at !== null, kind: n.kind };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
