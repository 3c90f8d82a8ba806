/**
 * `npm run bench`: every target of issue 10 against its reference, in one run on this machine,
 * printed as one table with the ratios and a last line saying which targets hold. Not a test.
 *
 *   npm run bench                                   # embedded PGlite (DATABASE_URL unset)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench   # a PostgreSQL server
 *   npm run bench -- --seconds 3 --skip-million --only reads,plans --json /tmp/bench.json
 *
 * Options: --embedded (even with DATABASE_URL set), --seconds N per autocannon target (default 8,
 * after a 2 s warm-up), --only reads,plans,login,admin,start,memory,renewal, --skip-million (no
 * 1,000,000-user seed), --memory-seconds N (mixed load before reading RSS, default 60),
 * --admin-connections N (default 10), --json <path>, --max-minutes N (the whole run, default 30),
 * --rounds N (default 3: the plan list and hello, login and argon2 verify, /healthz under 50
 * logins, the start by npm, and the admin list's four queries at both sizes are measured in rounds
 * and compared by their medians).
 *
 * What it does: builds once (`npm run build`), seeds the service's database itself (PGlite in a
 * temp DATA_DIR, or a throw-away database on the server, dropped at the end) with set-based SQL,
 * then starts the service as users run it (`node dist/main.js`, NODE_ENV=production, default
 * LOG_LEVEL and password-hash cost; the credential rate limit on but configured high, since all load
 * comes from 127.0.0.1), the limit skeleton (bench/skeleton.ts) and Fastify hello (bench/hello.ts)
 * each as its own process, and loads them with autocannon from this process. Phases: 10,000 users
 * (copied for later), grown to 100,000 (start, reads, plans, login, memory), grown to 1,000,000
 * (the admin list, in turns with a service on the 10k copy); on PostgreSQL, bench/renewals.ts last. Children, databases and temp dirs are removed
 * on every way out (end, error, Ctrl-C, the time limit).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { verify } from '@node-rs/argon2';
import type autocannon from 'autocannon';
import pg from 'pg';
import { startCommand } from '../scripts/start-command.mjs';
import type { Db } from '../src/db/index.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import { cannon, cannonApart, describe, type Load, type LoadOptions, measure } from './lib/load.js';
import {
  type Child,
  cleanupAll,
  freePort,
  installExitHandlers,
  memoryOf,
  onCleanup,
  removeDir,
  run,
  start,
  stop,
  waitHttp,
} from './lib/procs.js';
import { emailOf, isActive, PASSWORD, productionHash, READER, seedReader, seedUsers, vacuumAnalyze } from './lib/seed.js';
import { skeletonToken } from './lib/skeleton-users.js';
import { type Row, render, verdict } from './lib/table.js';

const ROOT = resolve(import.meta.dirname, '..');
const TARGETS = ['reads', 'plans', 'login', 'admin', 'start', 'memory', 'renewal'] as const;
type Target = (typeof TARGETS)[number];

// ---------------------------------------------------------------- options

const { values: opt } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
    'skip-million': { type: 'boolean', default: false },
    'memory-seconds': { type: 'string', default: '60' },
    'admin-connections': { type: 'string', default: '10' },
    json: { type: 'string' },
    'max-minutes': { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(
    'npm run bench -- [--embedded] [--seconds 8] [--warmup 2] [--only reads,plans,login,admin,start,memory,renewal] [--skip-million] [--memory-seconds 60] [--admin-connections 10] [--rounds 3] [--json path] [--max-minutes 30]',
  );
  process.exit(0);
}
const positive = (name: string, raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, got ${raw}`);
  return n;
};
const SECONDS = positive('seconds', opt.seconds);
const WARMUP = positive('warmup', opt.warmup);
const MEMORY_SECONDS = positive('memory-seconds', opt['memory-seconds']);
const ADMIN_CONNECTIONS = Math.max(1, Math.round(positive('admin-connections', opt['admin-connections'])));
const MAX_MINUTES = positive('max-minutes', opt['max-minutes']);
/** the plan list and Fastify hello are measured in alternating rounds, and compared by their medians */
const ROUNDS = Math.max(1, Math.round(positive('rounds', opt.rounds)));
const SERVER_URL = opt.embedded ? null : process.env.DATABASE_URL?.trim() || null;
const KIND: 'pglite' | 'postgres' = SERVER_URL ? 'postgres' : 'pglite';
const only = opt.only ? new Set(opt.only.split(',').map((s) => s.trim())) : null;
for (const name of only ?? []) {
  if (!(TARGETS as readonly string[]).includes(name)) throw new Error(`--only: unknown target "${name}" (one of ${TARGETS.join(', ')})`);
}
const selected = (t: Target) => !only || only.has(t);

const CONNECTIONS = 100;
const USERS = 100_000;
const ADMIN_SMALL = 10_000;
const ADMIN_LARGE = 1_000_000;
/** users logged in by the login targets (round robin) and by the mixed load */
const LOGIN_USERS = Array.from({ length: 10 }, (_, k) => 1 + k).filter(isActive);
const MIXED_USERS = Array.from({ length: 20 }, (_, k) => 201 + k).filter(isActive);
const JSON_HEADERS = { 'content-type': 'application/json' };

const log = (s: string) => console.log(s);
const rows: Row[] = [];
const seedTimes: { users: number; seconds: number }[] = [];

// ---------------------------------------------------------------- the run's places

const tmp = mkdtempSync(join(tmpdir(), 'sociox-bench-'));
const logs = join(tmp, 'logs');
mkdirSync(logs);
const dataDir = join(tmp, 'data');
const jwtSecret = randomBytes(32).toString('hex');
const keyEncryptionSecret = randomBytes(32).toString('hex');
const skeletonSecret = randomBytes(32).toString('hex');
const admin = { email: 'bench.admin@example.com', password: randomBytes(12).toString('hex') };

let serviceDbUrl: string | null = null;
let skeletonDbUrl: string | null = null;

