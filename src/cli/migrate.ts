import { migrate, migrationStatus } from '../db/migrate.js';
import { runAsMain, where, withDatabase } from './common.js';

/** the exit code of a command that could not ask the database at all (configuration, connection) */
export const EXIT_ERROR = 2;

/**
 * `npm run migrate`: applies the pending migrations and exits, saying what it applied. For
 * deployments that migrate before rolling out (the service also migrates at start; instances take
 * turns on an advisory lock, so running both is safe). With the embedded database, stop the service first.
 */
export function migrateCommand(env = process.env): Promise<number> {
  return withDatabase(env, EXIT_ERROR, async (db, config) => {
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
  return withDatabase(env, EXIT_ERROR, async (db, config) => {
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

runAsMain(import.meta.url, () => (process.argv.includes('--status') ? dbStatusCommand() : migrateCommand()), EXIT_ERROR);
