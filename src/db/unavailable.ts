/**
 * "The database cannot be reached", as opposed to "the database refused this statement". The first
 * is answered 503 with Retry-After and logged once per worker task per outage; the second keeps its
 * own translation (a conflict, a bad value) or is a 500. DECISIONS "Database outages (issue 14)".
 */

/** Thrown by this service's own database adapters: the database was closed (shutdown under way). */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(message = 'The database is closed') {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * Every connection of this instance's pool stayed busy past DATABASE_CONNECT_TIMEOUT_MS: the
 * database answers, this instance has more requests than connections. Still a 503 with Retry-After,
 * but said as what it is ("busy"), not as a database that is gone.
 */
export class DatabaseBusyError extends DatabaseUnavailableError {
  readonly busy = true;
  constructor(options?: { cause?: unknown }) {
    super('Every pooled database connection stayed busy past DATABASE_CONNECT_TIMEOUT_MS');
    this.name = 'DatabaseBusyError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * SQLSTATEs of a server that is going away, not yet accepting connections, or out of connection
 * slots: class 08 (connection exception) is matched as a class below.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping or restarting (fast/smart shutdown)
  '57P02', // crash_shutdown: another backend crashed, every session is terminated
  '57P03', // cannot_connect_now: starting up, shutting down, or in recovery
  '53300', // too_many_connections
]);

/** Node's socket errors when the server's address cannot be reached or the connection broke. */
const UNAVAILABLE_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What node-postgres (pg, pg-pool) and PGlite say, with no code, when the connection is gone, cannot
 * be made in time, or a statement got no answer in time (the client-side query timeout). Matched at
 * the start of the message: pg words these itself, they never carry a statement's text.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated', // "… unexpectedly", "… due to connection timeout", or ended while a query waited
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect', // pg-pool: no connection within connectionTimeoutMillis
  'Query read timeout', // pg: no answer within query_timeout
  'Cannot use a pool after calling end on the pool', // shutdown under way
  'Connection ended unexpectedly',
  'PGlite is closed',
  'PGlite is closing',
];

/** True when `err` says the database cannot be reached (now), not that it refused what was asked. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code)) return true;
    if (UNAVAILABLE_SYSCALL_CODES.has(e.code)) return true;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => (e.message as string).startsWith(m))) return true;
  // Node's connect to a name with several addresses fails with an AggregateError of one per address
  // (its causes are not followed: a webhook's failed fetch has a socket error as its cause too)
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isDatabaseUnavailable(inner, depth + 1));
}
