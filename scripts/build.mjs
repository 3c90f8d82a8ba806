// `npm run build` (and `prepare`, so `npm ci` leaves a runnable dist/): TypeScript to dist/, the SQL
// migrations beside the compiled migrate.js, the admin console into dist/console
// (scripts/build-console.mjs), and a stamp scripts/start.mjs compares with the source.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // an install without devDependencies (npm ci --omit=dev) keeps the dist/ it was given
  if (existsSync(`${root}dist/main.js`)) process.exit(0);
  console.error('TypeScript is not installed and there is no dist/: run `npm ci` (with devDependencies) once to build');
  process.exit(1);
}
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: root });
rmSync(`${root}dist/db/migrations`, { recursive: true, force: true });
cpSync(`${root}src/db/migrations`, `${root}dist/db/migrations`, { recursive: true });
try {
  createRequire(import.meta.url).resolve('vite');
  execFileSync(process.execPath, [`${root}scripts/build-console.mjs`, '--from-dist'], { stdio: 'inherit', cwd: root });
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND') process.exit(typeof err.status === 'number' ? err.status : 1);
  // TypeScript without Vite: a partial install; the service runs, /admin says the console is not built
  console.error('Vite is not installed: the admin console (dist/console) was not built');
}
writeFileSync(`${root}dist/.built`, `${new Date().toISOString()}\n`);
