import { DatabaseBusyError, isDatabaseUnavailable } from '../db/unavailable.js';

/**
 * One error type with a closed list of stable codes, each mapped to one HTTP status.
 * Clients switch on `code`; `message` is for people and may be reworded.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  INVALID_TOKEN: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ACCOUNT_DEACTIVATED: 403,
  PLAN_LIMIT_REACHED: 403,
  /** the change needs a recent login or the current password in the body */
  REAUTH_REQUIRED: 403,
  /** the right password, but the account must choose a new one first (after an email change was reverted) */
  PASSWORD_RESET_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** the request conflicted with a concurrent one (a serialization failure, a deadlock): retry it */
  UNAVAILABLE: 503,
  /** the database cannot be reached right now (an outage, a restart): answered with Retry-After */
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldError[],
    /** extra response headers, e.g. Retry-After */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export const GENERIC_500 = 'Something went wrong, please try again later';

/** What a unique constraint's violation means, in words, by constraint name (each module gives its own). */
export type ConflictMessages = Readonly<Record<string, string>>;

/** What a client is told to wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** The answer to any request that needed a database that cannot be reached (never a 500). */
export function databaseUnavailable(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly', undefined, {
    'retry-after': String(DATABASE_RETRY_AFTER_SECONDS),
  });
}

/** Every pooled connection of this instance stayed busy: the database is there, this instance is full. */
export function serviceBusy(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'The service is busy; try again shortly', undefined, {
    'retry-after': String(DATABASE_RETRY_AFTER_SECONDS),
  });
}

/** PostgreSQL error codes we translate instead of answering 500 (Logto's habit: one place for it). */
export function translateDbError(err: unknown, conflictMessages: ConflictMessages = {}): AppError | null {
  // the server gone, restarting, out of connection slots, silent past the timeouts, or closed
  // (src/db/unavailable.ts): before the SQLSTATE switch, which would leave them a 500
  if (err instanceof DatabaseBusyError) return serviceBusy();
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  const e = err as { code?: unknown; constraint?: unknown };
  if (typeof e?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code)) return null;
  switch (e.code) {
    case '23505':
      return new AppError('CONFLICT', conflictMessages[String(e.constraint ?? '')] ?? 'The record already exists');
    case '23503':
      return new AppError('NOT_FOUND', 'A referenced record does not exist');
    case '22P02': // invalid text representation, e.g. a malformed uuid
      return new AppError('NOT_FOUND', 'Not found');
    case '22021': // a character the encoding cannot hold (NUL)
    case '22P05':
      return new AppError('VALIDATION_FAILED', 'A field contains a character that cannot be stored');
    case '22007': // invalid datetime format
    case '22008': // datetime out of range
    case '22001': // string too long for its column
    case '23514': // check constraint
      return new AppError('VALIDATION_FAILED', 'A field has an invalid value');
    case '40001': // serialization failure
    case '40P01': // deadlock
      return new AppError('UNAVAILABLE', 'The request conflicted with another one, please retry');
    default:
      return null;
  }
}
