import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { systemClock } from '../clock.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/index.js';
import { migrate } from '../db/migrate.js';
import { LogMailer } from '../modules/email/mailer.js';
import { buildServices } from '../services.js';

/**
 * Makes a new token signing key in the database the service uses (`npm run rotate-keys`): it signs
 * from then on, on every instance (announced on the change feed); the previous key verifies until
 * the last token it signed has expired. With the embedded database, stop the service first.
 * (`POST /api/v1/admin/keys/rotate` does the same for a superadmin, audited.)
 */
export async function rotateKeysCommand(env = process.env): Promise<number> {
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
  try {
    await migrate(db);
    const graph = buildServices({ config, db, clock: systemClock, mailer: new LogMailer(log, false), log });
    const before = (await graph.keys.jwks()).map((k) => k.kid);
    const { kid } = await graph.keys.rotate();
    console.log(`New signing key ${kid}; still published until their tokens expire: ${before.join(', ') || 'none'}`);
    return 0;
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  rotateKeysCommand().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
