/**
 * Child processes of the bench and what a run leaves behind, cleaned up on every way out:
 * normal end, a thrown error, Ctrl-C / SIGTERM, or the run's time limit. Every child runs in its
 * own process group (`detached`), so `npm start` and whatever it spawns die together.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  log: string;
  /** resolves with the exit code (or the signal's name) when the process has exited */
  exited: Promise<number | string>;
  hasExited: () => boolean;
}

const children = new Set<Child>();
const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];

/** Something to undo at the end (drop a database, remove a directory); run in reverse order. */
export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  cleanups.push({ name, fn });
}

export function start(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; log: string }): Child {
  if (cleaning) throw new Error(`not starting ${name}: the bench is stopping`);
  const out = openSync(options.log, 'a');
  const proc = spawn(command, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    proc.once('error', (err) => {
      done = true;
      children.delete(child);
      resolve(`spawn error: ${err.message}`);
    });
  });
  const child: Child = { name, proc, pid: proc.pid ?? -1, log: options.log, exited, hasExited: () => done };
  children.add(child);
  return child;
}

function killGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.pid <= 0) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`. */
export async function stop(child: Child, graceMs = 20_000): Promise<void> {
  if (child.hasExited()) return;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  // anything the group's leader left behind (npm's children)
  killGroup(child, 'SIGKILL');
}

/** The last lines of a child's log, to explain a failure. */
export function tail(child: Child, lines = 20): string {
  if (!existsSync(child.log)) return '';
  const text = readFileSync(child.log, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

/** Runs a command to completion (bounded by `timeoutMs`), with its output captured. */
export async function run(
  name: string,
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; log: string; timeoutMs: number },
): Promise<{ code: number | string; output: string }> {
  const child = start(name, command, args, options);
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  return { code, output: existsSync(options.log) ? readFileSync(options.log, 'utf8') : '' };
}

/** A port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` every `everyMs` until `accept(status)`; fails when the child exits first or after
 * `timeoutMs`. Resolves with the milliseconds since `since`.
 */
export async function waitHttp(
  url: string,
  opts: { child: Child; since?: number; timeoutMs: number; everyMs?: number; accept?: (status: number) => boolean },
): Promise<number> {
  const since = opts.since ?? performance.now();
  const accept = opts.accept ?? ((s) => s === 200);
  for (;;) {
    if (opts.child.hasExited()) throw new Error(`${opts.child.name} exited before answering ${url}:\n${tail(opts.child)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (accept(res.status)) return performance.now() - since;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - since > opts.timeoutMs) {
      throw new Error(`${opts.child.name} did not answer ${url} within ${opts.timeoutMs / 1000} s:\n${tail(opts.child)}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 20));
  }
}

/** RSS and its peak of a process, in MiB, from /proc (Linux). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

let cleaning: Promise<void> | null = null;

/** Kills every child, then runs the registered clean-ups (newest first). Safe to call twice. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stop(c, 5_000)));
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await Promise.race([fn(), new Promise((r) => setTimeout(r, 15_000))]);
      } catch (err) {
        console.error(`clean-up "${name}" failed: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C, SIGTERM and the time limit: clean up, then exit. An exit without clean-up still kills the children. */
export function installExitHandlers(maxMinutes: number): void {
  const bail = (why: string, code: number) => {
    console.error(`\nbench: ${why}: stopping children and cleaning up…`);
    void cleanupAll().finally(() => process.exit(code));
  };
  // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): the first one cleans
  // up, a repeat within a second is that echo, a later one kills the children at once and exits
  let firstSignal = 0;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    const now = Date.now();
    if (!firstSignal) {
      firstSignal = now;
      bail(signal === 'SIGINT' ? 'interrupted' : 'terminated', code);
    } else if (now - firstSignal > 1_000) {
      for (const c of children) killGroup(c, 'SIGKILL');
      process.exit(code);
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  const watchdog = setTimeout(() => bail(`time limit of ${maxMinutes} min reached`, 124), maxMinutes * 60_000);
  watchdog.unref();
  process.once('exit', () => {
    for (const c of children) killGroup(c, 'SIGKILL');
  });
}

/** Removes a directory tree (the temp dir of a run). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
