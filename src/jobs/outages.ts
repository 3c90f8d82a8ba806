import type { FastifyBaseLogger } from 'fastify';
import type { Task } from './worker.js';

const SKIPPED = { skipped: 'the database is unavailable' } as const;

/**
 * The worker's tasks, made calm while the database is away (`isOutage(err)`: it cannot be reached;
 * given by src/services.ts, so the worker knows no database):
 *
 * - the first failure of an outage throws as any failure does (the worker logs it once, and counts
 *   it); the failures after it, pass after pass, resolve to `{ skipped }` without a line, and the
 *   first run that succeeds again says the database is back;
 * - once a task of a pass has found the database away, the tasks after it in that pass are skipped
 *   without asking (each would wait for the connection timeout in turn: eight tasks, 16 s or more,
 *   that a shutdown would wait for); the next pass asks again, with its first task.
 *
 * Nothing is lost: what fell due meanwhile is still due, and the next pass with the database does
 * it. The worker runs a pass's tasks in the order of the list, so a task that comes at or before
 * the one that ran last begins a new pass.
 */
export function quietDuringOutages(tasks: Task[], isOutage: (err: unknown) => boolean, log: FastifyBaseLogger): Task[] {
  let away = false;
  let skipRestOfPass = false;
  let last = -1;
  return tasks.map((task, index) => ({
    ...task,
    async run(...args: Parameters<Task['run']>) {
      if (index <= last) skipRestOfPass = false;
      last = index;
      if (skipRestOfPass) return SKIPPED;
      try {
        const result = await task.run(...args);
        if (away) log.info({ task: task.name }, 'the database is back: the worker runs its tasks again');
        away = false;
        return result;
      } catch (err) {
        if (!isOutage(err)) throw err;
        skipRestOfPass = true;
        if (away) return SKIPPED;
        away = true;
        throw err;
      }
    },
  }));
}
