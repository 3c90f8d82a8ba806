import type { ChangeFeed } from '../../db/changes.js';
import { exactReads } from '../../db/exact-reads.js';
import type { Db, Queryable } from '../../db/index.js';
import { type AuthRow, type UserRow, usersRepository as users } from './repository.js';

/** rows kept at most (about 1 KB each), and for at most this long even with no change announced */
const MAX_ROWS = 10_000;
const MAX_AGE_MS = 60_000;

/**
 * The accounts the request guard reads on every request (and each parent's list of child users),
 * kept in memory while that stays exact:
 * - across instances, migrations 0009/0011 announce every committed change of a `users` row on the
 *   change feed, for the row and for its parent; the row, its children's rows (whose parent status
 *   it is) and its list of children are dropped;
 * - on this instance, every write of the users module calls `changed(q, id)`, which drops the row
 *   when its transaction commits, before the response is sent (the feed's notification may come a
 *   moment later on PostgreSQL);
 * - a row read while a change arrived is not kept (`epoch`/`generation`), and nothing is served
 *   from memory while the feed is down: every request reads the database then.
 */
export function createAccountCache(deps: { db: Db; changes: ChangeFeed }) {
  const { db, changes } = deps;
  const rows = new Map<string, { row: AuthRow; at: number }>();
  /** parent id → ids of its cached children */
  const children = new Map<string, Set<string>>();
  /** parent id → its child users, as GET /api/users/details lists them */
  const childLists = new Map<string, { rows: UserRow[]; at: number }>();
  /** child id → the parent whose cached list holds it (a change of the child drops that list) */
  const listedIn = new Map<string, string>();
  const reads = exactReads(changes);

  function dropList(parentId: string): void {
    const list = childLists.get(parentId);
    if (!list) return;
    childLists.delete(parentId);
    for (const child of list.rows) listedIn.delete(child.id);
  }

  function drop(id: string): void {
    dropList(id);
    const listParent = listedIn.get(id);
    if (listParent !== undefined) dropList(listParent);
    const hit = rows.get(id);
    rows.delete(id);
    if (hit?.row.parent_id) children.get(hit.row.parent_id)?.delete(id);
    const kids = children.get(id);
    if (kids) {
      children.delete(id);
      for (const kid of kids) rows.delete(kid);
    }
  }

  function dropAll(): void {
    reads.invalidate();
    rows.clear();
    children.clear();
    childLists.clear();
    listedIn.clear();
  }

  changes.on('users', (id) => {
    if (id === null) dropAll();
    else drop(id);
  });

  /** an entry younger than MAX_AGE_MS */
  function fresh<T extends { at: number }>(entry: T | undefined): T | undefined {
    return entry && performance.now() - entry.at < MAX_AGE_MS ? entry : undefined;
  }

  function keep(row: AuthRow): void {
    if (rows.size >= MAX_ROWS) {
      const oldest = rows.keys().next().value;
      if (oldest !== undefined) drop(oldest);
    }
    rows.set(row.id, { row, at: performance.now() });
    if (row.parent_id) {
      const kids = children.get(row.parent_id) ?? new Set<string>();
      children.set(row.parent_id, kids);
      kids.add(row.id);
    }
  }

  return {
    /** The account with its parent's status, from memory when that is exact, else from the database. */
    get: (id: string): Promise<AuthRow | null> =>
      reads.read(
        () => fresh(rows.get(id))?.row,
        () => users.findForAuth(db, id),
        (row) => {
          if (row) keep(row);
        },
      ),

    /** A parent's child users, oldest first: from memory when that is exact, else from the database. */
    children: (parentId: string): Promise<UserRow[]> =>
      reads.read(
        () => fresh(childLists.get(parentId))?.rows,
        () => users.listChildren(db, parentId),
        (list) => {
          if (childLists.size >= MAX_ROWS) {
            const oldest = childLists.keys().next().value;
            if (oldest !== undefined) dropList(oldest);
          }
          childLists.set(parentId, { rows: list, at: performance.now() });
          for (const child of list) listedIn.set(child.id, parentId);
        },
      ),

    /**
     * Every write of a users row says so here (a new child: its parent's id): dropped when `q`'s transaction commits (at once
     * when `q` is not a transaction: the statement has committed). Reads in flight keep nothing.
     */
    changed(q: Queryable, id: string, options: { revokes?: boolean } = {}): void {
      reads.changed(q, () => {
        drop(id);
        // a revocation (token_version, status, deletion) is answered once every instance has heard
        // of it: the feed hears its own marker after the change's notification (commit order)
        if (options.revokes) return changes.sync();
      });
    },

    /** rows in memory (for the tests and the metrics) */
    get size(): number {
      return rows.size;
    },
  };
}

export type AccountCache = ReturnType<typeof createAccountCache>;