async function onServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL!, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function dbUrl(name: string): string {
  const url = new URL(SERVER_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createDatabases(): Promise<void> {
  if (!SERVER_URL) return;
  const name = `sociox_bench_${randomBytes(4).toString('hex')}`;
  for (const db of [name, `${name}_skel`]) {
    await onServer((c) => c.query(`create database ${db}`));
    onCleanup(`drop database ${db}`, () => onServer((c) => c.query(`drop database if exists ${db} with (force)`)).then(() => {}));
  }
  serviceDbUrl = dbUrl(name);
  skeletonDbUrl = dbUrl(`${name}_skel`);
}

/** The service's database, opened by the bench (the service is stopped) to migrate and seed it. */
async function openServiceDb(): Promise<Db> {
  // seeding inserts 90k–900k rows a statement: no request's 3 s statement limit (DATABASE_QUERY_TIMEOUT_MS)
  return serviceDbUrl ? openPostgres(serviceDbUrl, { max: 2, queryTimeoutMs: 600_000 }) : openPglite({ dataDir: join(dataDir, 'pgdata') });
}

/**
 * A copy of the service's data as it is now (the service stopped): the 10k side of the admin
 * rounds, run beside the 1M database. On the server a database made from it as a template, in the
 * embedded case a copy of the data directory; both removed with the run.
 */
async function snapshotData(label: string): Promise<Where> {
  if (serviceDbUrl) {
    const from = new URL(serviceDbUrl).pathname.slice(1);
    const name = `${from}_${label}`;
    await onServer((c) => c.query(`create database ${name} template ${from}`));
    onCleanup(`drop database ${name}`, () => onServer((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}));
    return { url: dbUrl(name), dir: dataDir };
  }
  const dir = join(tmp, `data-${label}`);
  await cp(dataDir, dir, { recursive: true });
  return { url: null, dir };
}

// ---------------------------------------------------------------- the service

/** The variables of README's configuration table: none leaks in from the shell running the bench. */
const SERVICE_VARS = [
  'PORT',
  'HOST',
  'NODE_ENV',
  'DATA_DIR',
  'DATABASE_URL',
  'SMTP_URL',
  'MAIL_FROM',
  'APP_URL',
  'JWT_SECRET',
  'KEY_ENCRYPTION_SECRET',
  'ACCESS_TOKEN_TTL',
  'SESSION_IDLE_TTL',
  'SESSION_MAX_TTL',
  'TOKEN_AUDIENCE',
  'TOKEN_TTL',
  'REAUTH_WINDOW',
  'SUPERADMIN_EMAIL',
  'SUPERADMIN_PASSWORD',
  'JOBS_INTERVAL_MS',
  'DEFAULT_TEAM_MEMBERS',
  'LOGIN_MAX_FAILURES',
  'LOGIN_MAX_FAILURES_PER_ACCOUNT',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_STORE',
  'TRUST_PROXY',
  'LOG_LEVEL',
  'FORGOT_PASSWORD_MIN_MS',
  'PASSWORD_HASH_MEMORY_KIB',
  'PASSWORD_HASH_ITERATIONS',
];

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SERVICE_VARS) delete env[k];
  return env;
}

/** Where a service keeps its data: a database on the server, or a DATA_DIR. */
interface Where {
  url: string | null;
  dir: string;
}
const mainData = (): Where => ({ url: serviceDbUrl, dir: dataDir });

function serviceEnv(port: number, where: Where = mainData()): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    JWT_SECRET: jwtSecret,
    KEY_ENCRYPTION_SECRET: keyEncryptionSecret,
    // the tokens' issuer: fixed, as in any deployment (unset, it would follow each start's port, and
    // a token from one start of the service would not be this service's to the next)
    APP_URL: 'http://bench.localhost',
    // every request comes from 127.0.0.1: the per-IP credential limit stays on, set above the load
    RATE_LIMIT_PER_MINUTE: '100000000',
    SUPERADMIN_EMAIL: admin.email,
    SUPERADMIN_PASSWORD: admin.password,
    ...(where.url ? { DATABASE_URL: where.url } : { DATA_DIR: where.dir }),
  };
}

interface Service {
  child: Child;
  base: string;
  readyMs: number;
}

/** The Node flags and environment `npm start` runs with, so `node dist/main.js` here runs as npm start does. */
const { nodeFlags: START_NODE_FLAGS, env: START_ENV } = startCommand();

let starts = 0;
async function startService(how: 'node' | 'npm', label: string, where: Where = mainData()): Promise<Service> {
  const port = await freePort();
  const logFile = join(logs, `${String(++starts).padStart(2, '0')}-${label}.log`);
  const t0 = performance.now();
  const child =
    how === 'npm'
      ? start(label, 'npm', ['start'], { env: serviceEnv(port, where), cwd: ROOT, log: logFile })
      : start(label, process.execPath, [...START_NODE_FLAGS, 'dist/main.js'], {
          env: { ...serviceEnv(port, where), ...START_ENV },
          cwd: ROOT,
          log: logFile,
        });
  const base = `http://127.0.0.1:${port}`;
  const readyMs = await waitHttp(`${base}/readyz`, { child, since: t0, timeoutMs: 120_000 });
  return { child, base, readyMs };
}

async function withService<T>(label: string, fn: (s: Service) => Promise<T>, where: Where = mainData()): Promise<T> {
  const service = await startService('node', label, where);
  try {
    return await fn(service);
  } finally {
    await stop(service.child);
  }
}

async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: T; headers: Headers; text: string; bytes: number }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined ? {} : JSON_HEADERS), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    json = {} as T;
  }
  return { status: res.status, json, headers: res.headers, text, bytes: Buffer.byteLength(text) };
}

