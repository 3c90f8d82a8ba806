import type { FastifyBaseLogger } from 'fastify';
import { loggable } from '../logger.js';

export interface Task {
  name: string;
  run(): Promise<unknown>;
}

/**
 * The in-process worker: runs every task each `intervalMs`, and again promptly when kicked
 * (after a commit that queued an email). One pass at a time; `stop()` waits for the current one.
 */
export function createWorker(options: { intervalMs: number; tasks: Task[]; log: FastifyBaseLogger }) {
  const { intervalMs, tasks, log } = options;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = true;

  async function pass(): Promise<void> {
    for (const task of tasks) {
      try {
        const result = await task.run();
        log.debug({ task: task.name, result }, 'task ran');
      } catch (err) {
        // one broken task must not stop the others nor the loop; it runs again next pass
        log.error({ err: loggable(err), task: task.name }, 'task failed');
      }
    }
  }

  /** Runs a pass now, or once more right after the one in progress. Resolves when done. */
  function runOnce(): Promise<void> {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      try {
        do {
          again = false;
          await pass();
        } while (again && !stopped);
      } finally {
        current = null;
      }
    })();
    return current;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  return {
    runOnce,
    start(): void {
      if (!stopped) return;
      stopped = false;
      void runOnce().finally(schedule);
    },
    /** Prompt delivery after a commit; a no-op when the worker is not running (tests drive runOnce). */
    kick(): void {
      if (stopped) return;
      setImmediate(() => void runOnce());
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (current) await current;
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
