/**
 * The service under fuzz: the real app (buildApp) listening on 127.0.0.1, port 0, on a throw-away
 * database — embedded in-memory PGlite, or a fresh database on DATABASE_URL's server, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { type App, BODY_LIMIT, buildApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Db } from '../../src/db/types.js';
import { LogMailer } from '../../src/modules/email/mailer.js';
import { buildServices } from '../../src/services.js';

export { BODY_LIMIT };

/** A fixed secret (48 characters), so a token the fuzzer forges with it is valid on every run. */
export const JWT_SECRET = 'fuzz-secret-0123456789-abcdefghijklmnopqrstuvwxy';

export interface LogLine {
  level: number;
  reqId?: string;
  msg?: string;
  err?: { type?: string; message?: string; code?: string; stack?: string };
  [key: string]: unknown;
}

export interface Service {
  app: App;
  port: number;
  database: string;
  /** error-level log lines, kept to explain failures (the service runs silent otherwise) */
  errorLogs: LogLine[];
  close(): Promise<void>;
}

async function openDatabase(serverUrl: string | undefined): Promise<{ db: Db; label: string; drop(): Promise<void> }> {
  if (!serverUrl) {
    const db = await openPglite({ dataDir: null });
    await migrate(db);
    return { db, label: 'embedded PGlite (in memory)', drop: () => db.close() };
  }
  const name = `sociox_fuzz_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: 10 });
  await migrate(db);
  return {
    db,
    label: `PostgreSQL ${url.host}/${name} (throw-away)`,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function startService(): Promise<Service> {
  const serverUrl = process.env.DATABASE_URL?.trim() || undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'sociox-fuzz-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    ...(serverUrl ? { DATABASE_URL: serverUrl } : {}),
    // the fuzzer is one IP sending thousands of credential requests: limits would only hide handlers
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOGIN_MAX_FAILURES: '100000000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '100000000',
    FORGOT_PASSWORD_MIN_MS: '0',
    DEFAULT_TEAM_MEMBERS: '100000',
    LOG_LEVEL: 'silent',
    // argon2's cheapest cost: thousands of register and login cases each hash, and the fuzzer is
    // after the handlers, not argon2
    PASSWORD_HASH_MEMORY_KIB: '8',
    PASSWORD_HASH_ITERATIONS: '1',
  });

  const errorLogs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          errorLogs.push(JSON.parse(line) as LogLine);
        } catch {
          errorLogs.push({ level: 50, msg: line });
        }
      }
      done();
    },
  });
  // LOG_LEVEL is silent for the service's own settings; this logger keeps only errors, in memory
  const logger = pino({ level: 'error' }, sink);
  const { db, label, drop } = await openDatabase(serverUrl);
  const app = await buildApp(
    buildServices({ config, db, clock: systemClock, mailer: new LogMailer(pino({ level: 'silent' }), false), log: logger }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    port,
    database: label,
    errorLogs,
    async close() {
      await app.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
