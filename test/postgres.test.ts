import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import type { Db, Queryable } from '../src/db/types.js';
import { createTestDatabase, type TestDatabase, truncateAll } from './helpers/database.js';

/**
 * The schema and the migration runner, on whichever database this run uses:
 * the embedded PGlite by default, a PostgreSQL server when DATABASE_URL is set.
 */

let testDb: TestDatabase;
let db: Db;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
});
afterAll(() => testDb?.drop());
beforeEach(() => truncateAll(db));

const ALL_VERSIONS = readMigrations().map((m) => m.version);

/** The error a promise rejects with (and a failure if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the statement to fail');
}

async function insertUser(q: Queryable, email: string, parentId: string | null = null): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `insert into users (email, password_hash, name, first_name, last_name, role, parent_id)
     values ($1, 'not-a-real-hash', 'Test User', 'Test', 'User', $2, $3) returning id`,
    [email, parentId ? 'child' : 'parent', parentId],
  );
  return rows[0]!.id;
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number | string }>(sql, params);
  return Number(rows[0]!.n);
}

describe(`migrations (${process.env.DATABASE_URL ? 'PostgreSQL server' : 'PGlite'})`, () => {
  it('there is at least one migration, named NNNN_name.sql, in order', () => {
    expect(ALL_VERSIONS.length).toBeGreaterThan(0);
    expect([...ALL_VERSIONS].sort()).toEqual(ALL_VERSIONS);
    expect(new Set(ALL_VERSIONS.map((v) => v.slice(0, 4))).size).toBe(ALL_VERSIONS.length);
  });

  it('records every migration once in schema_migrations', async () => {
    const { rows } = await db.query<{ version: string }>('select version from schema_migrations order by version');
    expect(rows.map((r) => r.version)).toEqual(ALL_VERSIONS);
  });

  it('are idempotent: migrating a migrated database applies nothing', async () => {
    await expect(migrate(db)).resolves.toEqual([]);
    await expect(migrate(db)).resolves.toEqual([]);
    expect(await count('select count(*) as n from schema_migrations')).toBe(ALL_VERSIONS.length);
  });

  it('release the advisory lock, so the connection can migrate again', async () => {
    // a leaked session lock would make the next migrate on the same pooled connection wait for ever
    await migrate(db);
    const held = await count(
      "select count(*) as n from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())",
    );
    expect(held).toBe(0);
  });
});

describe('the schema', () => {
  it('keeps emails unique whatever their case: the unique index is on lower(email)', async () => {
    const { rows } = await db.query<{ indexdef: string }>(
      "select indexdef from pg_indexes where schemaname = 'public' and tablename = 'users' and indexdef ilike '%unique%lower(email)%'",
    );
    expect(rows).toHaveLength(1);

    await insertUser(db, 'alice@example.com');
    // the exact same address
    expect((await rejection(insertUser(db, 'alice@example.com'))).code).toBe('23505');
    // another case: the check constraint (emails stored lower-cased) or the unique index refuses it
    expect(['23505', '23514']).toContain((await rejection(insertUser(db, 'ALICE@example.com'))).code);
    expect((await rejection(insertUser(db, 'Alice@Example.COM'))).code).toMatch(/^(23505|23514)$/);
    expect(await count('select count(*) as n from users')).toBe(1);
  });

  it('the unique index on its own refuses an address differing only by case (check constraint lifted in a rolled-back transaction)', async () => {
    await insertUser(db, 'bob@example.com');
    const err = await rejection(
      db.transaction(async (tx) => {
        const { rows } = await tx.query<{ conname: string }>(
          `select conname from pg_constraint
            where conrelid = 'users'::regclass and contype = 'c' and pg_get_constraintdef(oid) ilike '%lower(email)%'`,
        );
        for (const r of rows) await tx.query(`alter table users drop constraint "${r.conname}"`);
        await insertUser(tx, 'BOB@example.com');
      }),
    );
    expect(err.code).toBe('23505');
    // the transaction rolled back: the constraint is back and there is still one Bob
    expect(await count("select count(*) as n from users where lower(email) = 'bob@example.com'")).toBe(1);
    expect((await rejection(insertUser(db, 'Bob@example.com'))).code).toMatch(/^(23505|23514)$/);
  });

  it('deleting a parent deletes its children and what they own', async () => {
    const parent = await insertUser(db, 'parent@example.com');
    const child1 = await insertUser(db, 'child1@example.com', parent);
    const child2 = await insertUser(db, 'child2@example.com', parent);
    const other = await insertUser(db, 'other@example.com');
    const otherChild = await insertUser(db, 'other.child@example.com', other);

    for (const id of [parent, child1, other, otherChild]) {
      await db.query("insert into password_reset_otps (user_id, otp_hash, expires_at) values ($1, 'hash', now() + interval '10 minutes')", [
        id,
      ]);
      await db.query(
        "insert into user_tokens (token_hash, user_id, purpose, expires_at) values ($1, $2, 'delete_account', now() + interval '1 hour')",
        [randomBytes(16).toString('hex'), id],
      );
    }

    const deleted = await db.query('delete from users where id = $1', [parent]);
    expect(deleted.rowCount).toBe(1);

    const { rows } = await db.query<{ id: string }>('select id from users order by email');
    expect(rows.map((r) => r.id).sort()).toEqual([other, otherChild].sort());
    for (const id of [parent, child1, child2]) {
      expect(await count('select count(*) as n from password_reset_otps where user_id = $1', [id])).toBe(0);
      expect(await count('select count(*) as n from user_tokens where user_id = $1', [id])).toBe(0);
    }
    expect(await count('select count(*) as n from password_reset_otps')).toBe(2);
    expect(await count('select count(*) as n from user_tokens')).toBe(2);
  });

  it('a child must have a parent that exists', async () => {
    expect((await rejection(insertUser(db, 'orphan@example.com', randomUUID()))).code).toBe('23503');
  });
});

// ---------------------------------------------------------------------------
// Fresh, empty databases (not even schema_migrations), for the migration runner itself.

const serverUrl = process.env.DATABASE_URL ?? null;
const createdDatabases: string[] = [];

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl! });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A brand-new empty database on the server; its URL. */
async function emptyServerDatabase(): Promise<string> {
  const name = `sociox_migrate_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  createdDatabases.push(name);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** An empty database of this run's kind: in-memory PGlite, or a new database on the server. */
async function emptyDatabase(): Promise<Db> {
  return serverUrl ? openPostgres(await emptyServerDatabase(), { max: 1 }) : openPglite({ dataDir: null });
}

afterAll(async () => {
  if (!serverUrl || createdDatabases.length === 0) return;
  await admin(async (c) => {
    for (const name of createdDatabases.splice(0)) await c.query(`drop database if exists ${name} with (force)`);
  });
});

describe('the migration runner on an empty database', () => {
  it('a migration that fails is rolled back whole and not recorded; the connection can migrate again', async () => {
    const fresh = await emptyDatabase();
    try {
      const ok = { version: '0001_ok', sql: 'create table ok_table (id int primary key);' };
      const broken = { version: '0002_broken', sql: 'create table half_table (id int primary key);\nselect * from no_such_table;' };
      const err = await rejection(migrate(fresh, [ok, broken]));
      expect(err.code).toBe('42P01');

      const { rows } = await fresh.query<{ version: string }>('select version from schema_migrations order by version');
      expect(rows.map((r) => r.version)).toEqual(['0001_ok']);
      const half = await fresh.query<{ t: string | null }>("select to_regclass('public.half_table')::text as t");
      expect(half.rows[0]!.t).toBeNull();

      // the lock was released and no transaction is left open: the fixed migration applies
      const fixed = { version: '0002_broken', sql: 'create table half_table (id int primary key);' };
      await expect(migrate(fresh, [ok, fixed])).resolves.toEqual(['0002_broken']);
      await expect(migrate(fresh, [ok, fixed])).resolves.toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('applies every migration file in order on an empty database, then nothing', async () => {
    const fresh = await emptyDatabase();
    try {
      await expect(migrate(fresh)).resolves.toEqual(ALL_VERSIONS);
      await expect(migrate(fresh)).resolves.toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});

describe.skipIf(!serverUrl)('migrations racing on a PostgreSQL server', () => {
  it('two instances migrating one fresh database at once: both succeed, each migration applied exactly once', async () => {
    const url = await emptyServerDatabase();
    const a = await openPostgres(url, { max: 2 });
    const b = await openPostgres(url, { max: 2 });
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);

      // every migration was applied by exactly one of them
      expect([...appliedA, ...appliedB].sort()).toEqual(ALL_VERSIONS);
      // the advisory lock makes them take turns, so one did all the work and the other none
      expect([appliedA.length, appliedB.length].sort((x, y) => x - y)).toEqual([0, ALL_VERSIONS.length]);

      const { rows } = await a.query<{ version: string }>('select version from schema_migrations order by version');
      expect(rows.map((r) => r.version)).toEqual(ALL_VERSIONS);

      // the schema is there for both pools
      const id = await insertUser(a, 'first@example.com');
      const seen = await b.query<{ id: string }>('select id from users where email = $1', ['first@example.com']);
      expect(seen.rows[0]?.id).toBe(id);

      await expect(Promise.all([migrate(a), migrate(b)])).resolves.toEqual([[], []]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('four instances racing on another fresh database agree as well', async () => {
    const url = await emptyServerDatabase();
    const pools = await Promise.all([1, 2, 3, 4].map(() => openPostgres(url, { max: 1 })));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      expect(results.flat().sort()).toEqual(ALL_VERSIONS);
      expect(results.filter((r) => r.length > 0)).toHaveLength(1);
      const { rows } = await pools[0]!.query<{ n: number }>('select count(*)::int as n from schema_migrations');
      expect(rows[0]!.n).toBe(ALL_VERSIONS.length);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });
});
