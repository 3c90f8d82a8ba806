import type { Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';

/** Accounts that log in with a password: customers and staff keep the same counters. */
export type AccountTable = 'users' | 'admins';

interface Counters {
  failed_logins: number;
  failed_login_window_start: Date | null;
}

/**
 * Per-account login lockout (contract §4): LOGIN_MAX_FAILURES failures within the window lock
 * the account until the window passes. Counted in the database, so exact across instances.
 */
export function assertNotLocked(account: Counters, maxFailures: number, windowMs: number, now: Date): void {
  if (!account.failed_login_window_start || account.failed_logins < maxFailures) return;
  const windowEnd = account.failed_login_window_start.getTime() + windowMs;
  if (windowEnd <= now.getTime()) return;
  // locked even for the right password, or guessing would simply go on
  throw new AppError('RATE_LIMITED', 'Too many failed login attempts, try again later', undefined, {
    'retry-after': String(Math.ceil((windowEnd - now.getTime()) / 1000)),
  });
}

/** The only SQL for the lockout counters. */
export const lockoutRepository = {
  /** Counts a failure inside the current window, or starts a new window. */
  async recordFailure(q: Queryable, table: AccountTable, id: string, now: Date, windowMs: number): Promise<void> {
    const inWindow = `failed_login_window_start > $2::timestamptz - make_interval(secs => $3)`;
    await q.query(
      `update ${table} set
         failed_logins = case when ${inWindow} then failed_logins + 1 else 1 end,
         failed_login_window_start = case when ${inWindow} then failed_login_window_start else $2 end
       where id = $1`,
      [id, now, windowMs / 1000],
    );
  },

  /** A successful login clears the counters and records when it happened. */
  async recordSuccess(q: Queryable, table: AccountTable, id: string, now: Date): Promise<void> {
    await q.query(`update ${table} set failed_logins = 0, failed_login_window_start = null, last_login_at = $2 where id = $1`, [id, now]);
  },
};