async function login(base: string, email: string, path = '/api/v1/auth/login', password = PASSWORD): Promise<string> {
  const r = await call<{ token?: string }>(base, 'POST', path, { email, password });
  if (r.status !== 200 || !r.json.token) throw new Error(`${path} as ${email}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.token;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

// ---------------------------------------------------------------- seeding

let seeded = 0;
let passwordHash = '';

async function seedTo(n: number): Promise<void> {
  if (n <= seeded) return;
  log(`seeding the service's database (${KIND}): ${seeded.toLocaleString('en-US')} → ${n.toLocaleString('en-US')} users`);
  const t = performance.now();
  const db = await openServiceDb();
  try {
    await migrate(db);
    if (seeded === 0) await seedReader(db, passwordHash);
    await seedUsers(db, seeded, n, passwordHash, log);
    await vacuumAnalyze(db, log);
  } finally {
    await db.close();
  }
  const seconds = (performance.now() - t) / 1000;
  seedTimes.push({ users: n, seconds });
  log(`  seeded to ${n.toLocaleString('en-US')} users in ${seconds.toFixed(1)} s`);
  seeded = n;
}

// ---------------------------------------------------------------- what the first start sets up

interface Fixtures {
  adminToken: string;
  readerToken: string;
  planIds: string[];
}

const PLANS = [
  { name: 'Free', monthly: 0, yearly: 0, teamMembers: 1, category: 'personal' },
  { name: 'Starter', monthly: 9.99, yearly: 99.9, teamMembers: 3, category: 'personal' },
  { name: 'Pro', monthly: 29.99, yearly: 299.9, teamMembers: 10, category: 'business' },
  { name: 'Business', monthly: 99, yearly: 990, teamMembers: 50, category: 'business' },
];

async function fixtures(base: string): Promise<Fixtures> {
  const adminToken = await login(base, admin.email, '/api/v1/admin/login', admin.password);
  const planIds: string[] = [];
  for (const p of PLANS) {
    const r = await call<{ data?: { id: string } }>(
      base,
      'POST',
      '/api/v1/admin/plans',
      {
        name: p.name,
        displayName: `${p.name} plan`,
        price: { monthly: { amount: p.monthly, currency: 'USD' }, yearly: { amount: p.yearly, currency: 'USD', savings: p.monthly * 2 } },
        features: {
          socialAccounts: { total: p.teamMembers * 3, perPlatform: { x: p.teamMembers, linkedin: p.teamMembers } },
          teamMembers: p.teamMembers,
          posting: { postsPerDay: p.teamMembers * 10, bulkScheduling: p.monthly > 0, autoScheduling: p.monthly > 20 },
          analytics: { reportTypes: ['engagement', 'reach'], exportFormats: ['csv'], retentionDays: 30 },
          support: p.monthly > 20 ? 'priority' : 'email',
        },
        customFeatures: [`${p.name} onboarding`],
        recommended: p.name === 'Pro',
        category: p.category,
      },
      adminToken,
    );
    if (r.status !== 201 || !r.json.data) throw new Error(`creating plan ${p.name}: ${r.status} ${JSON.stringify(r.json)}`);
    planIds.push(r.json.data.id);
  }
  return { adminToken, readerToken: await login(base, READER.email), planIds };
}

// ---------------------------------------------------------------- targets

function failed(id: string, target: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`  ${target} FAILED: ${message}`);
  rows.push({ id, target: `${target}: failed`, holds: false, counted: true, note: message.split('\n')[0] });
}

async function section(id: string, target: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    failed(id, target, err);
  }
}

/** Answers arrived, and all of them 2xx without errors. */
const clean = (l: Load) => l.total > 0 && l.non2xx === 0 && l.errors === 0;

/**
 * Waits until the service has worked off what the last load left queued (requests autocannon
 * stopped waiting for still hold the database): /readyz goes through the same pool or PGlite
 * queue, so it answers fast only once the backlog is gone. Every measurement starts from an idle
 * machine, whoever is measured next.
 */
async function settle(service: Service, timeoutMs = 180_000): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const t = performance.now();
    try {
      const res = await fetch(`${service.base}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
    } catch {
      /* counted as slow */
    }
    if (performance.now() - t < 50) break;
    if (performance.now() - t0 > timeoutMs) {
      log(`  (the service was still busy after ${timeoutMs / 1000} s: measuring anyway)`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const waited = performance.now() - t0;
  if (waited > 1_000) log(`  (waited ${(waited / 1000).toFixed(1)} s for the service to work off the previous load)`);
}

/** A measured load on the service: settle, warm up, settle again (what the warm-up left queued), measure. */
async function measureService(service: Service, options: LoadOptions, seconds = SECONDS): Promise<Load> {
  await settle(service);
  if (WARMUP > 0) {
    await cannon(options, WARMUP);
    await settle(service);
  }
  return cannon(options, seconds);
}

async function reads(service: Service, fx: Fixtures): Promise<void> {
  log(`\n== authenticated reads vs the limit skeleton (${KIND}), ${CONNECTIONS} connections`);
  const port = await freePort();
  const env = {
    ...cleanEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: skeletonSecret,
    SKELETON_USERS: String(USERS),
    ...(skeletonDbUrl ? { SKELETON_DATABASE_URL: skeletonDbUrl } : { SKELETON_DATA_DIR: join(tmp, 'skeleton-pgdata') }),
  };
  const t = performance.now();
  const seeding = await run('skeleton-seed', process.execPath, ['--import', 'tsx', 'bench/skeleton.ts', '--seed-only'], {
    env,
    cwd: ROOT,
    log: join(logs, 'skeleton-seed.log'),
    timeoutMs: 300_000,
  });
  if (seeding.code !== 0) throw new Error(`seeding the skeleton failed (${seeding.code}): ${seeding.output.slice(-1000)}`);
  log(`  skeleton's database seeded with ${USERS.toLocaleString('en-US')} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const skeleton = start('skeleton', process.execPath, ['--import', 'tsx', 'bench/skeleton.ts'], {
    env,
    cwd: ROOT,
    log: join(logs, 'skeleton.log'),
  });
  let reference: Load;
  try {
    const url = `http://127.0.0.1:${port}/me`;
    // a 401 without a token: it listens
    await waitHttp(url, { child: skeleton, timeoutMs: 300_000, everyMs: 200, accept: (s) => s === 401 });
    const headers = auth(await skeletonToken(skeletonSecret, 4242));
    const probe = await fetch(url, { headers });
    if (probe.status !== 200) throw new Error(`the skeleton answered ${probe.status} to a valid token`);
    await settle(service);
    reference = await measure({ url, connections: CONNECTIONS, headers }, SECONDS, WARMUP);
    log(describe('limit skeleton GET /me', reference));
  } finally {
    await stop(skeleton);
  }
  for (const path of ['/api/profile', '/api/users/details', '/api/notifications']) {
    const probe = await call(service.base, 'GET', path, undefined, fx.readerToken);
    if (probe.status !== 200) log(`  note: ${path} answered ${probe.status} before the load: ${JSON.stringify(probe.json).slice(0, 200)}`);
    const l = await measureService(service, { url: service.base + path, connections: CONNECTIONS, headers: auth(fx.readerToken) });
    log(describe(`GET ${path}`, l));
    const ratio = l.rps / reference.rps;
    rows.push({
      id: `read ${path}`,
      target: `GET ${path} (user token)`,
      load: l,
      reference: { label: `skeleton (${KIND})`, load: reference },
      value: ratio.toFixed(2),
      goal: '≥ 0.90',
      holds: ratio >= 0.9 && clean(l),
      counted: true,
      note: clean(l) ? undefined : `${l.non2xx} non-2xx ${JSON.stringify(l.statuses)}, ${l.errors} errors`,
    });
  }
}

