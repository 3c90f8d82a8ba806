import pg from 'pg';
import { batchQuery, batchResults } from './batch.js';
import { type Db, type ListenHandlers, type Queryable, type QueryResult, runBatch, unitOfWork } from './types.js';
import { DatabaseBusyError, isDatabaseUnavailable } from './unavailable.js';

// int8 (counts, bigserial ids, money in minor units) as a JS number, as PGlite returns it:
// every int8 this service stores stays far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * How long the service waits for the server (DATABASE_CONNECT_TIMEOUT_MS, DATABASE_QUERY_TIMEOUT_MS):
 * a connection (or a free one of the pool) within `connectMs`, an answer to a statement within
 * `queryMs`. Together they bound what a request waits for a database that is gone or silent, so it
 * is answered 503 within 5 s (DECISIONS "Database outages (issue 14)").
 */
export const DATABASE_TIMEOUTS = { connectMs: 2_000, queryMs: 3_000 } as const;

export interface PostgresOptions {
  /** pool size */
  max?: number;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

function adapt(client: pg.Pool | pg.PoolClient | pg.Client, queryTimeoutMs: number | null): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const config: pg.QueryConfig = { text: sql, values: params as unknown[] };
      if (queryTimeoutMs) (config as { query_timeout?: number }).query_timeout = queryTimeoutMs;
      const res = await client.query(config);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    },
  };
}

/** The pool's counts (GET /metrics reads them, src/metrics.ts). */
export type PostgresDb = Db & { poolStats(): { total: number; idle: number; waiting: number } };

/** A PostgreSQL server through a pool; several service instances may share it. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresDb> {
  const connectMs = options.connectTimeoutMs ?? DATABASE_TIMEOUTS.connectMs;
  const queryMs = options.queryTimeoutMs ?? DATABASE_TIMEOUTS.queryMs;
  // JIT compiles each complex statement for hundreds of milliseconds: a loss for short OLTP queries
  // (measured: 590 ms of a 675 ms renewal batch), so it is off for this service's sessions.
  // connectionTimeoutMillis bounds both opening a connection and waiting for a free one.
  const max = options.max ?? 10;
  const pool = new pg.Pool({ connectionString: url, max, options: '-c jit=off', connectionTimeoutMillis: connectMs });
  // an idle client losing its server must not crash the process; the pool replaces it
  pool.on('error', () => {});
  // pg-pool's "timeout exceeded when trying to connect" is a request that waited its turn in the
  // queue of a full pool: when every connection was checked out doing work, the instance is busy
  // (DatabaseBusyError), not without a database (connections stuck connecting are not checked out)
  let checkedOut = 0;
  pool.on('acquire', () => void checkedOut++);
  pool.on('release', () => void checkedOut--);
  const busyOrAsIs = (err: unknown): unknown =>
    err instanceof Error && err.message === 'timeout exceeded when trying to connect' && checkedOut >= max
      ? new DatabaseBusyError({ cause: err })
      : err;
  // statements of requests and the worker get an answer within queryMs or fail (and their client is
  // discarded); migrations (withConnection, exec) may wait as long as they need: a migration can
  // build an index for minutes, and the advisory lock waits for another instance's migrations
  const pooled = adapt(pool, queryMs);
  const base: Queryable = {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      try {
        return await pooled.query<T>(sql, params);
      } catch (err) {
        throw busyOrAsIs(err);
      }
    },
  };
  await base.query('select 1');

  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect().catch((err: unknown) => Promise.reject(busyOrAsIs(err)));
    // a checked-out client whose connection breaks emits 'error' (the pool listens only to idle
    // ones): unheard, that would crash the process. A broken client is discarded, not reused.
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      if (isDatabaseUnavailable(err)) broken = true;
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  return {
    kind: 'postgres',
    query: base.query,
    exec: async (sql) => void (await pool.query(sql)),
    transaction: (fn) =>
      unitOfWork((wrap) =>
        withClient(async (client) => {
          const q = adapt(client, queryMs);
          await q.query('begin');
          try {
            const result = await fn(wrap(q));
            await q.query('commit');
            return result;
          } catch (err) {
            // a lost connection cannot roll back (the server does, when the session ends), and
            // asking a silent one would make the caller wait again: the client is discarded instead
            if (!isDatabaseUnavailable(err)) await q.query('rollback').catch(() => {});
            throw err;
          }
        }),
      ),
    batch: (statements) =>
      runBatch(statements, async (live) => {
        try {
          return batchResults(await pool.query(batchQuery(live, queryMs) as unknown as pg.QueryConfig), live.length);
        } catch (err) {
          throw busyOrAsIs(err);
        }
      }),
    withConnection: (fn) =>
      withClient((client) => fn({ ...adapt(client, null), exec: async (sql: string) => void (await client.query(sql)) })),
    listen: (channel, handlers) => listenWithReconnect(url, channel, handlers, { connectMs, queryMs }),
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** the channel's own connection is retried after 0.5 s, doubling to 10 s, while the server is away */
const RECONNECT_MS = { first: 500, max: 10_000 };
/**
 * The listening connection sends nothing of its own, so a server that vanished without closing it
 * (a failover, a partition, a stalled network) would leave it open and silent, and the caches on:
 * a trivial statement every few seconds finds out.
 */
const HEARTBEAT_MS = 5_000;

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). When it is
 * lost, `state(false)` at once, then reconnects with backoff and says `state(true)` once listening.
 */
async function listenWithReconnect(
  url: string,
  channel: string,
  handlers: ListenHandlers,
  timeouts: { connectMs: number; queryMs: number },
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | null = null;
  /** the client once it listens (the heartbeat leaves one that is still connecting to its own timeout) */
  let listening: pg.Client | null = null;
  let stopped = false;
  let delay = RECONNECT_MS.first;
  let timer: NodeJS.Timeout | null = null;

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = null;
    listening = null;
    handlers.state(false);
    c.end().catch(() => {});
    if (!stopped) schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void connect().catch(() => {}), delay);
    timer.unref();
    delay = Math.min(delay * 2, RECONNECT_MS.max);
  };
  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeouts.connectMs });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? '');
    });
    client = c;
    try {
      await c.connect();
      await adapt(c, timeouts.queryMs).query(`listen ${channel}`);
    } catch (err) {
      lost(c);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    if (client !== c) return; // lost while it was starting to listen: a reconnect is scheduled
    delay = RECONNECT_MS.first;
    listening = c;
    handlers.state(true);
  }

  let beating = false;
  const heartbeat = setInterval(() => {
    const c = listening;
    if (!c || beating) return;
    beating = true;
    adapt(c, timeouts.queryMs)
      .query('select 1')
      .then(
        () => {},
        () => lost(c),
      )
      .finally(() => {
        beating = false;
      });
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await connect().catch(() => {}); // the first failure is retried like any other
  return async () => {
    stopped = true;
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
    const c = client;
    client = null;
    if (c) await c.end().catch(() => {});
  };
}
