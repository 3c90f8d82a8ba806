import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './types.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** A fixed key for pg_advisory_lock: every instance migrating the same database takes the same lock. */
const MIGRATION_LOCK_KEY = 727_001;

export interface Migration {
  version: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }));
}

/**
 * Applies pending migrations in order, each in its own transaction, recorded in
 * schema_migrations. The session advisory lock makes instances that start together
 * take turns: the second one finds everything applied and does nothing.
 */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  return db.withConnection(async (conn) => {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await conn.exec(
        'create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())',
      );
      const { rows } = await conn.query<{ version: string }>('select version from schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const done: string[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await conn.exec(`begin;\n${m.sql}\n;insert into schema_migrations (version) values ('${m.version}');\ncommit;`);
        done.push(m.version);
      }
      return done;
    } catch (err) {
      await conn.exec('rollback').catch(() => {});
      throw err;
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}

export interface MigrationStatus {
  applied: { version: string; appliedAt: Date }[];
  /** in the order `migrate` would apply them */
  pending: string[];
}

/**
 * Which migrations the database has and which it still needs (`npm run db:status`). Reads only:
 * a database never migrated (no schema_migrations yet) has every migration pending.
 */
export async function migrationStatus(db: Db, migrations = readMigrations()): Promise<MigrationStatus> {
  const { rows: found } = await db.query<{ exists: boolean }>("select to_regclass('schema_migrations') is not null as exists");
  const { rows } = found[0]?.exists
    ? await db.query<{ version: string; applied_at: Date }>('select version, applied_at from schema_migrations order by version')
    : { rows: [] };
  const applied = new Set(rows.map((r) => r.version));
  return {
    applied: rows.map((r) => ({ version: r.version, appliedAt: r.applied_at })),
    pending: migrations.filter((m) => !applied.has(m.version)).map((m) => m.version),
  };
}