/** The middle value (the lower middle of an even count). */
function median<T>(items: T[], by: (t: T) => number): T {
  const sorted = [...items].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function plans(service: Service): Promise<void> {
  log(`\n== public plan list vs Fastify hello, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds`);
  const path = '/api/v1/subscription/plans';
  const first = await call<{ data?: unknown[] }>(service.base, 'GET', path);
  if (first.status !== 200) throw new Error(`${path} answered ${first.status}`);
  // the plan list's own answer, for hello to serve as is: what an answer of this size and these
  // headers costs a server that does nothing else (the load generator reads it, the kernel copies it)
  const answerFile = join(tmp, 'plan-list-answer.json');
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  writeFileSync(
    answerFile,
    JSON.stringify({ headers: Object.fromEntries([...first.headers].filter(([k]) => !skip.has(k))), body: first.text }),
  );
  const port = await freePort();
  const hello = start('hello', process.execPath, ['--import', 'tsx', 'bench/hello.ts'], {
    env: { ...cleanEnv(), PORT: String(port), HOST: '127.0.0.1', ANSWER_FILE: answerFile },
    cwd: ROOT,
    log: join(logs, 'hello.log'),
  });
  // One run of each says more about the machine's mood in that run than about the two servers
  // (identical back-to-back runs differed by up to 40% here): hello and the plan list take turns,
  // the idle one waiting, and the ratio is of the medians.
  const helloRuns: Load[] = [];
  const answerRuns: Load[] = [];
  const serviceRuns: Load[] = [];
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitHttp(url, { child: hello, timeoutMs: 60_000 });
    for (let round = 1; round <= ROUNDS; round++) {
      await settle(service);
      helloRuns.push(await measure({ url, connections: CONNECTIONS }, SECONDS, WARMUP));
      answerRuns.push(await measure({ url: `${url}answer`, connections: CONNECTIONS }, SECONDS, WARMUP));
      serviceRuns.push(await measureService(service, { url: service.base + path, connections: CONNECTIONS }));
      const [h, a, s] = [helloRuns, answerRuns, serviceRuns].map((runs) => runs.at(-1)!.rps);
      log(
        `  round ${round}: hello ${Math.round(h!)} req/s, hello with the plan list's answer ${Math.round(a!)}, ` +
          `plan list ${Math.round(s!)} (${(s! / h!).toFixed(2)} of hello, ${(s! / a!).toFixed(2)} of the same answer)`,
      );
    }
  } finally {
    await stop(hello);
  }
  const reference = median(helloRuns, (l) => l.rps);
  const sameAnswer = median(answerRuns, (l) => l.rps);
  const l = median(serviceRuns, (x) => x.rps);
  log(describe(`Fastify hello GET / (median of ${ROUNDS})`, reference));
  log(describe(`Fastify hello GET /answer, the plan list's answer (median of ${ROUNDS})`, sameAnswer));
  log(describe(`GET ${path} (${first.json.data?.length ?? '?'} plans, ${first.bytes} bytes; median of ${ROUNDS})`, l));
  const ratio = l.rps / reference.rps;
  const all = serviceRuns.every(clean);
  rows.push({
    id: 'plans',
    target: `GET ${path}`,
    load: l,
    reference: { label: 'Fastify hello', load: reference },
    value: ratio.toFixed(2),
    goal: '≥ 0.50',
    holds: ratio >= 0.5 && all,
    counted: true,
    note: `medians of ${ROUNDS} alternating rounds; each round's ratio ${serviceRuns.map((x, i) => (x.rps / helloRuns[i]!.rps).toFixed(2)).join(', ')}`,
  });
  rows.push({
    id: 'plans floor',
    target: `Fastify hello answering the plan list's ${first.bytes} bytes`,
    load: sameAnswer,
    reference: { label: 'Fastify hello', load: reference },
    value: (sameAnswer.rps / reference.rps).toFixed(2),
    holds: null,
    counted: false,
    note: `information: the floor an answer of this size sets on this machine; the plan list reads ${(l.rps / sameAnswer.rps).toFixed(2)} of it (medians of ${ROUNDS} alternating rounds)`,
  });
  const etag = first.headers.get('etag');
  if (!etag) {
    log('  no ETag on the plan list: If-None-Match not measured');
    rows.push({
      id: 'plans 304',
      target: `GET ${path} + If-None-Match`,
      value: 'no ETag',
      goal: '304 for all',
      holds: false,
      counted: true,
    });
    return;
  }
  const c = await measureService(service, { url: service.base + path, connections: CONNECTIONS, headers: { 'if-none-match': etag } });
  log(describe(`GET ${path} + If-None-Match ${etag}`, c));
  const not304 = c.total - (c.statuses['304'] ?? 0);
  const all304 = not304 === 0 && c.total > 0 && c.errors === 0;
  rows.push({
    id: 'plans 304',
    target: `GET ${path} + If-None-Match`,
    load: c,
    reference: { label: 'Fastify hello', load: reference },
    value: (c.rps / reference.rps).toFixed(2),
    goal: '304 for all',
    holds: all304,
    counted: true,
    unexpected: not304,
    note: `the non-2xx column counts answers other than 304 here; statuses ${JSON.stringify(c.statuses)}`,
  });
}

function loginRequests(users: number[]): autocannon.Request[] {
  return users.map((i) => ({
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: JSON_HEADERS,
    body: JSON.stringify({ email: emailOf(i), password: PASSWORD }),
  }));
}

