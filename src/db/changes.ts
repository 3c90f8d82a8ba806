import type { FastifyBaseLogger } from 'fastify';
import type { Db } from './types.js';

/** The channel migration 0009 announces committed row changes on, as '<table>:<id>' or '<table>:'. */
export const CHANGES_CHANNEL = 'sociox_changes';

/**
 * What a cache needs to stay exact across instances: it may serve from memory only while the
 * feed is `live`, and may store a row it read only if no change arrived during the read (the
 * `epoch` did not move). Everything is dropped when the channel is lost or comes back.
 */
export interface ChangeFeed {
  readonly live: boolean;
  /** moves on every change announced and on every loss or return of the channel */
  readonly epoch: number;
  /** `id` is null for a whole-table change (and for a reset: everything must go) */
  on(table: string, handler: (id: string | null) => void): void;
  /**
   * Resolves once every change committed before the call has been heard (a marker sent now comes
   * back after them: notifications arrive in commit order). For writes made outside this service.
   */
  sync(): Promise<void>;
  /** Drops what every cache holds (the data was replaced wholesale, e.g. a TRUNCATE, which announces nothing). */
  reset(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChangeFeed(db: Db, log: FastifyBaseLogger): ChangeFeed {
  const handlers = new Map<string, ((id: string | null) => void)[]>();
  let live = false;
  let epoch = 0;
  let stop: (() => Promise<void>) | null = null;
  const markers = new Map<string, () => void>();

  const resetAll = () => {
    epoch++;
    for (const list of handlers.values()) for (const h of list) h(null);
  };

  return {
    get live() {
      return live;
    },
    get epoch() {
      return epoch;
    },
    on(table, handler) {
      handlers.set(table, [...(handlers.get(table) ?? []), handler]);
    },
    async sync() {
      if (!live) return;
      const id = crypto.randomUUID();
      const heard = new Promise<void>((resolve) => {
        markers.set(id, resolve);
        setTimeout(resolve, 2_000).unref();
      });
      try {
        await db.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, `sync:${id}`]);
        await heard;
      } finally {
        markers.delete(id);
      }
    },
    reset: resetAll,
    async start() {
      if (stop) return;
      try {
        stop = await db.listen(CHANGES_CHANNEL, {
          message(payload) {
            const marker = payload.startsWith('sync:') ? markers.get(payload.slice(5)) : undefined;
            if (marker) return marker();
            epoch++;
            const at = payload.indexOf(':');
            const table = at < 0 ? payload : payload.slice(0, at);
            const id = at < 0 ? '' : payload.slice(at + 1);
            for (const h of handlers.get(table) ?? []) h(id || null);
          },
          state(up) {
            // whatever happened while the channel was down is unknown: drop it all, both ways
            resetAll();
            if (up !== live) log.info({ up }, up ? 'change feed listening: caches on' : 'change feed lost: caches off');
            live = up;
          },
        });
      } catch (err) {
        // no feed, no caches: every read goes to the database, which is correct, only slower
        log.warn({ err }, 'change feed unavailable: caches off');
      }
    },
    async stop() {
      live = false;
      resetAll();
      const s = stop;
      stop = null;
      if (s) await s();
    },
  };
}
