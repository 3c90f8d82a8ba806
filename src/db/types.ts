export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** What repositories see: a connection or an open transaction, they need not know which. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/**
 * An open transaction, the unit of work: what the caller writes commits whole or not at all, and
 * what must happen only once it has committed (the worker kick for a queued email, later webhooks)
 * is registered here by whoever caused it, never remembered by the service that opened it.
 */
export interface Tx extends Queryable {
  /**
   * Runs `effect` after the commit; never after a rollback. An effect that throws is ignored
   * (effects are nudges). One that returns a promise is awaited before the transaction resolves
   * (a revocation waits until every instance's cache has heard of it).
   */
  afterCommit(effect: () => void | Promise<void>): void;
}

/**
 * One statement of a batch (`Db.batch`), written by the module that owns its table; `R` is the row it
 * returns. `afterCommit` runs once the batch has committed (what the owner does after a write of its
 * own, e.g. dropping a cached row), as a transaction's after-commit effect would.
 */
export interface Statement<R = unknown> {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly afterCommit?: () => void | Promise<void>;
  /** the row type (never set: it only carries `R` to the batch's result) */
  readonly row?: R;
}

/** A batch's results, in the statements' order; a null statement (skipped) has a null result. */
export type BatchResults<S extends readonly (Statement | null)[]> = {
  -readonly [K in keyof S]: S[K] extends Statement<infer R> ? QueryResult<R> : null;
};

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: commits when it resolves, rolls back when it throws; then the after-commit effects. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Independent statements (none needs another's result) run in order as one transaction: all
   * committed or none. A server gets them in one round trip (src/db/batch.ts): one wait and one
   * commit where separate statements cost one of each apiece. Null entries are skipped.
   */
  batch<const S extends readonly (Statement | null)[]>(statements: S): Promise<BatchResults<S>>;
  /** Runs several statements separated by semicolons (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn on one dedicated connection (session-level advisory locks need that). */
  withConnection<T>(fn: (conn: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  /**
   * Notifications on `channel` (NOTIFY; delivered after the notifying transaction commits).
   * `state(false)` when the channel is lost (notifications may be missed: whatever they keep fresh
   * must be dropped), `state(true)` when it is listening again. Resolves to a function that stops.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  message(payload: string): void;
  state(up: boolean): void;
}

/** `effect` when `q`'s transaction commits, or now when `q` is not a transaction (its statement has committed). */
export function afterCommitOrNow(q: Queryable, effect: () => void | Promise<void>): void {
  if (typeof (q as Partial<Tx>).afterCommit === 'function') (q as Tx).afterCommit(effect);
  else void effect();
}

/** Wraps a driver's transaction in a unit of work: effects registered on the Tx run after the commit. */
export async function unitOfWork<T>(run: (wrap: (q: Queryable) => Tx) => Promise<T>): Promise<T> {
  const effects: (() => void | Promise<void>)[] = [];
  const result = await run((q) => ({ query: q.query, afterCommit: (effect) => void effects.push(effect) }));
  for (const effect of effects) {
    try {
      await effect();
    } catch {
      // an effect is a nudge (a worker kick); the committed work is already safe and will be picked up
    }
  }
  return result;
}

/**
 * A batch as both databases run it: the statements that are not null, by `run` (one transaction),
 * then their after-commit effects in order (awaited; one that throws is ignored, as in `unitOfWork`).
 */
export async function runBatch<S extends readonly (Statement | null)[]>(
  statements: S,
  run: (live: readonly Statement[]) => Promise<QueryResult<unknown>[]>,
): Promise<BatchResults<S>> {
  const live = statements.filter((s): s is Statement => s !== null);
  const results = live.length > 0 ? await run(live) : [];
  for (const s of live) {
    try {
      await s.afterCommit?.();
    } catch {
      // as a transaction's effects: the write has committed; an effect is a nudge
    }
  }
  let i = 0;
  return statements.map((s) => (s === null ? null : results[i++])) as BatchResults<S>;
}