async function logins(service: Service): Promise<void> {
  log(`\n== login: argon2id verify, login p50 (${ROUNDS} alternating rounds), /healthz during 50 concurrent logins`);
  const verifyOnce = async () => {
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      const t = performance.now();
      if (!(await verify(passwordHash, PASSWORD))) throw new Error('argon2 verify of the seeded hash failed');
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return (times[9]! + times[10]!) / 2;
  };
  // argon2 alone (in the bench process) and the login take turns: the verify time swung 5.9–8.3 ms
  // between runs of the bench here, and the target is the one plus 5 ms
  const requests = loginRequests(LOGIN_USERS);
  const verifies: number[] = [];
  const singles: Load[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    verifies.push(await verifyOnce());
    singles.push(await measureService(service, { url: service.base, connections: 1, requests }));
    log(`  round ${round}: argon2id verify median of 20 ${verifies.at(-1)!.toFixed(1)} ms, login p50 ${singles.at(-1)!.p50} ms`);
  }
  const verifyMs = median(verifies, (x) => x);
  const single = median(singles, (l) => l.p50);
  log(`  argon2id verify (m=19456 KiB, t=2, p=1), median of ${ROUNDS} rounds in the bench process: ${verifyMs.toFixed(1)} ms`);
  rows.push({
    id: 'argon2',
    target: 'argon2id verify alone (m=19456,t=2)',
    value: `${verifyMs.toFixed(1)} ms`,
    holds: null,
    counted: false,
  });
  log(describe(`POST /api/v1/auth/login, 1 connection (median p50 of ${ROUNDS})`, single));
  const limit = verifyMs + 5;
  rows.push({
    id: 'login p50',
    target: 'POST /api/v1/auth/login, 1 connection',
    load: single,
    reference: { label: 'argon2 verify + 5 ms' },
    value: `${single.p50} ms`,
    goal: `p50 ≤ ${limit.toFixed(1)} ms`,
    holds: single.p50 <= limit && singles.every(clean),
    counted: true,
    note:
      ROUNDS > 1
        ? `medians of ${ROUNDS} alternating rounds: verify ${verifies.map((v) => v.toFixed(1)).join(', ')} ms; login p50 ${singles.map((l) => l.p50).join(', ')} ms`
        : undefined,
  });

  await settle(service);
  if (WARMUP > 0) await cannon({ url: service.base, connections: 50, requests }, WARMUP);
  // no settle here or between the rounds: the logins left queued are part of the load the probe
  // must get through. ROUNDS rounds, the one with the median p99 kept (a single 8 s run read 32 ms
  // once where every other run had read 8–13: a hiccup of the host is a few of its 800 answers).
  const probes: { concurrent: Load; probe: Load }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const [concurrentRun, probeRun] = await Promise.all([
      cannon({ url: service.base, connections: 50, requests }, SECONDS),
      // the probe from a process of its own (bench/lib/load.ts cannonApart says why)
      cannonApart({ url: `${service.base}/healthz`, connections: 1, overallRate: 100 }, SECONDS),
    ]);
    log(describe(`POST /api/v1/auth/login, 50 connections (round ${round})`, concurrentRun));
    log(describe(`GET /healthz at 100 req/s meanwhile (round ${round})`, probeRun));
    probes.push({ concurrent: concurrentRun, probe: probeRun });
  }
  const { concurrent, probe } = median(probes, (r) => r.probe.p99);
  const allClean = probes.every((r) => clean(r.concurrent) && clean(r.probe));
  rows.push({
    id: 'login 50',
    target: 'POST /api/v1/auth/login, 50 connections',
    load: concurrent,
    value: `p50 ${concurrent.p50} ms`,
    holds: null,
    counted: false,
    note: 'information: with 2 cores, 50 concurrent argon2 hashes queue; the login target is the 1-connection p50',
  });
  rows.push({
    id: 'healthz',
    target: '/healthz 100 req/s during 50 logins',
    load: probe,
    value: `${probe.p99} ms`,
    goal: 'p99 ≤ 20 ms',
    holds: probe.p99 <= 20 && allClean,
    counted: true,
    note:
      [
        ROUNDS > 1 ? `median of ${ROUNDS} rounds: p99 ${probes.map((r) => r.probe.p99).join(', ')} ms` : '',
        allClean
          ? ''
          : `not all answers 2xx: ${probes.map((r) => `logins ${JSON.stringify(r.concurrent.statuses)}/${r.concurrent.errors}, probe ${JSON.stringify(r.probe.statuses)}/${r.probe.errors}`).join('; ')}`,
      ]
        .filter(Boolean)
        .join('; ') || undefined,
  });
}

interface AdminRun {
  users: number;
  loads: Map<string, Load>;
}
const ADMIN_VARIANTS = ['list', 'search', 'status', 'cursor'] as const;
type AdminVariant = (typeof ADMIN_VARIANTS)[number];

/** A service on a database of `users` users, for the admin list's rounds. */
interface AdminSide {
  users: number;
  service: Service;
}

/** The four queries' paths on one service; the cursor is the next_cursor of that service's own first page. */
async function adminPaths(service: Service, fx: Fixtures): Promise<Record<AdminVariant, string>> {
  const term = emailOf(4242).split('@')[0]!.split('.').slice(1).join('.');
  const list = '/api/v1/admin/users?limit=20';
  const first = await call<{ meta?: { next_cursor?: string | null } }>(service.base, 'GET', list, undefined, fx.adminToken);
  if (first.status !== 200) throw new Error(`${list} answered ${first.status}: ${JSON.stringify(first.json).slice(0, 200)}`);
  const cursor = first.json.meta?.next_cursor;
  if (!cursor) throw new Error(`${list} gave no meta.next_cursor`);
  return {
    list,
    search: `/api/v1/admin/users?limit=20&search=${encodeURIComponent(term)}`,
    status: '/api/v1/admin/users?limit=20&status=deactivated',
    cursor: `/api/v1/admin/users?limit=20&cursor=${encodeURIComponent(cursor)}`,
  };
}

/**
 * The four queries on every side for ROUNDS rounds. Within a round each query runs on the sides
 * back to back (which side goes first alternates between rounds), so the 1M ÷ 10k ratio compares
 * runs seconds apart: measured minutes apart, the two sizes had also measured the host's drift (in
 * one run every query at 1M was 1.3–1.6× its 10k figure, the keyset cursor page too, whose work
 * does not grow with the table). Each side keeps, per query, the round with the median p99.
 */
