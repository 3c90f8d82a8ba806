import { parseArgs } from 'node:util';
import { AppError, translateDbError } from '../http/errors.js';
import { runAsMain, withServiceGraph } from './common.js';

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
  const { email, password } = values;
  return withServiceGraph(env, async (graph) => {
    try {
      const admin = await graph.services.admins.createSuperadmin(email, password, values.name?.trim() || 'Superadmin');
      console.log(`Created superadmin ${admin.email} (${admin.id})`);
      return 0;
    } catch (err) {
      const known = err instanceof AppError ? err : translateDbError(err, graph.conflictMessages);
      if (known) {
        console.error(known.message);
        return 1;
      }
      throw err;
    }
  });
}

runAsMain(import.meta.url, () => createSuperadminCommand(process.argv.slice(2)));
