/**
 * What the process*.test.ts files share: the real entry point started as a child process (from the
 * TypeScript sources through tsx, no build), its output, its health and its stop, and throw-away
 * data directories. Call `processCleanup()` at the top of a file: it kills what a failed test left
 * running and removes the directories afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, inject } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ENTRY = join(ROOT, 'src', 'main.ts');

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Running>();
const dirs: string[] = [];

export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sociox-process-'));
  dirs.push(dir);
  return dir;
}

export async function freePort(): Promise<number> {
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
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'JWT_SECRET',
    'SMTP_URL',
    'SUPERADMIN_EMAIL',
    'SUPERADMIN_PASSWORD',
    'PORT',
    'HOST',
    'APP_URL',
    'TOKEN_TTL',
  ]) {
    delete env[name];
  }
  return env;
}

export function start(env: Record<string, string>): Running {
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

export function describeOutput(proc: Running): string {
  return `\n--- stdout ---\n${proc.stdout().slice(-4000)}\n--- stderr ---\n${proc.stderr().slice(-4000)}`;
}

/** Resolves with the exit, or fails after ms. */
export async function exitWithin(proc: Running, ms: number) {
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
export async function waitHealthy(proc: Running, base: string, ms = 60_000): Promise<void> {
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
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/healthz did not answer 200 within ${ms} ms${describeOutput(proc)}`);
}

export async function stop(proc: Running) {
  proc.child.kill('SIGTERM');
  return exitWithin(proc, 30_000);
}

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text.slice(0, 500)}`);
  }
}

export async function post(base: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await json(res) };
}

/**
 * A new DATA_DIR whose database is already created and migrated (loaded from the suite's template).
 * Only a test about a new DATA_DIR needs PostgreSQL's initdb in the child, which costs it ~3 s of CPU.
 */
export async function migratedDataDir(): Promise<string> {
  const dir = freshDir();
  const template = inject('pgliteTemplate');
  const db = await openPglite({ dataDir: join(dir, 'pgdata'), ...(template ? { loadDataDir: new Blob([await readFile(template)]) } : {}) });
  try {
    if (!template) await migrate(db);
  } finally {
    await db.close();
  }
  return dir;
}

/** Registers, in the calling file, the hooks that kill what a failed test left running and remove the directories. */
export function processCleanup(): void {
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
}
