#!/usr/bin/env node
/**
 * A throw-away deployment of SocioX Accounts on this machine, as docs/DEPLOYMENT.md describes it:
 * a PostgreSQL server (Debian's binaries, a new cluster in a temporary directory, 127.0.0.1 only),
 * N instances of the service (`node dist/main.js`, each on its own loopback port, all on that
 * server) and nginx in front (deploy/nginx.conf with this run's ports), with active health checks
 * on each instance's /readyz (deploy/upstream-health.mjs: a failing instance is marked `down`).
 *
 *   node scripts/cluster.mjs up [--instances 3] [--port 8080] [--jobs-interval-ms 5000]
 *                               [--smtp-url smtp://127.0.0.1:2525] [--log-level info] [--production] [--keep]
 *
 * runs in the foreground, prints the addresses, and stops everything (and removes the directory)
 * on Ctrl-C or SIGTERM. The tests in test/cluster/ import `startCluster` from here; docs/DEPLOYMENT.md
 * says what they check.
 *
 * Needs Linux, nginx (`apt-get install nginx`; NGINX_BIN for another binary) and PostgreSQL's
 * server binaries (`apt-get install postgresql`; PG_BIN for another directory). As root,
 * PostgreSQL runs as the `postgres` user (it refuses root); as anyone else, as that user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createHealthChecker, withMarks } from '../deploy/upstream-health.mjs';
import { startCommand } from './start-command.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NGINX_TEMPLATE = join(ROOT, 'deploy', 'nginx.conf');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// what this machine has

/** nginx's binary: NGINX_BIN, else Debian's. */
export function findNginx() {
  const candidates = [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** PostgreSQL's server binaries: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function findPgBin() {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : null;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

/** What is missing to start a cluster here (empty: nothing). */
export function missingPrerequisites() {
  const missing = [];
  if (!findNginx()) missing.push('nginx (apt-get install -y nginx, or set NGINX_BIN)');
  if (!findPgBin()) missing.push('PostgreSQL server binaries (apt-get install -y postgresql, or set PG_BIN)');
  else if (IS_ROOT && spawnSync('id', ['postgres']).status !== 0) missing.push('a `postgres` user to run PostgreSQL as (root cannot)');
  return missing;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  return result.stdout;
}

/** dist/ as `npm start` would have it: built when missing or older than the source. */
export function ensureBuilt() {
  run(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--build-only'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * A copy of dist/ (with package.json, and node_modules linked) that the instances run: a build of
 * the working tree during the run (`npm start`, an editor's watcher) cannot hand an instance that
 * restarts half-written files, and every restart runs the code the cluster started with.
 */
function snapshotDist(appDir) {
  const stamp = join(ROOT, 'dist', '.built');
  const newest = (d) =>
    Math.max(
      0,
      ...readdirSync(d, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs,
      ),
    );
  for (let attempt = 1; ; attempt++) {
    const before = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
    rmSync(join(appDir, 'dist'), { recursive: true, force: true });
    cpSync(join(ROOT, 'dist'), join(appDir, 'dist'), { recursive: true });
    const after = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
    // a build writes its stamp last: a file newer than the stamp is one of a build still running
    if (before === after && before !== 0 && newest(join(ROOT, 'dist')) <= after + 1) break;
    if (attempt === 10) throw new Error('dist/ kept changing while it was copied (is a build running?)');
    spawnSync('sleep', ['2']);
  }
  copyFileSync(join(ROOT, 'package.json'), join(appDir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(appDir, 'node_modules'), 'dir');
}

// ---------------------------------------------------------------------------------------------
// nginx configuration from deploy/nginx.conf

/**
 * deploy/nginx.conf with this run's addresses: one `server` line per instance port in the
 * upstream (the parameters of the file's first one), `listen` on 127.0.0.1:`port`, the access
 * log in `dir`; wrapped in a main configuration. Fails if the file no longer has what it replaces.
 */
export function nginxConfig({ template = readFileSync(NGINX_TEMPLATE, 'utf8'), ports, listenPort, dir, down = [] }) {
  const upstream = /(upstream\s+sociox\s*\{)([\s\S]*?)(\n\})/.exec(template);
  if (!upstream) throw new Error('deploy/nginx.conf: no `upstream sociox { … }` block');
  const servers = [...upstream[2].matchAll(/^(\s*)server\s+\S+?:\d+([^;\n]*);[^\n]*$/gm)];
  if (servers.length === 0) throw new Error('deploy/nginx.conf: no `server host:port …;` line in the upstream');
  const [, indent, params] = servers[0];
  let body = upstream[2];
  for (const s of servers.slice(1)) body = body.replace(`${s[0]}\n`, '');
  // `down`: drained, nginx sends it nothing new (a rolling restart's first step)
  const line = (p) => `${indent}server 127.0.0.1:${p}${params}${down.includes(p) ? ' down' : ''};`;
  body = body.replace(servers[0][0], ports.map(line).join('\n'));
  let conf = template.replace(upstream[0], `${upstream[1]}${body}${upstream[3]}`);

  const listen = /^(\s*)listen\s+[^;]+;/m;
  if (!listen.test(conf)) throw new Error('deploy/nginx.conf: no `listen …;` line');
  conf = conf.replace(listen, `$1listen 127.0.0.1:${listenPort};`);
  const accessLog = /^(\s*)access_log\s+\S+/m;
  if (!accessLog.test(conf)) throw new Error('deploy/nginx.conf: no `access_log <path> …;` line');
  conf = conf.replace(accessLog, `$1access_log ${join(dir, 'access.log')}`);

  const temp = join(dir, 'tmp');
  return [
    '# generated by scripts/cluster.mjs from deploy/nginx.conf',
    IS_ROOT ? 'user root;' : '',
    'worker_processes 1;',
    // a reload waits for the old worker's requests; one that hangs is not waited for forever
    'worker_shutdown_timeout 30s;',
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  client_body_temp_path ${temp}/body;`,
    `  proxy_temp_path ${temp}/proxy;`,
    `  fastcgi_temp_path ${temp}/fastcgi;`,
    `  uwsgi_temp_path ${temp}/uwsgi;`,
    `  scgi_temp_path ${temp}/scgi;`,
    '  default_type application/octet-stream;',
    conf,
    '}',
    '',
  ].join('\n');
}

/** One line of the access log (log_format sociox_upstream). */
export function parseAccessLine(line) {
  const m = /^(\S+) \[([^\]]+)\] "([^"]*)" (\d+) (\d+) rid=(\S+) rt=(\S+) upstream=(.*?) ustatus=(.*?) urt=(.*)$/.exec(line);
  if (!m) return null;
  const [method = '', path = ''] = m[3].split(' ');
  return {
    remote: m[1],
    time: m[2],
    method,
    path,
    status: Number(m[4]),
    requestId: m[6],
    seconds: Number(m[7]),
    // several attempts are listed ", "-separated (" : " across an internal redirect)
    upstreams: m[8].split(/\s*(?:,|\s:)\s*/).filter((u) => u && u !== '-'),
    upstreamStatuses: m[9].split(/\s*(?:,|\s:)\s*/).filter((u) => u && u !== '-'),
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function createPostgres({ pgBin, dir, port }) {
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asPostgres = (binary, args) =>
    IS_ROOT
      ? run('runuser', ['-u', 'postgres', '--', join(pgBin, binary), ...args], { cwd: '/' })
      : run(join(pgBin, binary), args, { cwd: '/' });
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=200',
    '-c shared_buffers=64MB',
  ].join(' ');
  let running = false;
  return {
    port,
    log,
    dir,
    init() {
      asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    },
    /** pg_ctl start, waiting until it accepts connections */
    async start() {
      asPostgres('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
      running = true;
    },
    /** pg_ctl stop -m fast (or `mode`): every session is ended, the server checkpoints and exits */
    async stop(mode = 'fast') {
      asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async restart() {
      await this.stop();
      await this.start();
    },
    get running() {
      return running;
    },
    /** for the exit handler: no waiting, no throwing */
    emergencyStop() {
      if (!running) return;
      const args = ['-D', data, '-m', 'immediate', 'stop'];
      if (IS_ROOT) spawnSync('runuser', ['-u', 'postgres', '--', join(pgBin, 'pg_ctl'), ...args], { cwd: '/' });
      else spawnSync(join(pgBin, 'pg_ctl'), args, { cwd: '/' });
      running = false;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the service's instances

/** The environment every instance shares, minus what this run sets itself (nothing else leaks in). */
function baseEnv() {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

async function waitReady(url, isDead, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within ${ms} ms`);
    await sleep(100);
  }
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function createInstance({ index, port, dir, appDir, env }) {
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, `instance-${index}.log`);
  const dataDir = join(dir, `instance-${index}`);
  mkdirSync(dataDir, { recursive: true });
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null;
  let exited = null;
  let stopping = false;
  const exits = [];

  const instance = {
    index,
    port,
    url,
    logFile,
    /** every exit: `expected` when this script stopped it (SIGTERM), else a crash */
    exits,
    get pid() {
      return child?.pid ?? null;
    },
    get running() {
      return child !== null;
    },
    /** starts `node dist/main.js` on this instance's port and waits for /readyz 200 */
    async start({ readyMs = 60_000 } = {}) {
      if (child) throw new Error(`instance ${index} is running`);
      const fd = openSync(logFile, 'a');
      // with npm start's Node flags and environment (scripts/start-command.mjs)
      const { nodeFlags, env: startEnv } = startCommand();
      const proc = spawn(process.execPath, [...nodeFlags, join(appDir, 'dist', 'main.js')], {
        cwd: appDir,
        env: { ...startEnv, ...env(), PORT: String(port), DATA_DIR: dataDir },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      child = proc;
      exited = new Promise((resolve) => {
        proc.once('exit', (code, signal) => {
          exits.push({ at: new Date(), code, signal, expected: stopping });
          if (child === proc) child = null;
          resolve({ code, signal });
        });
      });
      const started = Date.now();
      await waitReady(url, () => (child === proc ? null : `instance ${index} exited while starting:\n${tail(logFile)}`), readyMs);
      return { ms: Date.now() - started };
    },
    /** SIGTERM (or `signal`) and waits for the exit; SIGKILL after `timeoutMs` */
    async stop({ signal = 'SIGTERM', timeoutMs = 30_000 } = {}) {
      const proc = child;
      if (!proc) return null;
      const started = Date.now();
      stopping = true;
      try {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        const result = await exited;
        clearTimeout(timer);
        return { ...result, ms: Date.now() - started };
      } finally {
        stopping = false;
      }
    },
    /** SIGTERM, wait for the exit, start again on the same port, wait for /readyz */
    async restart() {
      const stopped = await instance.stop();
      const started = await instance.start();
      return { stopped, startMs: started.ms };
    },
    /** for the exit handler */
    emergencyKill() {
      child?.kill('SIGKILL');
    },
    tail: (lines) => tail(logFile, lines),
  };
  return instance;
}

// ---------------------------------------------------------------------------------------------
// nginx

function createNginx({ binary, dir, port, ports }) {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  const down = new Set();
  /** address → why: marked down by the health checks (deploy/upstream-health.mjs) */
  let unhealthy = new Map();
  const writeConf = () => writeFileSync(conf, withMarks(nginxConfig({ ports, listenPort: port, dir, down: [...down] }), unhealthy));
  writeConf();
  const args = ['-p', dir, '-c', conf, '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
  run(binary, [...args, '-t'], { stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null;
  let exited = null;
  const url = `http://127.0.0.1:${port}`;
  /** the master's children: its worker processes (Linux's /proc) */
  const workers = () => {
    if (!child) return [];
    const master = String(child.pid);
    const file = `/proc/${master}/task/${master}/children`;
    if (existsSync(file)) return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    // a kernel without CONFIG_PROC_CHILDREN: every process whose parent is the master
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === master;
        } catch {
          return false;
        }
      })
      .map(Number);
  };
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /**
   * Writes the configuration, reloads (SIGHUP: new workers take new connections; the old ones finish
   * the requests they have, the ones at the instances included, then exit) and waits for the old
   * workers to be gone: from then on nothing is in flight that the old configuration sent.
   */
  async function reload() {
    if (!child) throw new Error('nginx is not running');
    writeConf();
    run(binary, [...args, '-t'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const old = workers();
    child.kill('SIGHUP');
    const deadline = Date.now() + 35_000;
    while (old.some(alive) || workers().length === 0) {
      if (Date.now() > deadline) throw new Error(`nginx's old workers did not exit after a reload:\n${tail(join(dir, 'error.log'))}`);
      await sleep(20);
    }
  }
  return {
    url,
    port,
    conf,
    accessLogFile: join(dir, 'access.log'),
    errorLogFile: join(dir, 'error.log'),
    get pid() {
      return child?.pid ?? null;
    },
    /** takes the instance on `instancePort` out of the rotation (`server … down`) and waits until nginx has nothing in flight to it */
    async drain(instancePort) {
      down.add(instancePort);
      await reload();
    },
    /** puts it back */
    async undrain(instancePort) {
      down.delete(instancePort);
      await reload();
    },
    reload,
    /**
     * The health checks' marks (address → why): written and nginx reloaded when they change, without
     * waiting for the old workers (they finish what they have; the marked instance still serves).
     */
    async setUnhealthy(marks) {
      const same = marks.size === unhealthy.size && [...marks.keys()].every((a) => unhealthy.has(a));
      if (same || !child) return;
      unhealthy = new Map(marks);
      writeConf();
      run(binary, [...args, '-t'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.kill('SIGHUP');
    },
    async start() {
      const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
      proc.once('exit', () => {
        if (child === proc) child = null;
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (child !== proc) throw new Error(`nginx exited:\n${stderr}${tail(join(dir, 'error.log'))}`);
        const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`nginx did not pass /healthz within 10 s:\n${tail(join(dir, 'error.log'))}`);
        await sleep(100);
      }
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      proc.kill('SIGQUIT'); // graceful: finishes the requests in flight
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    /** the access log so far, parsed */
    accessLog() {
      if (!existsSync(join(dir, 'access.log'))) return [];
      return readFileSync(join(dir, 'access.log'), 'utf8')
        .split('\n')
        .map(parseAccessLine)
        .filter((l) => l !== null);
    },
    emergencyKill() {
      child?.kill('SIGTERM');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the cluster

/**
 * Starts PostgreSQL, `instances` service instances and nginx; resolves once nginx answers and every
 * instance's /readyz is 200. `env` is added to (and overrides) every instance's environment; a key
 * set to null is removed. Without `production`, NODE_ENV=development and the cheapest password hash
 * (production refuses it); everything else is as in production, the database rate-limit store too.
 */
export async function startCluster(options = {}) {
  const {
    instances: count = 3,
    jobsIntervalMs = 500,
    smtpUrl = null,
    env: extraEnv = {},
    production = false,
    logLevel = 'warn',
    nginxPort = null,
    healthIntervalMs = 500,
    build = true,
    keepDir = false,
  } = options;
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(`cannot start a cluster here, missing: ${missing.join('; ')}`);
  if (build) ensureBuilt();

  const dir = mkdtempSync(join(tmpdir(), 'sociox-cluster-'));
  chmodSync(dir, 0o755);
  const pgDir = join(dir, 'postgres');
  mkdirSync(pgDir, { mode: 0o700 });
  if (IS_ROOT) run('chown', ['postgres:', pgDir]);
  const nginxDir = join(dir, 'nginx');
  mkdirSync(nginxDir);
  const appDir = join(dir, 'app');
  mkdirSync(appDir);
  snapshotDist(appDir);

  const [pgPort, listenPort, ...ports] = await Promise.all([
    freePort(),
    nginxPort ?? freePort(),
    ...Array.from({ length: count }, freePort),
  ]);
  const nginxUrl = `http://127.0.0.1:${listenPort}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/sociox`;
  const superadmin = { email: 'root@cluster.test', password: `cluster-${randomBytes(9).toString('base64url')}` };
  const secrets = { JWT_SECRET: randomBytes(48).toString('base64url'), KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url') };

  let env = {
    ...baseEnv(),
    NODE_ENV: production ? 'production' : 'development',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    APP_URL: nginxUrl,
    TRUST_PROXY: 'true',
    RATE_LIMIT_STORE: 'database',
    JOBS_INTERVAL_MS: String(jobsIntervalMs),
    SUPERADMIN_EMAIL: superadmin.email,
    SUPERADMIN_PASSWORD: superadmin.password,
    LOG_LEVEL: logLevel,
    // a stopping instance answers /readyz 503 this long while it still serves: the health checks
    // (every healthIntervalMs, two failures) take it out of nginx's rotation before it closes
    SHUTDOWN_DELAY_MS: String(Math.max(3_000, healthIntervalMs * 6)),
    ...secrets,
    ...(production ? {} : { PASSWORD_HASH_MEMORY_KIB: '8', PASSWORD_HASH_ITERATIONS: '1' }),
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
  };
  const applyEnv = (extra) => {
    env = { ...env, ...extra };
    for (const [k, v] of Object.entries(env)) if (v === null || v === undefined) delete env[k];
  };
  applyEnv(extraEnv);

  const postgres = createPostgres({ pgBin: findPgBin(), dir: pgDir, port: pgPort });
  const nodes = ports.map((port, i) => createInstance({ index: i + 1, port, dir, appDir, env: () => env }));
  const nginx = createNginx({ binary: findNginx(), dir: nginxDir, port: listenPort, ports });

  // whatever happens to this process, nothing it started outlives it
  const emergency = () => {
    for (const n of nodes) n.emergencyKill();
    nginx.emergencyKill();
    postgres.emergencyStop();
  };
  process.once('exit', emergency);

  /** each instance marked down or back up by the health checks, in order */
  const healthEvents = [];
  const health = createHealthChecker({
    servers: ports.map((p) => `127.0.0.1:${p}`),
    apply: (marks) => nginx.setUnhealthy(marks),
    intervalMs: healthIntervalMs,
    timeoutMs: 1_000,
    fall: 2,
    rise: 2,
    onChange: (e) => healthEvents.push({ at: Date.now(), port: Number(e.address.split(':')[1]), up: e.up, reason: e.reason }),
    log: (msg) => healthEvents.push({ at: Date.now(), port: null, up: null, reason: msg }),
  });

  let stopped = false;
  const cluster = {
    dir,
    nginxUrl,
    databaseUrl,
    superadmin,
    secrets,
    instances: nodes,
    nginx,
    pg: postgres,
    /** the active health checks' record: { at, port, up, reason } (port null: a note about all of them) */
    healthEvents,
    /** the instances' environment from now on (a restart picks it up) */
    setEnv: applyEnv,
    env: () => ({ ...env }),
    /** one statement on a connection of its own (survives a PostgreSQL restart between calls) */
    async sql(text, params = []) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return await client.query(text, params);
      } finally {
        await client.end();
      }
    },
    /**
     * One step of a rolling restart: the instance out of nginx's rotation (its requests in flight
     * finished), SIGTERM and its exit, started again on its port, /readyz 200, back in the rotation.
     * `drain: false` skips that step: SIGTERM alone, and the instance (SHUTDOWN_DELAY_MS) answers
     * /readyz 503 until the health checks have taken it out (docs/DEPLOYMENT.md "Rolling restarts").
     */
    async restart(instance, { drain = true } = {}) {
      const started = Date.now();
      if (drain) await nginx.drain(instance.port);
      const drainMs = Date.now() - started;
      const { stopped, startMs } = await instance.restart();
      if (drain) await nginx.undrain(instance.port);
      return { stopped, startMs, drainMs, totalMs: Date.now() - started };
    },
    /** exits of an instance this script did not ask for */
    crashes: () => nodes.flatMap((n) => n.exits.filter((e) => !e.expected).map((e) => ({ instance: n.index, ...e }))),
    async stop() {
      if (stopped) return;
      stopped = true;
      await health.stop();
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await nginx.stop().catch(() => {});
      if (postgres.running) await postgres.stop().catch(() => postgres.emergencyStop());
      process.removeListener('exit', emergency);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    postgres.init();
    await postgres.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
    await admin.connect();
    await admin.query('create database sociox');
    await admin.end();
    // together: the migrations' advisory lock lets one apply them while the others wait
    await Promise.all(nodes.map((n) => n.start()));
    await nginx.start();
    health.start();
  } catch (err) {
    await cluster.stop().catch(() => {});
    throw err;
  }
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// node scripts/cluster.mjs up

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--instances') opts.instances = Number(value());
    else if (a === '--port') opts.nginxPort = Number(value());
    else if (a === '--jobs-interval-ms') opts.jobsIntervalMs = Number(value());
    else if (a === '--smtp-url') opts.smtpUrl = value();
    else if (a === '--log-level') opts.logLevel = value();
    else if (a === '--production') opts.production = true;
    else if (a === '--keep') opts.keepDir = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

async function cli() {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'up') {
    console.log(
      'usage: node scripts/cluster.mjs up [--instances 3] [--port <nginx port>] [--jobs-interval-ms 5000]\n' +
        '                                 [--smtp-url smtp://…] [--log-level info] [--production] [--keep]',
    );
    process.exit(command === undefined || command === '--help' ? 0 : 2);
  }
  const opts = { jobsIntervalMs: 5_000, logLevel: 'info', ...parseArgs(rest) };
  const started = Date.now();
  const cluster = await startCluster(opts);
  const pgVersion = (await cluster.sql('show server_version')).rows[0].server_version;
  const lines = [
    `SocioX Accounts cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.dir})`,
    `  through nginx       ${cluster.nginxUrl}   (API reference ${cluster.nginxUrl}/docs, console ${cluster.nginxUrl}/admin/)`,
    ...cluster.instances.map((n) => `  instance ${n.index}          ${n.url}   pid ${n.pid}, log ${n.logFile}`),
    `  PostgreSQL ${pgVersion.split(' ')[0].padEnd(8)} ${cluster.databaseUrl}   log ${cluster.pg.log}`,
    `  nginx               conf ${cluster.nginx.conf}, access log ${cluster.nginx.accessLogFile}`,
    `  superadmin          ${cluster.superadmin.email} / ${cluster.superadmin.password}`,
    `  NODE_ENV=${cluster.env().NODE_ENV}, JOBS_INTERVAL_MS=${cluster.env().JOBS_INTERVAL_MS}, SMTP_URL=${cluster.env().SMTP_URL ?? '(unset: emails are logged)'}`,
    '',
    'Ctrl-C stops everything and removes the directory.',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) {
      console.log('stopping already; a second signal does not hurry it');
      return;
    }
    stopping = true;
    console.log(`\n${signal}: stopping the instances, nginx and PostgreSQL…`);
    await cluster.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // an instance that dies on its own is said, not hidden (this timer also keeps the process up)
  let reported = 0;
  setInterval(() => {
    const crashes = cluster.crashes();
    for (const c of crashes.slice(reported)) {
      console.error(`instance ${c.instance} exited on its own (code ${c.code}, signal ${c.signal}); see its log`);
    }
    reported = crashes.length;
  }, 1_000);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
