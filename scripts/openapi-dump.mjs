// Writes the service's own OpenAPI document (what GET /openapi.json answers) to dist/openapi.json,
// or to the path given as the first argument. The console's typed API client is generated from it
// (scripts/build-console.mjs). The app is built in-process on a throw-away in-memory PGlite
// database, made ready but never listening: about 3 s, most of it PGlite starting and the
// migrations. It is loaded from src/ through tsx, so the document follows the source even when
// dist/ is older; `--from-dist` (what scripts/build.mjs asks for, having just compiled dist/)
// loads the compiled files instead, which saves the transpiling.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The document as a JavaScript value (no file written). */
export async function openApiDocument({ fromDist = false } = {}) {
  const src = fromDist
    ? (path) => import(pathToFileURL(join(root, 'dist', path.replace(/\.ts$/, '.js'))).href)
    : (path) => tsImport(join(root, 'src', path), import.meta.url);
  const [{ buildApp }, { buildServices }, { loadConfig }, { systemClock }, { openPglite }, { migrate }, { LogMailer }, { default: pino }] =
    await Promise.all([
      src('app.ts'),
      src('services.ts'),
      src('config.ts'),
      src('clock.ts'),
      src('db/pglite.ts'),
      src('db/migrate.ts'),
      src('modules/email/mailer.ts'),
      import('pino'),
    ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'sociox-openapi-'));
  const log = pino({ level: 'silent' });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    // fixed and never used to sign anything: nothing listens
    JWT_SECRET: 'openapi-dump-0123456789-abcdefghijklmnopqrstuvwxyz',
    KEY_ENCRYPTION_SECRET: 'openapi-dump-0123456789-abcdefghijklmnopqrstuvwxyz',
    LOG_LEVEL: 'silent',
  });
  const db = await openPglite({ dataDir: null });
  try {
    await migrate(db);
    const app = await buildApp(buildServices({ config, db, clock: systemClock, mailer: new LogMailer(log, false), log }));
    try {
      await app.ready();
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const out = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'dist', 'openapi.json'));
  const started = performance.now();
  const doc = await openApiDocument({ fromDist: args.includes('--from-dist') });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`openapi: ${Object.keys(doc.paths ?? {}).length} paths written to ${out} in ${Math.round(performance.now() - started)} ms`);
}
