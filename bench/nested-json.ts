/**
 * Benchmark: does a flood of deeply nested JSON bodies (issue 8) slow everyone else down?
 * Not a test: it prints /healthz latency, alone and under floods, and says whether the target holds.
 *
 *   npx tsx bench/nested-json.ts
 *
 * Starts the service as its own process (`tsx src/main.ts`, embedded database in a throw-away
 * DATA_DIR), then for BENCH_SECONDS (default 10) per scenario autocannon keeps BENCH_CONNECTIONS
 * (default 60) keep-alive connections busy with bodies of BENCH_DEPTH (default 5,000) nested `[`
 * sent to an unknown route, `OPTIONS /`, the login route and an authenticated body route, while a
 * second autocannon asks /healthz 100 times a second. Target: /healthz p99 under 20 ms (before the
 * fix each such body took 100–260 ms of the event loop, and 60 of them raised /healthz from 4 ms to
 * 470 ms). The flood saturates the server: the same flood with a tiny valid-JSON body is printed
 * for comparison.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 60);
const DEPTH = Number(process.env.BENCH_DEPTH ?? 5000);
const PORT = Number(process.env.BENCH_PORT ?? 5077);
const base = `http://127.0.0.1:${PORT}`;

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready in 30 s');
}

async function healthz(durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${base}/healthz`, connections: 1, overallRate: 100, duration: durationSeconds });
}

function line(label: string, r: autocannon.Result): string {
  return `${label.padEnd(44)} p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  max ${String(r.latency.max).padStart(4)} ms  (${r.requests.total} probes)`;
}

async function flood(label: string, body: string, token: string): Promise<number> {
  const json = { 'content-type': 'application/json' };
  const [probe, load] = await Promise.all([
    healthz(SECONDS),
    autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        { method: 'POST', path: '/api/v1/nothing-here', headers: json, body },
        { method: 'OPTIONS', path: '/', headers: json, body },
        { method: 'POST', path: '/api/v1/auth/login', headers: json, body },
        { method: 'PUT', path: '/api/profile', headers: { ...json, authorization: `Bearer ${token}` }, body },
      ],
    }),
  ]);
  console.log(line(`/healthz under ${label}`, probe));
  const statuses = { '2xx': load['2xx'], '4xx': load['4xx'], '5xx': load['5xx'] };
  console.log(
    `  flood: ${load.requests.total} requests (${Math.round(load.requests.average)}/s), ${load.errors} errors, ${JSON.stringify(statuses)}`,
  );
  return probe.latency.p99;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sociox-bench-'));
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000000',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForServer();
    const register = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench password', name: 'Bench' }),
    });
    const token = ((await register.json()) as { token: string }).token;

    console.log(line('/healthz alone', await healthz(3)));
    const deep = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
    const p99 = await flood(`${CONNECTIONS} conns of depth-${DEPTH} bodies`, deep, token);
    await flood(`${CONNECTIONS} conns of {"x":1} bodies`, '{"x":1}', token);
    console.log(p99 < 20 ? `OK: /healthz p99 ${p99} ms < 20 ms under the deep-body flood` : `OVER TARGET: /healthz p99 ${p99} ms >= 20 ms`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
