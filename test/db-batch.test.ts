/**
 * `db.batch` (src/db/types.ts, src/db/batch.ts): independent statements run in order as one
 * transaction, all committed or none; a PostgreSQL server gets them in one round trip (the
 * extended protocol with one Sync). On whichever database this run uses.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Statement } from '../src/db/types.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  await db.exec('create table batch_probe (id int primary key, at timestamptz, tags text[], doc jsonb, note text)');
});
afterAll(() => testDb?.drop());
beforeEach(() => db.exec('truncate batch_probe'));

const insert = (id: number, note: string | null = null): Statement<{ id: number }> => ({
  sql: 'insert into batch_probe (id, note) values ($1, $2) returning id',
  params: [id, note],
});

async function ids(): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>('select id from batch_probe order by id');
  return rows.map((r) => r.id);
}

describe('db.batch', () => {
  it('answers each statement in order, a null entry with null', async () => {
    const [a, skipped, b, count] = await db.batch([
      insert(1),
      null,
      insert(2),
      { sql: 'update batch_probe set note = $1', params: ['x'] } satisfies Statement,
    ]);
    expect(a.rows).toEqual([{ id: 1 }]);
    expect(skipped).toBeNull();
    expect(b.rows).toEqual([{ id: 2 }]);
    expect(count.rowCount).toBe(2);
    expect(await ids()).toEqual([1, 2]);
  });

  it('runs every statement in one transaction', async () => {
    const xid: Statement<{ xid: string }> = { sql: 'select pg_current_xact_id()::text as xid', params: [] };
    const [first, , second] = await db.batch([xid, insert(1), xid]);
    expect(first.rows[0]!.xid).toBe(second.rows[0]!.xid);
  });

  it('commits none of them when one fails, and the database answers the next statement', async () => {
    const error = await db.batch([insert(1), insert(2), insert(1), insert(3)]).then(
      () => null,
      (err: Error & { code?: string }) => err,
    );
    expect(error?.code).toBe('23505'); // the duplicate key, as a single statement would report it
    expect(await ids()).toEqual([]);
    await db.batch([insert(4)]);
    expect(await ids()).toEqual([4]);
  });

  it('sends parameters as a single statement does (dates, arrays, JSON, nulls)', async () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    await db.batch([
      {
        sql: 'insert into batch_probe (id, at, tags, doc, note) values ($1, $2, $3, $4, $5)',
        params: [1, at, ['a', 'b,c'], { k: [1, 'two'] }, null],
      },
    ]);
    const { rows } = await db.query('select at, tags, doc, note from batch_probe');
    expect(rows).toEqual([{ at, tags: ['a', 'b,c'], doc: { k: [1, 'two'] }, note: null }]);
  });

  it('runs each statement’s after-commit effect once all have committed, never after a failure', async () => {
    const seen: string[] = [];
    const watched = (id: number, label: string): Statement => ({
      ...insert(id),
      afterCommit: async () => {
        seen.push(`${label}:${(await ids()).join(',')}`);
      },
    });
    await db.batch([watched(1, 'a'), watched(2, 'b')]);
    expect(seen).toEqual(['a:1,2', 'b:1,2']);
    seen.length = 0;
    await expect(db.batch([watched(3, 'c'), insert(1)])).rejects.toThrow();
    expect(seen).toEqual([]);
  });

  it('an effect that throws does not fail the committed batch', async () => {
    const [r] = await db.batch([
      {
        ...insert(1),
        afterCommit: () => {
          throw new Error('nudge failed');
        },
      },
    ]);
    expect(r.rows).toEqual([{ id: 1 }]);
    expect(await ids()).toEqual([1]);
  });

  it('a batch of nothing but nulls touches nothing', async () => {
    expect(await db.batch([null, null])).toEqual([null, null]);
  });
});
