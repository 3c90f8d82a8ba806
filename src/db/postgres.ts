import pg from 'pg';
import { type Db, type ListenHandlers, type Queryable, type QueryResult, unitOfWork } from './types.js';

// int8 (counts, bigserial ids, money in minor units) as a JS number, as PGlite returns it:
// every int8 this service stores stays far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function adapt(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const res = await client.query(sql, params as unknown[]);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    },
  };
}

/** A PostgreSQL server through a pool; several service instances may share it. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Db> {
  // JIT compiles each complex statement for hundreds of milliseconds: a loss for short OLTP queries
  // (measured: 590 ms of a 675 ms renewal batch), so it is off for this service's sessions.
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, options: '-c jit=off' });
  // an idle client losing its server must not crash the process; the pool replaces it
  pool.on('error', () => {});
  const base = adapt(pool);
  await base.query('select 1');

  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  return {
    kind: 'postgres',
    query: base.query,
    exec: async (sql) => void (await pool.query(sql)),
    transaction: (fn) =>
      unitOfWork((wrap) =>
        withClient(async (client) => {
          await client.query('begin');
          try {
            const result = await fn(wrap(adapt(client)));
            await client.query('commit');
            return result;
          } catch (err) {
            await client.query('rollback').catch(() => {});
            throw err;
          }
        }),
      ),
    withConnection: (fn) => withClient((client) => fn({ ...adapt(client), exec: async (sql: string) => void (await client.query(sql)) })),
    listen: (channel, handlers) => listenWithReconnect(url, channel, handlers),
    close: () => pool.end(),
  };
}

/** the channel's own connection is retried after 0.5 s, doubling to 10 s, while the server is away */
const RECONNECT_MS = { first: 500, max: 10_000 };

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). When it is
 * lost, `state(false)` at once, then reconnects with backoff and says `state(true)` once listening.
 */
async function listenWithReconnect(url: string, channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = RECONNECT_MS.first;
  let timer: NodeJS.Timeout | null = null;

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = null;
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
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? '');
    });
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
    } catch (err) {
      lost(c);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    delay = RECONNECT_MS.first;
    handlers.state(true);
  }

  await connect().catch(() => {}); // the first failure is retried like any other
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const c = client;
    client = null;
    if (c) await c.end().catch(() => {});
  };
}
