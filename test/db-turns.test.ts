/**
 * Statements waiting for the database leave the event loop free between them (src/db/pglite.ts
 * `takingTurns`). The embedded database runs on the service's own thread and PGlite hands itself
 * to the next waiter by resolving a promise: without turns a queue of 50 transactions ran as one
 * chain of microtasks, and no request (not even /healthz) was read until it was empty; statements
 * asked one after another (each as the one before answered) ran back to back the same way. A
 * PostgreSQL server answers over sockets, so its queue yields by nature; the same checks run there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/types.js';
import { DatabaseUnavailableError } from '../src/db/unavailable.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  await db.exec('create table turns_probe (id int primary key, n int not null default 0)');
  await db.exec('insert into turns_probe (id) select g from generate_series(1, 100) g');
});
afterAll(() => testDb?.drop());

const QUEUED = 30;

/** Starts `QUEUED` pieces of work at once and says how many had finished when the event loop next ran. */
async function finishedBeforeTheLoopRan(work: (i: number) => Promise<unknown>): Promise<{ seen: number; finished: number }> {
  let finished = 0;
  const all = Array.from({ length: QUEUED }, (_, i) => work(i).then(() => finished++));
  const seen = new Promise<number>((resolve) => setImmediate(() => resolve(finished)));
  await Promise.all(all);
  return { seen: await seen, finished };
}

describe('statements waiting for the database', () => {
  it('let the event loop run between queued transactions', async () => {
    const { seen, finished } = await finishedBeforeTheLoopRan((i) =>
      db.transaction(async (tx) => {
        await tx.query('select n from turns_probe where id = $1', [i + 1]);
        await tx.query('update turns_probe set n = n + 1 where id = $1', [i + 1]);
      }),
    );
    expect(finished).toBe(QUEUED);
    expect(seen).toBeLessThan(QUEUED);
    const { rows } = await db.query<{ total: string }>('select sum(n)::text as total from turns_probe');
    expect(Number(rows[0]!.total)).toBeGreaterThanOrEqual(QUEUED);
  });

  it('let the event loop run between queued statements and batches, which keep their order', async () => {
    const order: number[] = [];
    const { seen } = await finishedBeforeTheLoopRan(async (i) => {
      if (i % 2 === 0) await db.query('select n from turns_probe where id = $1', [i + 1]);
      else await db.batch([{ sql: 'select n from turns_probe where id = $1', params: [i + 1] }]);
      order.push(i);
    });
    expect(seen).toBeLessThan(QUEUED);
    if (db.kind === 'pglite') expect(order).toEqual(Array.from({ length: QUEUED }, (_, i) => i));
  });

  it('let the event loop run between statements asked one after another', async () => {
    // (50 requests read in one poll, each asking as the one before answered, held the loop 90–190 ms)
    let loops = 0;
    let counting = true;
    const count = () => {
      loops++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    for (let i = 0; i < 20; i++) {
      await db.query('select n from turns_probe where id = $1', [i + 1]);
      await db.batch([{ sql: 'select n from turns_probe where id = $1', params: [i + 1] }]);
    }
    counting = false;
    expect(loops).toBeGreaterThanOrEqual(20);
  });

  it('pass on when a transaction fails', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.query('select 1');
          if (i % 2 === 0) throw new Error(`refused ${i}`);
          return i;
        }),
      ),
    );
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'refused 0',
      1,
      'refused 2',
      3,
      'refused 4',
      5,
    ]);
    expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});

describe.runIf(!process.env.DATABASE_URL)('closing the embedded database', () => {
  it('finishes what was asked before close() and refuses what comes after', async () => {
    const own = await createTestDatabase();
    const asked = Array.from({ length: 5 }, (_, i) => own.db.query<{ i: number }>('select $1::int as i', [i]));
    const closing = own.db.close();
    const after = own.db.query('select 1').then(
      () => null,
      (err: unknown) => err,
    );
    expect((await Promise.all(asked)).map((r) => r.rows[0]!.i)).toEqual([0, 1, 2, 3, 4]);
    expect(await after).toBeInstanceOf(DatabaseUnavailableError);
    await closing;
  });
});
