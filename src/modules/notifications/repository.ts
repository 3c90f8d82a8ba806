import type { Queryable } from '../../db/index.js';
import type { NotificationKind } from './kinds.js';

export interface NotificationRow {
  id: string;
  kind: NotificationKind;
  message: string;
  read_at: Date | null;
  created_at: Date;
}

/**
 * The only SQL for notifications. `create` and `createMany` are called by other services inside
 * the transaction of the event they announce, so a notification exists exactly when its event does.
 */
export const notificationsRepository = {
  async create(q: Queryable, userId: string, kind: NotificationKind, message: string, now: Date): Promise<void> {
    await q.query('insert into notifications (user_id, kind, message, created_at) values ($1, $2, $3, $4)', [userId, kind, message, now]);
  },

  async createMany(q: Queryable, userIds: readonly string[], kind: NotificationKind, message: string, now: Date): Promise<void> {
    if (userIds.length === 0) return;
    await q.query('insert into notifications (user_id, kind, message, created_at) select unnest($1::uuid[]), $2, $3, $4', [
      userIds,
      kind,
      message,
      now,
    ]);
  },

  /**
   * A page, the total of the filter and the unread count in one statement (every row carries the
   * two counts). A page past the end has no row to carry them: then they are counted on their own.
   */
  async list(
    q: Queryable,
    userId: string,
    limit: number,
    offset: number,
    unreadOnly: boolean,
  ): Promise<{ rows: NotificationRow[]; total: number; unread: number }> {
    const filter = unreadOnly ? 'and read_at is null' : '';
    const { rows } = await q.query<NotificationRow & { total: number; unread: number }>(
      `select id, kind, message, read_at, created_at, count(*) over ()::int as total,
         (select count(*)::int from notifications u where u.user_id = $1 and u.read_at is null) as unread
       from notifications where user_id = $1 ${filter}
       order by created_at desc, seq desc limit $2 offset $3`,
      [userId, limit, offset],
    );
    const first = rows[0];
    if (first) return { rows, total: first.total, unread: first.unread };
    // nothing on the first page: none at all (or, with the filter, none unread)
    if (offset === 0) return { rows, total: 0, unread: 0 };
    const [count, unread] = await Promise.all([
      q.query<{ n: number }>(`select count(*)::int as n from notifications where user_id = $1 ${filter}`, [userId]),
      notificationsRepository.unreadCount(q, userId),
    ]);
    return { rows, total: count.rows[0]?.n ?? 0, unread };
  },

  async unreadCount(q: Queryable, userId: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>('select count(*)::int as n from notifications where user_id = $1 and read_at is null', [
      userId,
    ]);
    return rows[0]?.n ?? 0;
  },

  /** False when the notification is not this user's (or does not exist). */
  async markRead(q: Queryable, userId: string, id: string, now: Date): Promise<boolean> {
    const { rowCount } = await q.query('update notifications set read_at = coalesce(read_at, $3) where id = $2 and user_id = $1', [
      userId,
      id,
      now,
    ]);
    return rowCount > 0;
  },

  async markAllRead(q: Queryable, userId: string, now: Date): Promise<number> {
    const { rowCount } = await q.query('update notifications set read_at = $2 where user_id = $1 and read_at is null', [userId, now]);
    return rowCount;
  },
};
