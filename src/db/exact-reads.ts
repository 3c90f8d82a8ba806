import type { ChangeFeed } from './changes.js';
import { afterCommitOrNow, type Queryable } from './types.js';

/**
 * The three rules every read kept in memory follows (DECISIONS "Reads from memory"), in one place:
 * serve from memory only while the change feed listens; keep a value read from the database only
 * if no change arrived while it was read (the feed's epoch and this owner's own generation); and
 * drop what a write of this instance touches when its transaction commits.
 */
export function exactReads(changes: ChangeFeed) {
  let generation = 0;
  return {
    /** `hit()` when serving it from memory is exact (the feed listens), else undefined: no promise, for a hot path. */
    peek<T>(hit: () => T | undefined): T | undefined {
      return changes.live ? hit() : undefined;
    },

    /** `hit()` from memory when that is exact; else `load()`, kept with `keep()` when nothing changed meanwhile. */
    async read<T>(hit: () => T | undefined, load: () => Promise<T>, keep: (value: T) => void): Promise<T> {
      if (changes.live) {
        const value = hit();
        if (value !== undefined) return value;
      }
      const epoch = changes.epoch;
      const gen = generation;
      const value = await load();
      if (changes.live && epoch === changes.epoch && gen === generation) keep(value);
      return value;
    },

    /**
     * A write is under way: reads in flight keep nothing, and `drop` runs when `q`'s transaction
     * commits (at once outside a transaction). A promise `drop` returns is awaited before the
     * transaction resolves.
     */
    changed(q: Queryable, drop: () => void | Promise<void>): void {
      generation++;
      afterCommitOrNow(q, () => {
        generation++;
        return drop();
      });
    },

    /** What is kept changed without a write of this instance (the feed said so): reads in flight keep nothing. */
    invalidate(): void {
      generation++;
    },
  };
}
