import type { Queryable, Statement } from '../../db/index.js';
import { AppError } from '../../http/errors.js';

/** Accounts that log in with a password: customers and staff keep the same counters. */
export type AccountKind = 'users' | 'admins';

/**
 * Login lockout, counted in the database (exact across instances):
 * - per account and client IP: `perIp.max` failures within `perIp.windowMs` lock that IP out of
 *   that account (contract §4's LOGIN_MAX_FAILURES per 15 minutes), so an attacker's guesses do
 *   not lock the owner out from the owner's own network;
 * - per account from every IP: `perAccount.max` failures within `perAccount.windowMs` lock the
 *   account everywhere (LOGIN_MAX_FAILURES_PER_ACCOUNT per hour), against distributed guessing.
 * While locked even the right password is refused, or guessing would simply go on.
 */
export interface LockoutPolicy {
  perIp: { max: number; windowMs: number };
  perAccount: { max: number; windowMs: number };
}

/** The scope of the account-wide row; every other scope is a client IP. */
const ACCOUNT_WIDE = '*';

interface CounterRow {
  scope: string;
  failures: number;
  window_start: Date;
}

export function createLockout(policy: LockoutPolicy) {
  const limitOf = (scope: string) => (scope === ACCOUNT_WIDE ? policy.perAccount : policy.perIp);
  const longestWindowMs = Math.max(policy.perIp.windowMs, policy.perAccount.windowMs);

  /**
   * 429 with Retry-After when this IP, or every IP together, has used up its failures. Else says
   * whether this IP has failures counted (`ipCounted`): a login that succeeds clears them only
   * then (most logins have none: a write saved per login).
   */
  function check(rows: readonly CounterRow[], ip: string, now: Date): { ipCounted: boolean } {
    let lockedUntil = 0;
    for (const row of rows) {
      const { max, windowMs } = limitOf(row.scope);
      const windowEnd = row.window_start.getTime() + windowMs;
      if (row.failures >= max && windowEnd > now.getTime()) lockedUntil = Math.max(lockedUntil, windowEnd);
    }
    if (lockedUntil === 0) return { ipCounted: rows.some((row) => row.scope === ip) };
    throw new AppError('RATE_LIMITED', 'Too many failed login attempts, try again later', undefined, {
      'retry-after': String(Math.ceil((lockedUntil - now.getTime()) / 1000)),
    });
  }

  /**
   * The counters of the account `account` finds (a subquery on its own parameters, `$1`…), as a
   * statement: a login reads them in one batch with the account's credentials (`Db.batch`), then
   * `check`s them as `assertOpen` does.
   */
  function counters(kind: AccountKind, account: { sql: string; params: readonly unknown[] }, ip: string): Statement<CounterRow> {
    const n = account.params.length;
    return {
      sql: `select scope, failures, window_start from login_failures
            where account_kind = $${n + 1} and account_id = (${account.sql}) and scope in ($${n + 2}, $${n + 3})`,
      params: [...account.params, kind, ip, ACCOUNT_WIDE],
    };
  }

  return {
    /**
     * `check` on the counters of the account with this id (a password re-typed by a signed-in
     * account: its id is known).
     */
    async assertOpen(q: Queryable, kind: AccountKind, accountId: string, ip: string, now: Date): Promise<{ ipCounted: boolean }> {
      const { sql, params } = counters(kind, { sql: 'select $1::uuid', params: [accountId] }, ip);
      const { rows } = await q.query<CounterRow>(sql, params);
      return check(rows, ip, now);
    },

    counters,

    check,

    /** Counts a failure for this IP and for the account, each in its current window or a new one. */
    async recordFailure(q: Queryable, kind: AccountKind, accountId: string, ip: string, now: Date): Promise<void> {
      await q.query(
        `insert into login_failures (account_kind, account_id, scope, failures, window_start)
         values ($1, $2, $3, 1, $5), ($1, $2, $4, 1, $5)
         on conflict (account_kind, account_id, scope) do update set
           failures = case when login_failures.window_start > $5::timestamptz - make_interval(secs => case when excluded.scope = $4 then $7::float8 else $6::float8 end)
             then login_failures.failures + 1 else 1 end,
           window_start = case when login_failures.window_start > $5::timestamptz - make_interval(secs => case when excluded.scope = $4 then $7::float8 else $6::float8 end)
             then login_failures.window_start else $5 end`,
        [kind, accountId, ip, ACCOUNT_WIDE, now, policy.perIp.windowMs / 1000, policy.perAccount.windowMs / 1000],
      );
    },

    /**
     * The right password from this IP clears this IP's count (the owner's own typos). The
     * account-wide count stays: a login by the owner must not hand a distributed guesser a fresh budget.
     * A statement, for the sign-in's batch (`Db.batch`).
     */
    recordSuccess(kind: AccountKind, accountId: string, ip: string): Statement {
      return {
        sql: 'delete from login_failures where account_kind = $1 and account_id = $2 and scope = $3',
        params: [kind, accountId, ip],
      };
    },

    /** A new password (reset or change) starts the account afresh everywhere. */
    async clear(q: Queryable, kind: AccountKind, accountId: string): Promise<void> {
      await q.query('delete from login_failures where account_kind = $1 and account_id = $2', [kind, accountId]);
    },

    /** The worker's housekeeping: counters whose every window has passed. */
    async purge(q: Queryable, now: Date): Promise<number> {
      const { rowCount } = await q.query('delete from login_failures where window_start <= $1', [
        new Date(now.getTime() - longestWindowMs),
      ]);
      return rowCount;
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;

/** The policy the configuration asks for (README: LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ACCOUNT). */
export function lockoutFromConfig(config: {
  loginMaxFailures: number;
  loginFailureWindowMs: number;
  loginMaxFailuresPerAccount: number;
}): Lockout {
  return createLockout({
    perIp: { max: config.loginMaxFailures, windowMs: config.loginFailureWindowMs },
    perAccount: { max: config.loginMaxFailuresPerAccount, windowMs: 60 * 60_000 },
  });
}
