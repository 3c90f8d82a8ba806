import { AppError, type ErrorCode } from '../../http/errors.js';

/** Who signed in with a password: a customer (auth/service.ts) or a staff admin (admins/service.ts). */
export type LoginKind = 'user' | 'admin';

/**
 * Where logins are counted (the metrics, src/metrics.ts, inject theirs): the modules know this
 * interface, never the metrics library. `failed` is a refusal the client caused, named by its
 * error code (INVALID_CREDENTIALS, RATE_LIMITED for a lockout, ACCOUNT_DEACTIVATED, …); a login
 * that failed on the server's side (the database away) is not a failed login and is not counted.
 */
export interface LoginCounter {
  succeeded(kind: LoginKind): void;
  failed(kind: LoginKind, reason: ErrorCode): void;
}

export const uncountedLogins: LoginCounter = { succeeded: () => {}, failed: () => {} };

/** Runs one login attempt and counts how it ended. */
export async function countLogin<T>(counter: LoginCounter, kind: LoginKind, attempt: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await attempt();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) counter.failed(kind, err.code);
    throw err;
  }
  counter.succeeded(kind);
  return result;
}
