import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { systemClock } from '../clock.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/index.js';
import { migrate } from '../db/migrate.js';
import { AppError, translateDbError } from '../http/errors.js';
import { LogMailer } from '../modules/email/mailer.js';
import { buildServices, type ServiceGraph } from '../services.js';

const USAGE = 'usage: npm run create-superadmin -- --email admin@example.com --password "at least 8 characters" [--name "Ada"]';

/**
 * Creates a superadmin in the database the service uses (DATA_DIR's embedded database,
 * or DATABASE_URL). With the embedded database, stop the service first: PGlite is one process's.
 */
export async function createSuperadminCommand(argv: string[], env = process.env): Promise<number> {
  let values: { email?: string; password?: string; name?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.email || !values.password) {
    console.error(USAGE);
    return 2;
  }
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) {
    console.error('--email must be an email address');
    return 2;
  }
  if (values.password.length < 8 || values.password.length > 128) {
    console.error('--password must be 8 to 128 characters');
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const log = pino({ level: 'warn' });
  const db = await openDatabase(config);
  let graph: ServiceGraph | undefined;
  try {
    await migrate(db);
    // the same service graph the server runs; its worker is never started here
    graph = buildServices({ config, db, clock: systemClock, mailer: new LogMailer(log, false), log });
    const { admins } = graph.services;
    const name = values.name?.trim() || 'Superadmin';
    const admin = await admins.createSuperadmin(values.email, values.password, name);
    console.log(`Created superadmin ${admin.email} (${admin.id})`);
    return 0;
  } catch (err) {
    const known = err instanceof AppError ? err : translateDbError(err, graph?.conflictMessages);
    if (known) {
      console.error(known.message);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  createSuperadminCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