async function adminLoads(sides: AdminSide[], fx: Fixtures): Promise<AdminRun[]> {
  const size = (n: number) => n.toLocaleString('en-US');
  log(`\n== admin user list at ${sides.map((s) => size(s.users)).join(' and ')} users, ${ADMIN_CONNECTIONS} connections`);
  const paths = await Promise.all(sides.map((s) => adminPaths(s.service, fx)));
  const runs = sides.map(() => new Map<AdminVariant, Load[]>(ADMIN_VARIANTS.map((v) => [v, []])));
  for (let round = 1; round <= ROUNDS; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    for (const v of ADMIN_VARIANTS) {
      for (const i of order) {
        const side = sides[i]!;
        const path = paths[i]![v];
        const l = await measureService(side.service, {
          url: side.service.base + path,
          connections: ADMIN_CONNECTIONS,
          headers: auth(fx.adminToken),
        });
        log(describe(`${v} @${size(side.users)} (round ${round}): GET ${path.slice(0, 80)}`, l));
        runs[i]!.get(v)!.push(l);
      }
    }
  }
  return sides.map((side, i) => {
    const loads = new Map<string, Load>();
    for (const v of ADMIN_VARIANTS) {
      const all = runs[i]!.get(v)!;
      const chosen = median(all, (l) => l.p99);
      // non-2xx or errors in any round are kept visible
      loads.set(v, { ...chosen, non2xx: Math.max(...all.map((l) => l.non2xx)), errors: Math.max(...all.map((l) => l.errors)) });
      if (ROUNDS > 1)
        log(`  ${v} @${size(side.users)}: p99 of the rounds ${all.map((l) => l.p99).join(', ')} ms → median ${chosen.p99} ms`);
    }
    return { users: side.users, loads };
  });
}

const ANALYTICS = ['signups?days=30', 'accounts', 'subscriptions', 'revenue', 'upcoming?days=7'] as const;

/**
 * The dashboard's five aggregates (issue 13), each asked 10 times one after another by the admin:
 * the median and the slowest, printed for information at 10k and 1M users (one SQL statement each;
 * on the embedded database the statement runs on the service's own thread).
 */
