import { pathToFileURL } from 'node:url';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { type Db, openDatabase } from '../db/index.js';
import { migrate, migrationStatus } from '../db/migrate.js';

/** the exit code of a command that could not ask the database at all (configuration, connection) */
export const EXIT_ERROR = 2;

function where(config: Config): string {
  return config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
}

/** Runs `run` on the database the service would use (DATA_DIR's embedded one, or DATABASE_URL). */
async function withDatabase(env: NodeJS.ProcessEnv, run: (db: Db, config: Config) => Promise<number>): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return EXIT_ERROR;
  }
  let db: Db;
  try {
    db = await openDatabase(config);
  } catch (err) {
    console.error(`Could not open ${where(config)}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_ERROR;
  }
  try {
    return await run(db, config);
  } finally {
    await db.close();
  }
}

/**
 * `npm run migrate`: applies the pending migrations and exits, saying what it applied. For
 * deployments that migrate before rolling out (the service also migrates at start; instances take
 * turns on an advisory lock, so running both is safe). With the embedded database, stop the service first.
 */
export function migrateCommand(env = process.env): Promise<number> {
  return withDatabase(env, async (db, config) => {
    const applied = await migrate(db);
    for (const version of applied) console.log(`applied ${version}`);
    console.log(
      applied.length === 0
        ? `Nothing to apply: ${where(config)} is up to date`
        : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${where(config)}`,
    );
    return 0;
  });
}

/**
 * `npm run db:status`: lists the applied and the pending migrations. Exit code 0 when none is
 * pending, 1 when some are (a deployment script can ask before rolling out), 2 when it could not tell.
 */
export function dbStatusCommand(env = process.env): Promise<number> {
  return withDatabase(env, async (db, config) => {
    const { applied, pending } = await migrationStatus(db);
    console.log(`Migrations of ${where(config)}:`);
    for (const m of applied) console.log(`  applied  ${m.version}  ${m.appliedAt.toISOString()}`);
    for (const version of pending) console.log(`  pending  ${version}`);
    console.log(
      pending.length === 0
        ? `${applied.length} applied, none pending`
        : `${applied.length} applied, ${pending.length} pending: run \`npm run migrate\` (or start the service)`,
    );
    return pending.length === 0 ? 0 : 1;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  (process.argv.includes('--status') ? dbStatusCommand() : migrateCommand()).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(EXIT_ERROR);
    },
  );
}
