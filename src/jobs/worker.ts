import type { FastifyBaseLogger } from 'fastify';
import { loggable } from '../logger.js';

export interface Task {
  name: string;
  run(): Promise<unknown>;
  /** runs on a kick too (email delivery after a commit); the others wait for the interval */
  onKick?: boolean;
}

type Scope = 'kick' | 'all';

/**
 * The in-process worker: runs every task each `intervalMs`, and the `onKick` tasks promptly when
 * kicked (after a commit that queued an email). One pass at a time; a request during a pass runs
 * right after it; `stop()` waits for the pass in progress.
 */
export function createWorker(options: { intervalMs: number; tasks: Task[]; log: FastifyBaseLogger }) {
  const { intervalMs, tasks, log } = options;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let pending: Scope | null = null;
  let stopped = true;

  async function pass(scope: Scope): Promise<void> {
    for (const task of tasks) {
      if (scope === 'kick' && !task.onKick) continue;
      try {
        const result = await task.run();
        log.debug({ task: task.name, result }, 'task ran');
      } catch (err) {
        // one broken task must not stop the others nor the loop; it runs again next pass
        log.error({ err: loggable(err), task: task.name }, 'task failed');
      }
    }
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
