import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Db } from '../db/index.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store in the database, so N instances behind a load balancer share one
 * budget per client instead of N. One upsert per credential request; the window is fixed, like
 * the plugin's own in-memory store. If the database cannot be reached, the request is answered 503
 * at once (it would fail on the same database anyway, after waiting again); if the statement fails
 * otherwise, the request is let through (logged).
 */
export function databaseRateLimitStore(db: Db, clock: Clock, log: FastifyBaseLogger) {
  return class DatabaseStore {
    incr(key: string, cb: Callback, timeWindow: number): void {
      const now = clock.now();
      db.query<{ hits: number; window_end: Date }>(
        `insert into rate_limit_hits (key, hits, window_end) values ($1, 1, $3)
         on conflict (key) do update set
           hits = case when rate_limit_hits.window_end <= $2 then 1 else rate_limit_hits.hits + 1 end,
           window_end = case when rate_limit_hits.window_end <= $2 then $3 else rate_limit_hits.window_end end
         returning hits, window_end`,
        [key, now, new Date(now.getTime() + timeWindow)],
      ).then(
        ({ rows }) => cb(null, { current: rows[0]!.hits, ttl: Math.max(0, rows[0]!.window_end.getTime() - now.getTime()) }),
        (err: unknown) => {
          // the database gone: the endpoint would wait for it again, so the request is answered 503
          // now (the plugin passes a store's error to the error handler)
          if (isDatabaseUnavailable(err)) return cb(err as Error);
          log.error({ err: err instanceof Error ? err.message : err }, 'rate-limit store unavailable; request let through');
          cb(null, { current: 0, ttl: timeWindow });
        },
      );
    }

    child(): DatabaseStore {
      return this;
    }
  };
}

/** The worker's housekeeping: counters whose window has passed. */
export async function purgeRateLimitHits(db: Db, now: Date): Promise<number> {
  const { rowCount } = await db.query('delete from rate_limit_hits where window_end <= $1', [now]);
  return rowCount;
}
