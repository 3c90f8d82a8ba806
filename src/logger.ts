import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

/** Anything that may carry a secret is censored before it reaches a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  '*.password',
  '*.newPassword',
  '*.new_password',
  '*.old_password',
  '*.otp',
  '*.token',
  '*.refreshToken',
  '*.secret',
  '*.password_hash',
  // PGlite's errors carry the statement's parameter values (hashes, emails): never log them
  'err.params',
];

export function loggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/** An error as the log may see it: never a database error's parameter values (PGlite attaches them). */
export function loggable(error: unknown): unknown {
  if (!(error instanceof Error) || !('params' in error)) return error;
  const e = error as Error & Record<string, unknown>;
  return { type: e.name, message: e.message, code: e.code, query: e.query, stack: e.stack };
}
