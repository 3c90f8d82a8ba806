import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Db } from '../../src/db/types.js';

export interface TestDatabase {
  db: Db;
  /** a URL for a second connection pool to the same database (PostgreSQL only) */
  url: string | null;
  drop(): Promise<void>;
}

/** A fresh database for one test file: a copy of the migrated PGlite template, or a new database on the server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const template = inject('pgliteTemplate');
    const blob = template ? new Blob([await readFile(template)]) : undefined;
    const db = await openPglite({ dataDir: null, ...(blob ? { loadDataDir: blob } : {}) });
    if (!blob) await migrate(db);
    return { db, url: null, drop: () => db.close() };
  }
  const name = `sociox_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: 5 });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * With `isolate: false` (vitest.config.ts) a worker runs its files one after another; the embedded
 * database a file is done with waits here for the worker's next file, which gets it emptied (a few
 * milliseconds) instead of opening another from the template (~0.3 s of CPU).
 */
let spare: Db | null = null;

/**
 * The database a Harness runs on: on PGlite the worker's spare one, emptied and with its session
 * reset, when there is one; otherwise a fresh one. `drop()` hands it back for the next file.
 */
export async function acquireTestDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL) return createTestDatabase();
  const kept = spare;
  spare = null;
  if (kept) {
    try {
      await kept.exec('discard all');
      await truncateAll(kept, { storage: true });
      return handedBack(kept);
    } catch {
      // closed or broken by the file that had it: start from the template again
      await kept.close().catch(() => {});
    }
  }
  return handedBack((await createTestDatabase()).db);
}

function handedBack(db: Db): TestDatabase {
  return {
    db,
    url: null,
    async drop() {
      if (spare && spare !== db) await db.close();
      else spare = db;
    },
  };
}

/**
 * Empties every table but the migrations record and restarts their identities, between tests.
 * `storage`: also give the tables new files (TRUNCATE), once per file, so the rows deleted by the
 * resets of one file do not pile up for the next (PGlite has no autovacuum).
 */
export async function truncateAll(db: Db, options: { storage?: boolean } = {}): Promise<void> {
  const { rows } = await db.query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'",
  );
  if (!rows.length) return;
  const tables = rows.map((r) => `"${r.tablename}"`);
  if (db.kind !== 'pglite' || options.storage) {
    await db.exec(`truncate ${tables.join(', ')} restart identity cascade`);
    return;
  }
  // PGlite: TRUNCATE makes new files for every table and index (about 20-50 ms for these few
  // rows, once per test); DELETE with foreign-key triggers off (we are its superuser) and the
  // sequences set back leaves the same empty tables in about a millisecond
  await db.exec(
    [
      'begin',
      'set local session_replication_role = replica',
      ...tables.map((t) => `delete from ${t}`),
      "select setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) from pg_sequences where schemaname = 'public'",
      'commit',
    ].join(';\n'),
  );
}

/**
 * Runs `fn` while every update of `table`.`column` fails ('refused by the test', a trigger made
 * here and dropped after): a write that must commit whole can be shown to leave nothing behind.
 */
export async function whileUpdatesFail<T>(db: Db, table: string, column: string, fn: () => Promise<T>): Promise<T> {
  const name = `refuse_${table}_${column}`;
  await db.exec(`create function ${name}() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
    create trigger ${name} before update of ${column} on ${table} for each row execute function ${name}()`);
  try {
    return await fn();
  } finally {
    await db.exec(`drop trigger ${name} on ${table}; drop function ${name}()`);
  }
}
