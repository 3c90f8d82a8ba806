// How `npm start` runs node (package.json's `start` script): its Node flags and the environment it
// sets, so what starts `node dist/main.js` itself (the bench, the cluster) runs the service the same
// way. README "Memory" says why each is there.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));

/** e.g. `{ nodeFlags: ['--max-semi-space-size=2', '--no-allocation-site-pretenuring'], env: { MALLOC_MMAP_THRESHOLD_: '1048576' } }` */
export function startCommand() {
  const script = JSON.parse(readFileSync(packageJson, 'utf8')).scripts.start;
  const assignments = script.match(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/)?.[0] ?? '';
  const env = Object.fromEntries(
    assignments
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const nodeFlags = script.split(/\s+/).filter((w) => w.startsWith('--'));
  return { nodeFlags, env };
}
