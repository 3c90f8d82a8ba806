import type { Clock } from '../../clock.js';
import type { ChangeFeed } from '../../db/changes.js';
import { exactReads } from '../../db/exact-reads.js';
import type { Db, Queryable } from '../../db/index.js';
import type { NotificationKind } from './kinds.js';
import { type NotificationRow, notificationsRepository as repo } from './repository.js';

/** users whose pages are kept, pages kept per user, and how long at most */
const MAX_USERS = 10_000;
const MAX_PAGES_PER_USER = 8;
const MAX_AGE_MS = 60_000;

type Page = { rows: ReturnType<typeof present>[]; total: number; unread: number };

/**
 * Owns `notifications`: the messages a user reads in the app. Other modules announce what happened
 * with `notify` / `notifyMany` inside the transaction of the change, so a notification exists
 * exactly when its event does; only this module writes the table.
 *
 * A user's pages (and unread count) are kept in memory while that is exact, as the accounts are
 * (users/account-cache.ts): migration 0011 announces every committed change of a user's
 * notifications on the change feed, this module's own writes drop them at commit, a page read
 * while a change arrived is not kept, and nothing is served from memory while the feed is down.
 */
export function createNotificationsService(deps: { db: Db; clock: Clock; changes: ChangeFeed }) {
  const { db, clock, changes } = deps;
  const kept = new Map<string, Map<string, { value: Page | number; at: number }>>();
  const reads = exactReads(changes);
  changes.on('notifications', (userId) => {
    reads.invalidate();
    if (userId === null) kept.clear();
    else kept.delete(userId);
  });

  /** these users' entries go when `q`'s transaction commits (at once outside a transaction) */
  const changed = (q: Queryable, userIds: readonly string[]) =>
    reads.changed(q, () => {
      for (const id of userIds) kept.delete(id);
    });

  function remember(userId: string, key: string, value: Page | number): void {
    let pages = kept.get(userId);
    if (!pages) {
      if (kept.size >= MAX_USERS) {
        const oldest = kept.keys().next().value;
        if (oldest !== undefined) kept.delete(oldest);
      }
      pages = new Map();
      kept.set(userId, pages);
    }
    if (pages.size >= MAX_PAGES_PER_USER) pages.clear();
    pages.set(key, { value, at: performance.now() });
  }

  const remembered = <T extends Page | number>(userId: string, key: string, load: () => Promise<T>): Promise<T> =>
    reads.read(
      () => {
        const hit = kept.get(userId)?.get(key);
        return hit && performance.now() - hit.at < MAX_AGE_MS ? (hit.value as T) : undefined;
      },
      load,
      (value) => remember(userId, key, value),
    );

  return {
    async notify(tx: Queryable, userId: string, kind: NotificationKind, message: string): Promise<void> {
      changed(tx, [userId]);
      await repo.create(tx, userId, kind, message, clock.now());
    },

    /** One statement for any number of users (the renewal pass notifies a whole batch at once). */
    async notifyMany(tx: Queryable, userIds: readonly string[], kind: NotificationKind, message: string): Promise<void> {
      if (userIds.length === 0) return;
      changed(tx, userIds);
      await repo.createMany(tx, userIds, kind, message, clock.now());
    },

    list(userId: string, page: number, limit: number, unreadOnly: boolean): Promise<Page> {
      return remembered(userId, `${page}:${limit}:${unreadOnly}`, async () => {
        const { rows, total, unread } = await repo.list(db, userId, limit, (page - 1) * limit, unreadOnly);
        return { rows: rows.map(present), total, unread };
      });
    },

    unreadCount: (userId: string): Promise<number> => remembered(userId, 'unread', () => repo.unreadCount(db, userId)),

    /** False when the notification is not this user's (or does not exist). */
    async markRead(userId: string, id: string): Promise<boolean> {
      const done = await repo.markRead(db, userId, id, clock.now());
      changed(db, [userId]);
      return done;
    },

    async markAllRead(userId: string): Promise<number> {
      const n = await repo.markAllRead(db, userId, clock.now());
      changed(db, [userId]);
      return n;
    },
  };
}

function present(n: NotificationRow) {
  return { id: n.id, message: n.message, date: n.created_at.toISOString(), read: n.read_at !== null, kind: n.kind };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
