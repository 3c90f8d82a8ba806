import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * The real entry point as `npm start` runs it, but from the TypeScript sources through tsx
 * (no build): configuration from the environment, the embedded database under DATA_DIR,
 * SIGTERM for a clean stop, and a restart on the same DATA_DIR.
 */

const ROOT = resolve(import.meta.dirname, '..');
const ENTRY = join(ROOT, 'src', 'main.ts');

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Running>();
const dirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sociox-process-'));
  dirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The inherited environment minus anything that would point the service elsewhere. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'JWT_SECRET', 'SMTP_URL', 'SUPERADMIN_EMAIL', 'SUPERADMIN_PASSWORD', 'PORT', 'HOST', 'APP_URL', 'TOKEN_TTL']) {
    delete env[name];
  }
  return env;
}

function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const proc: Running = { child, stdout: () => out, stderr: () => err, exited };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

function describeOutput(proc: Running): string {
  return `\n--- stdout ---\n${proc.stdout().slice(-4000)}\n--- stderr ---\n${proc.stderr().slice(-4000)}`;
}

/** Resolves with the exit, or fails after ms. */
async function exitWithin(proc: Running, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process did not exit within ${ms} ms${describeOutput(proc)}`)), ms);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls /healthz until it answers 200; fails early if the process dies. */
async function waitHealthy(proc: Running, base: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the process exited before it was healthy${describeOutput(proc)}`);
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`/healthz did not answer 200 within ${ms} ms${describeOutput(proc)}`);
}

async function stop(proc: Running) {
  proc.child.kill('SIGTERM');
  return exitWithin(proc, 30_000);
}

async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 500)}`);
  }
}

afterEach(async () => {
  // a failed test must not leave a server behind
  for (const proc of [...running]) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
});
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the service process (src/main.ts)', () => {
  it(
    'starts on the embedded database, serves, stops cleanly on SIGTERM, and keeps data and tokens across a restart',
    async () => {
      const dataDir = freshDir();
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info' };

      // first run: a new DATA_DIR
      const first = start(env);
      await waitHealthy(first, base);

      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await json(health)).toMatchObject({ status: true });

      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, describeOutput(first)).toBe(200);
      expect(await json(ready)).toMatchObject({ status: true });

      const email = `process.${Date.now().toString(36)}@example.com`;
      const registered = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'password123', name: 'Process Test' }),
      });
      const registeredBody = await json(registered);
      expect(registered.status, JSON.stringify(registeredBody)).toBe(201);
      const token: string = registeredBody.token;
      expect(token).toEqual(expect.any(String));

      const me = await fetch(`${base}/api/users/details`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);

      const firstExit = await stop(first);
      expect(firstExit, describeOutput(first)).toEqual({ code: 0, signal: null });
      expect(first.stdout()).toContain('stopped');
      expect(first.stdout()).toContain('database ready');

      // the port is free again once it has stopped
      await expect(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

      // second run on the same DATA_DIR: the database and the development JWT secret persisted
      const second = start(env);
      await waitHealthy(second, base);

      const stillValid = await fetch(`${base}/api/users/details`, { headers: { authorization: `Bearer ${token}` } });
      const stillValidBody = await json(stillValid);
      expect(stillValid.status, JSON.stringify(stillValidBody)).toBe(200);
      expect(JSON.stringify(stillValidBody)).toContain(email);

      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'password123' }),
      });
      const loginBody = await json(login);
      expect(login.status, JSON.stringify(loginBody)).toBe(200);
      expect(loginBody.token).toEqual(expect.any(String));

      // nothing to migrate the second time
      expect(second.stdout()).toMatch(/"applied":\[\]/);

      const secondExit = await stop(second);
      expect(secondExit, describeOutput(second)).toEqual({ code: 0, signal: null });
      expect(second.stdout()).toContain('stopped');
    },
    180_000,
  );

  it(
    'on SIGTERM finishes the request in flight before exiting 0',
    async () => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      // forgot-password never answers before FORGOT_PASSWORD_MIN_MS: a request that is surely in flight
      const proc = start({ DATA_DIR: freshDir(), PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info', FORGOT_PASSWORD_MIN_MS: '2000' });
      await waitHealthy(proc, base);
      const inFlight = fetch(`${base}/api/auth/forgot-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com' }),
      });
      await new Promise((r) => setTimeout(r, 500));
      proc.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect((await json(res)).status).toBe(true);
      const exit = await exitWithin(proc, 30_000);
      expect(exit, describeOutput(proc)).toEqual({ code: 0, signal: null });
      // and it no longer accepts connections
      await expect(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    },
    120_000,
  );

  it(
    'refuses to start in production without JWT_SECRET',
    async () => {
      const dataDir = freshDir();
      const proc = start({ DATA_DIR: dataDir, PORT: String(await freePort()), NODE_ENV: 'production', LOG_LEVEL: 'info' });
      const { code } = await exitWithin(proc, 60_000);
      expect(code, describeOutput(proc)).not.toBe(0);
      expect(code).not.toBeNull();
      expect(proc.stderr()).toContain('JWT_SECRET');
    },
    90_000,
  );

  it(
    'refuses to start in production with a weak JWT_SECRET, saying why',
    async () => {
      const proc = start({ DATA_DIR: freshDir(), PORT: String(await freePort()), NODE_ENV: 'production', JWT_SECRET: 'secret' });
      const { code } = await exitWithin(proc, 60_000);
      expect(code, describeOutput(proc)).not.toBe(0);
      expect(proc.stderr()).toMatch(/JWT_SECRET.*weak/);
    },
    90_000,
  );
});
