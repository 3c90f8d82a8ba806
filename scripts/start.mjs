// `npm start`: runs the compiled service, building it first only when dist/ is missing or older
// than the source (npm ci builds it once, in `prepare`; a start then takes no compiler time).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.built');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

// the admin console's source too (console/, built into dist/console by the same build); its folder
// may be missing from an install that only runs the service
const inputs = [
  join(root, 'src'),
  join(root, 'console'),
  join(root, 'tsconfig.json'),
  join(root, 'tsconfig.build.json'),
  join(root, 'package-lock.json'),
].filter((p) => existsSync(p));
const sourceTime = Math.max(...inputs.map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
const consoleMissing = existsSync(join(root, 'console')) && !existsSync(join(root, 'dist', 'console', 'index.html'));
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sourceTime || consoleMissing) {
  console.error('building dist/ (the source changed since the last build)');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
}
// `--build-only`: what the operator commands use before running their own entry point
if (!process.argv.includes('--build-only')) await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
