import { mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type Db, type Queryable, type QueryResult, runBatch, unitOfWork } from './types.js';
import { DatabaseUnavailableError } from './unavailable.js';

function adapt(q: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const res = await q.query<T>(sql, params as unknown[]);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
  };
}

/**
 * The embedded database. PGlite is one connection, so its own mutex serialises
 * queries and transactions; that is also why `withConnection` is the instance itself.
 * `dataDir` null means in memory; `loadDataDir` starts from a dump (tests use one migrated template).
 */
const SHARED_BUFFERS = '16MB';

export type PgliteDb = Db & { dump(): Promise<Blob> };

/**
 * PGlite runs on this thread and nothing in a statement waits on I/O, so statements asked one after
 * another (a queue behind PGlite's mutex, or each of 50 requests read in one poll asking as the one
 * before answered) ran back to back and no request, timer or /healthz was served until they were
 * done: the event loop stood still 45–190 ms when 50 logins arrived together (the bench's /healthz
 * p99 34–81 ms under 50 logins). Here each top-level statement, batch or transaction takes a turn,
 * and a turn ends in the check phase (`setImmediate`), after the poll: whatever asks meanwhile
 * waits behind what is already waiting, and the loop reads new requests between any two turns.
 * Measured: 50 queued transactions, the longest event-loop delay 45–61 → 4–8 ms, their total time
 * the same. A statement asked when no turn has ended since the last check phase runs at once.
 */
function takingTurns(): <T>(fn: () => Promise<T>) => Promise<T> {
  let busy = false;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (busy) await new Promise<void>((resolve) => waiting.push(resolve));
    busy = true;
    try {
      return await fn();
    } finally {
      // (handed back at once when none waited, the turn let each of 50 requests read in one poll
      // run its statements before the next was read: the loop still stood 90–190 ms)
      setImmediate(() => {
        const next = waiting.shift();
        if (next) next();
        else busy = false;
      });
    }
  };
}

/**
 * PostgreSQL's WebAssembly is compiled by V8's baseline compiler (Liftoff) only, never re-compiled by
 * the optimising one (TurboFan): measured on the bench's mixed load, RSS 303 → 231 MiB, the
 * database opens faster (222 → 166 ms) and the optimising compiler no longer takes a core away
 * from requests while it works; queries that reach PGlite are up to ~7% slower (the hot reads are
 * served from memory, src/db/exact-reads.ts). It applies to WebAssembly compiled after it, in this
 * process: only PGlite's.
 */
let baselineOnly = false;
function compileWebAssemblyWithBaselineOnly(): void {
  if (baselineOnly) return;
  setFlagsFromString('--liftoff-only');
  baselineOnly = true;
}

export async function openPglite(options: { dataDir: string | null; loadDataDir?: Blob }): Promise<PgliteDb> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  compileWebAssemblyWithBaselineOnly();
  const pg = new PGlite({
    // migration 0010 creates the extension (0012 replaced its indexes; a fresh database still runs 0010)
    extensions: { pg_trgm },
    // PGlite's shared_buffers default is 128 MB of WebAssembly memory, held for the process's life;
    // the files it reads stay in the OS cache anyway (measured: RSS 362 → 224 MiB after 30k reads
    // of a 200k-row table, for about 15% more time per uncached read; the hot reads are in memory;
    // 32 → 16 MB: about 16 MiB less after the bench's mixed load, DECISIONS "The request pipeline")
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  await pg.waitReady;
  // once close() has begun, a statement fails as "the database is closed" (a 503 for a request
  // still in flight at shutdown): PGlite itself throws a TypeError from its internals then
  let closing = false;
  let closed: Promise<void> | null = null;
  const turn = takingTurns();
  // whether the database is closing is asked when a statement is made, not when its turn comes:
  // close() takes a turn too, so what was asked for before it still runs
  const direct = adapt(pg);
  const base: Queryable = {
    query: async (sql, params) => {
      if (closing) throw new DatabaseUnavailableError();
      return turn(() => direct.query(sql, params));
    },
  };
  const conn = {
    ...base,
    exec: async (sql: string) => {
      if (closing) throw new DatabaseUnavailableError();
      await turn(() => pg.exec(sql));
    },
  };
  // PGlite is one connection, so a "dedicated connection" is had in order: callers wait for the one
  // before (otherwise two migrate() calls would both hold the session advisory lock and interleave)
  let dedicated: Promise<unknown> = Promise.resolve();
  const withConnection = <T>(fn: (c: typeof conn) => Promise<T>): Promise<T> => {
    const run = dedicated.then(() => fn(conn));
    dedicated = run.catch(() => {});
    return run;
  };
  return {
    kind: 'pglite',
    query: base.query,
    exec: conn.exec,
    transaction: (fn) =>
      unitOfWork((wrap) => {
        if (closing) throw new DatabaseUnavailableError();
        // (a transaction begun before close() finishes: close() waits for it)
        return turn(() => pg.transaction((tx) => fn(wrap(adapt(tx)))));
      }),
    // one connection in this process: no round trips to save, so simply one transaction
    batch: (statements) =>
      runBatch(statements, (live) => {
        if (closing) throw new DatabaseUnavailableError();
        return turn(() =>
          pg.transaction(async (tx) => {
            const results: QueryResult<unknown>[] = [];
            for (const s of live) results.push(await adapt(tx).query(s.sql, s.params));
            return results;
          }),
        );
      }),
    withConnection,
    // one process, one connection: the channel cannot be lost while the database is open
    async listen(channel, handlers) {
      const stop = await pg.listen(channel, handlers.message);
      handlers.state(true);
      // a closed database listens no more: nothing to stop
      return async () => {
        if (!closing) await stop();
      };
    },
    close: () => {
      closing = true;
      closed ??= turn(() => pg.close());
      return closed;
    },
    dump: () => pg.dumpDataDir('none') as Promise<Blob>,
  };
}
