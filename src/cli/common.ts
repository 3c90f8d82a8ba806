import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { systemClock } from '../clock.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { type Db, openDatabase } from '../db/index.js';
import { migrate } from '../db/migrate.js';
import { LogMailer } from '../modules/email/mailer.js';
import { buildServices, type ServiceGraph } from '../services.js';

/** What every operator command shares: the database the service would use, and how it exits. */

export function where(config: Config): string {
  return config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
}

/**
 * Runs `run` on the database the service would use (DATA_DIR's embedded one, or DATABASE_URL),
 * closed afterwards. A configuration the service would refuse, or a database that cannot be
 * opened, is said in one line and answered with `failExit`.
 */
export async function withDatabase(
  env: NodeJS.ProcessEnv,
  failExit: number,
  run: (db: Db, config: Config) => Promise<number>,
): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return failExit;
  }
  let db: Db;
  try {
    db = await openDatabase(config);
  } catch (err) {
    console.error(`Could not open ${where(config)}: ${err instanceof Error ? err.message : String(err)}`);
    return failExit;
  }
  try {
    return await run(db, config);
  } finally {
    await db.close();
  }
}

/** The same service graph the server runs, on a migrated database; its worker is never started. */
export function withServiceGraph(env: NodeJS.ProcessEnv, run: (graph: ServiceGraph) => Promise<number>): Promise<number> {
  return withDatabase(env, 1, async (db, config) => {
    await migrate(db);
    const log = pino({ level: 'warn' });
    return run(buildServices({ config, db, clock: systemClock, mailer: new LogMailer(log, false), log }));
  });
}

/** Runs `command` when `moduleUrl` is the script node was started with, and exits with its code. */
export function runAsMain(moduleUrl: string, command: () => Promise<number>, crashExit = 1): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  command().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(crashExit);
    },
  );
}
