import type { FastifyBaseLogger } from 'fastify';
import { loggable } from '../logger.js';

export interface Task {
  name: string;
  /** `log` is the worker's logger bound to this task (`task` on every line); a task that logs uses it */
  run(log: FastifyBaseLogger): Promise<unknown>;
  /** runs on a kick too (email delivery after a commit); the others wait for the interval */
  onKick?: boolean;
}

export type Scope = 'kick' | 'all';

/** What the worker reports as it runs (the metrics, src/metrics.ts): it knows nothing of what is done with it. */
export interface WorkerObserver {
  /** one task's run: how long it took and whether it threw */
  task(name: string, seconds: number, ok: boolean): void;
  /** one pass over the tasks (`kick`: the onKick tasks after a commit; `all`: every task) */
  pass(scope: Scope, seconds: number): void;
}

const unobserved: WorkerObserver = { task: () => {}, pass: () => {} };

/**
 * The in-process worker: runs every task each `intervalMs`, and the `onKick` tasks promptly when
 * kicked (after a commit that queued an email). One pass at a time; a request during a pass runs
 * right after it; `stop()` waits for the pass in progress.
 */
export function createWorker(options: { intervalMs: number; tasks: Task[]; log: FastifyBaseLogger; observer?: WorkerObserver }) {
  const { intervalMs, tasks, log } = options;
  const observer = options.observer ?? unobserved;
  // each task's lines carry its name, the lines it logs itself included
  const logs = new Map(tasks.map((t) => [t, log.child({ task: t.name })]));
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let pending: Scope | null = null;
  let stopped = true;

  async function pass(scope: Scope): Promise<void> {
    const passStarted = performance.now();
    for (const task of tasks) {
      if (scope === 'kick' && !task.onKick) continue;
      const taskLog = logs.get(task)!;
      const started = performance.now();
      try {
        const result = await task.run(taskLog);
        observer.task(task.name, (performance.now() - started) / 1000, true);
        taskLog.debug({ result }, 'task ran');
      } catch (err) {
        observer.task(task.name, (performance.now() - started) / 1000, false);
        // one broken task must not stop the others nor the loop; it runs again next pass
        taskLog.error({ err: loggable(err) }, 'task failed');
      }
    }
    observer.pass(scope, (performance.now() - passStarted) / 1000);
  }

  function request(scope: Scope): Promise<void> {
    pending = pending === 'all' || scope === 'all' ? 'all' : 'kick';
    if (current) return current;
    current = (async () => {
      try {
        let first = true;
        // the first pass always runs (tests drive a stopped worker); follow-ups only while running
        while (pending && (first || !stopped)) {
          const scope = pending;
          pending = null;
          first = false;
          await pass(scope);
        }
      } finally {
        pending = null;
        current = null;
      }
    })();
    return current;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void request('all').finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  return {
    /** Runs every task now (or right after the pass in progress). Resolves when done. */
    runOnce: () => request('all'),
    start(): void {
      if (!stopped) return;
      stopped = false;
      void request('all').finally(schedule);
    },
    /** Prompt delivery after a commit; a no-op when the worker is not running (tests drive runOnce). */
    kick(): void {
      if (stopped) return;
      setImmediate(() => void request('kick'));
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (current) await current;
    },
  };
}