async function analyticsTimes(service: Service, fx: Fixtures, users: number): Promise<void> {
  log(`\n== admin analytics at ${users.toLocaleString('en-US')} users, 10 requests each, one at a time`);
  for (const name of ANALYTICS) {
    const path = `/api/v1/admin/analytics/${name}`;
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const r = await call(service.base, 'GET', path, undefined, fx.adminToken);
      if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.json).slice(0, 200)}`);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const median = times[5]!;
    const max = times[9]!;
    log(`  GET ${path}: median ${median.toFixed(1)} ms, slowest ${max.toFixed(1)} ms`);
    rows.push({
      id: 'analytics',
      target: `GET /api/v1/admin/analytics/${name} @${users.toLocaleString('en-US')}`,
      value: `${median.toFixed(1)} ms (max ${max.toFixed(0)})`,
      goal: 'reported',
      holds: null,
      counted: false,
    });
  }
}

function adminRows(small: AdminRun | null, large: AdminRun | null, why: string | null): void {
  for (const v of ADMIN_VARIANTS) {
    const s = small?.loads.get(v);
    const l = large?.loads.get(v);
    const label = { list: '?limit=20', search: '?search=<email part>', status: '?status=deactivated', cursor: '?cursor=<next_cursor>' }[v];
    if (!s || !l) {
      rows.push({
        id: `admin ${v}`,
        target: `admin users ${label}`,
        load: l,
        reference: s ? { label: `${small!.users.toLocaleString('en-US')} users`, load: s } : undefined,
        value: why ?? 'not measured',
        goal: 'p99 1M ≤ 1.5 × 10k',
        holds: null,
        counted: true,
      });
      continue;
    }
    const ratio = l.p99 / Math.max(s.p99, 1);
    rows.push({
      id: `admin ${v}`,
      target: `admin users ${label} @${large!.users.toLocaleString('en-US')}`,
      load: l,
      reference: { label: `${small!.users.toLocaleString('en-US')} users`, load: s },
      value: l.total === 0 ? `no answer in ${SECONDS} s` : ratio.toFixed(2),
      goal: '≤ 1.50 (p99)',
      holds: ratio <= 1.5 && clean(l) && clean(s),
      counted: true,
      note:
        [
          clean(l) && clean(s)
            ? ''
            : `non-2xx/errors: 10k ${JSON.stringify(s.statuses)}/${s.errors}, 1M ${JSON.stringify(l.statuses)}/${l.errors}`,
          l.total < 10 * ADMIN_CONNECTIONS
            ? `at 1M only ${l.total} answers (${l.unanswered} still waiting at the end): the p99 counts answered requests only, so it understates`
            : '',
        ]
          .filter(Boolean)
          .join('; ') || undefined,
    });
  }
}

async function startTimes(): Promise<Service> {
  log('\n== start with an existing data directory: time until /readyz answers 200');
  if (selected('start')) {
    await section('start', 'npm start', async () => {
      // ROUNDS starts, the median kept: one start read 1.52 s where the run before had read 0.97
      // (npm's own start-up is most of the spread on a busy host)
      const times: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const s = await startService('npm', 'npm-start');
        await stop(s.child);
        times.push(s.readyMs);
        log(`  npm start → /readyz 200 after ${(s.readyMs / 1000).toFixed(2)} s (start ${round})`);
      }
      const readyMs = median(times, (t) => t);
      rows.push({
        id: 'start',
        target: 'npm start → /readyz 200',
        value: `${(readyMs / 1000).toFixed(2)} s`,
        goal: '≤ 1.5 s',
        holds: readyMs <= 1500,
        counted: true,
        note: ROUNDS > 1 ? `median of ${ROUNDS} starts: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s` : undefined,
      });
    });
  }
  const s = await startService('node', 'service');
  log(`  node dist/main.js → /readyz 200 after ${(s.readyMs / 1000).toFixed(2)} s`);
  if (selected('start')) {
    rows.push({
      id: 'start node',
      target: 'node dist/main.js → /readyz 200',
      value: `${(s.readyMs / 1000).toFixed(2)} s`,
      holds: null,
      counted: false,
    });
  }
  return s;
}

async function memory(fx: Fixtures): Promise<void> {
  const limit = KIND === 'postgres' ? 150 : 200;
  log(`\n== memory: RSS after ${MEMORY_SECONDS} s of mixed load on a fresh process`);
  await withService('service-memory', async (service) => {
    const tokens: string[] = [];
    for (const i of MIXED_USERS) tokens.push(await login(service.base, emailOf(i)));
    for (const token of tokens) {
      const r = await call(service.base, 'POST', '/api/v1/users/subscribe', { planId: fx.planIds[1], billingCycle: 'monthly' }, token);
      if (r.status !== 200 && r.status !== 409) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    }
    const readRequests: autocannon.Request[] = tokens.flatMap((token) =>
      ['/api/profile', '/api/users/details', '/api/notifications', '/api/v1/users/subscription'].map((path) => ({
        method: 'GET' as const,
        path,
        headers: auth(token),
      })),
    );
    const subscriptionChanges: autocannon.Request[] = fx.planIds.flatMap((planId) =>
      tokens.map((token) => ({
        method: 'PUT' as const,
        path: '/api/v1/users/subscription',
        headers: { ...JSON_HEADERS, ...auth(token) },
        body: JSON.stringify({ planId }),
      })),
    );
    const orgWrites: autocannon.Request[] = tokens.map((token, k) => ({
      method: 'POST' as const,
      path: '/api/organisation',
      headers: { ...JSON_HEADERS, ...auth(token) },
      body: JSON.stringify({ name: `Team ${k} of the bench`, description: 'An organisation written by the mixed load' }),
    }));
    const url = service.base;
    // RSS each second of the load: V8's old generation fills with garbage between major collections,
    // so the figure at the end lands anywhere on that saw (on PostgreSQL 117–178 MiB over four runs)
    const samples: number[] = [];
    const sampler = setInterval(() => {
      const m = memoryOf(service.child.pid);
      if (m) samples.push(m.rssMb);
    }, 1_000);
    const [readsLoad, loginLoad, subLoad, orgLoad] = await Promise.all([
      cannon({ url, connections: 10, requests: readRequests }, MEMORY_SECONDS),
      cannon({ url, connections: 2, overallRate: 4, requests: loginRequests(MIXED_USERS) }, MEMORY_SECONDS),
      cannon({ url, connections: 2, overallRate: 10, requests: subscriptionChanges }, MEMORY_SECONDS),
      cannon({ url, connections: 2, overallRate: 10, requests: orgWrites }, MEMORY_SECONDS),
    ]);
    clearInterval(sampler);
    // the figure after the load: the same instant would also catch what is still in flight (a
    // login's argon2 holds 19 MiB until its hash ends: the PostgreSQL run of eda3169 read 151 MiB
    // there against 132 at most in every second of the load); both are printed
    const atEnd = memoryOf(service.child.pid);
    await new Promise((r) => setTimeout(r, 1_000));
    const mem = memoryOf(service.child.pid);
    log(describe('reads (profile, details, notifications, subscription)', readsLoad));
    log(describe('logins (4/s)', loginLoad));
    log(describe('PUT /api/v1/users/subscription (10/s)', subLoad));
    log(describe('POST /api/organisation (10/s)', orgLoad));
    if (!mem) throw new Error('could not read /proc/<pid>/status of the service');
    log(
      `  service RSS ${mem.rssMb.toFixed(0)} MiB 1 s after the load (${atEnd?.rssMb.toFixed(0) ?? '?'} as it ended; peak ${mem.peakMb.toFixed(0)} MiB)`,
    );
    const sorted = [...samples].sort((a, b) => a - b);
    const saw = sorted.length
      ? `RSS each second of the load: min ${sorted[0]!.toFixed(0)}, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)} MiB`
      : 'no RSS samples';
    log(`  ${saw}`);
    const others = [loginLoad, subLoad, orgLoad];
    const non2xx = others.reduce((n, l) => n + l.non2xx, 0);
    rows.push({
      id: 'memory',
      target: `RSS after ${MEMORY_SECONDS} s mixed load`,
      load: readsLoad,
      value: `${mem.rssMb.toFixed(0)} MiB (peak ${mem.peakMb.toFixed(0)})`,
      goal: `≤ ${limit} MiB`,
      holds: mem.rssMb <= limit,
      counted: true,
      note:
        `RSS 1 s after the load; ${atEnd?.rssMb.toFixed(0) ?? '?'} MiB as it ended; the req/s columns are the reads; writes: ${subLoad.total} subscription changes, ${orgLoad.total} organisations, ` +
        `${loginLoad.total} logins, ${non2xx} of them non-2xx ${JSON.stringify({ login: loginLoad.statuses, sub: subLoad.statuses, org: orgLoad.statuses })}; ${saw}`,
    });
  });
}

async function renewal(): Promise<void> {
  if (!SERVER_URL) {
    rows.push({ id: 'renewal', target: 'renewal of 100k due subscriptions', value: 'n/a (PostgreSQL only)', holds: null, counted: false });
    return;
  }
  log('\n== renewal: bench/renewals.ts (BENCH_SECONDS=1) on a throw-away database');
  const before = await onServer((c) => c.query<{ datname: string }>("select datname from pg_database where datname like 'sociox_bench_%'"));
  const known = new Set(before.rows.map((r) => r.datname));
  const result = await run('renewals', process.execPath, ['--import', 'tsx', 'bench/renewals.ts'], {
    env: { ...cleanEnv(), DATABASE_URL: SERVER_URL, BENCH_SECONDS: '1' },
    cwd: ROOT,
    log: join(logs, 'renewals.log'),
    timeoutMs: 600_000,
  });
  const m = /renewal pass: (\d+) renewed, (\d+) expired in ([\d.]+) s/.exec(result.output);
  if (result.code !== 0 || !m) {
    // killed before its own clean-up: drop the database it made (only one that was not there before)
    const after = await onServer((c) =>
      c.query<{ datname: string }>("select datname from pg_database where datname like 'sociox_bench_%'"),
    );
    for (const { datname } of after.rows) {
      if (!known.has(datname) && !datname.startsWith(new URL(serviceDbUrl!).pathname.slice(1))) {
        await onServer((c) => c.query(`drop database if exists ${datname} with (force)`));
      }
    }
    throw new Error(`bench/renewals.ts exited ${result.code}: ${result.output.trim().split('\n').slice(-5).join(' / ')}`);
  }
  const seconds = Number(m[3]);
  log(`  ${m[0]}`);
  rows.push({
    id: 'renewal',
    target: 'renewal pass, 100k due (PostgreSQL)',
    value: `${seconds.toFixed(2)} s`,
    goal: '≤ 10 s',
    holds: seconds <= 10 && Number(m[1]) === 100_000,
    counted: true,
    note: `${m[1]} renewed, ${m[2]} expired`,
  });
}

// ---------------------------------------------------------------- the run

async function git(args: string[]): Promise<string> {
  const logFile = join(logs, `git-${args[0]}.log`);
  const r = await run('git', 'git', args, { env: process.env, cwd: ROOT, log: logFile, timeoutMs: 10_000 });
  return r.code === 0 ? r.output.trim() : '';
}

async function main(): Promise<void> {
  installExitHandlers(MAX_MINUTES);
  onCleanup('temp dir', () => removeDir(tmp));
  const t0 = performance.now();
  const commit = (await git(['rev-parse', '--short', 'HEAD'])) || '(not a git checkout)';
  const dirty = (await git(['status', '--porcelain', '--', 'src'])) ? ' + uncommitted changes in src/' : '';
  log(
    `bench: ${KIND === 'postgres' ? `PostgreSQL (${new URL(SERVER_URL!).host})` : 'embedded PGlite'}, ${cpus().length} cores, ` +
      `Node ${process.version}, commit ${commit}${dirty}, ${SECONDS} s per target after ${WARMUP} s warm-up`,
  );

  log('building (npm run build)…');
  const tb = performance.now();
  const build = await run('build', 'npm', ['run', 'build', '--silent'], {
    env: cleanEnv(),
    cwd: ROOT,
    log: join(logs, 'build.log'),
    timeoutMs: 300_000,
  });
  if (build.code !== 0) throw new Error(`npm run build failed (${build.code}):\n${build.output.slice(-3000)}`);
  log(`  built in ${((performance.now() - tb) / 1000).toFixed(1)} s`);

  await createDatabases();
  passwordHash = await productionHash();

  // phase 1: 10,000 users. The first start bootstraps the superadmin; plans are created through the API.
  await seedTo(ADMIN_SMALL);
  const adminRun: { small?: AdminRun | undefined; large?: AdminRun | undefined } = {};
  const million = selected('admin') && !opt['skip-million'];
  const fx = await withService('service-10k', async (service) => {
    const f = await fixtures(service.base);
    if (selected('admin')) {
      await section('admin', 'admin list @10k', async () => {
        // with the million, the 10k side is measured then, in turns with it (adminLoads says why)
        if (!million) [adminRun.small] = await adminLoads([{ users: ADMIN_SMALL, service }], f);
        await analyticsTimes(service, f, ADMIN_SMALL);
      });
    }
    return f;
  });
  // the 10k database as it is now, for the admin rounds at 1M
  const small = million ? await snapshotData('10k') : null;

  // phase 2: 100,000 users
  if ((['start', 'reads', 'plans', 'login', 'memory'] as const).some(selected)) {
    await seedTo(USERS);
    const service = await startTimes();
    try {
      if (selected('reads')) await section('reads', 'authenticated reads', () => reads(service, fx));
      if (selected('plans')) await section('plans', 'public plans', () => plans(service));
      if (selected('login')) await section('login', 'login', () => logins(service));
    } finally {
      await stop(service.child);
    }
    if (selected('memory')) await section('memory', 'memory', () => memory(fx));
  }

  // phase 3: 1,000,000 users, beside a service on the copy of the 10k database
  if (selected('admin')) {
    if (million && small) {
      await section('admin 1M', 'admin list @1M', async () => {
        await seedTo(ADMIN_LARGE);
        await withService('service-1m', async (large) => {
          await withService(
            'service-10k-copy',
            async (copy) => {
              [adminRun.small, adminRun.large] = await adminLoads(
                [
                  { users: ADMIN_SMALL, service: copy },
                  { users: ADMIN_LARGE, service: large },
                ],
                fx,
              );
            },
            small,
          );
          await analyticsTimes(large, fx, ADMIN_LARGE);
        });
      });
    }
    adminRows(adminRun.small ?? null, adminRun.large ?? null, opt['skip-million'] ? 'skipped (--skip-million)' : null);
  }

  if (selected('renewal')) await section('renewal', 'renewal', renewal);
  log(`\nrun took ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min`);
}

function report(error?: unknown): void {
  const ordered = [...rows].sort((a, b) => order(a.id) - order(b.id));
  const seeds = seedTimes.map((s) => `${s.users.toLocaleString('en-US')} users in ${s.seconds.toFixed(1)} s`).join(', ');
  console.log(
    `\n## issue 10 bench: ${KIND === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}, ${SECONDS} s per target, ${CONNECTIONS} connections ` +
      `(admin ${ADMIN_CONNECTIONS}, login 1 and 50); seeds: ${seeds || 'none'}\n`,
  );
  console.log(render(ordered));
  if (error) console.log(`\nthe run stopped early: ${error instanceof Error ? error.message : String(error)}`);
  const last = verdict(ordered);
  console.log(`\n${last}`);
  if (opt.json) {
    writeFileSync(
      opt.json,
      `${JSON.stringify(
        {
          database: KIND,
          seconds: SECONDS,
          warmup: WARMUP,
          connections: CONNECTIONS,
          adminConnections: ADMIN_CONNECTIONS,
          memorySeconds: MEMORY_SECONDS,
          cores: cpus().length,
          node: process.version,
          at: new Date().toISOString(),
          seeds: seedTimes,
          rows: ordered,
          verdict: last,
          error: error ? String(error) : undefined,
        },
        null,
        2,
      )}\n`,
    );
  }
}

const ORDER = ['read', 'plans', 'argon2', 'login', 'healthz', 'admin', 'analytics', 'start', 'memory', 'renewal'];
function order(id: string): number {
  const k = ORDER.findIndex((p) => id.startsWith(p));
  return k === -1 ? ORDER.length : k;
}

main()
  .then(async () => {
    await cleanupAll();
    report();
  })
  .catch(async (err) => {
    console.error(err);
    await cleanupAll();
    report(err);
    process.exitCode = 1;
  });
