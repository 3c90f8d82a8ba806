import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
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

/** Where the service's log goes: standard output, or what a test gives. */
export interface LogOutput {
  isTTY?: boolean;
  write(line: string): unknown;
}

/** Development on a terminal: readable lines (when pino-pretty is installed) and the start banner. */
export function prettyLogs(config: Pick<Config, 'nodeEnv'>, out: Pick<LogOutput, 'isTTY'> = process.stdout): boolean {
  return out.isTTY === true && config.nodeEnv !== 'production';
}

/**
 * The service's logger: JSON lines (what a log collector reads), or, in development on a terminal
 * (`isTTY` and NODE_ENV not production), readable lines by pino-pretty, one per entry, with the
 * request id (`reqId`) or worker task (`task`) among its fields. pino-pretty is a devDependency:
 * production never loads it, and an install without it logs JSON. It formats each line as it is
 * written (prettyFactory, no transport thread), so nothing is lost when the process exits.
 */
export async function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>, out: LogOutput = process.stdout): Promise<pino.Logger> {
  const options = loggerOptions(config) as pino.LoggerOptions;
  if (prettyLogs(config, out)) {
    const pretty = await import('pino-pretty').catch(() => null);
    if (pretty) {
      const format = pretty.prettyFactory({
        colorize: !process.env.NO_COLOR && out === process.stdout,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,req,res,responseTime',
        singleLine: true,
        // the per-request line (src/http/request-log.ts) as `GET /api/v1/profile 200 3 ms`; its reqId stays a field
        messageFormat: (log, messageKey) => {
          const { req, res, responseTime } = log as {
            req?: { method?: string; url?: string };
            res?: { statusCode?: number };
            responseTime?: number;
          };
          if (!req || !res) return String(log[messageKey] ?? '');
          return `${req.method} ${req.url} ${res.statusCode} ${Math.round((responseTime ?? 0) * 10) / 10} ms`;
        },
      });
      return pino(options, { write: (line: string) => void out.write(format(line)) });
    }
  }
  return out === process.stdout ? pino(options) : pino(options, { write: (line: string) => void out.write(line) });
}

/** An error as the log may see it: never a database error's parameter values (PGlite attaches them). */
export function loggable(error: unknown): unknown {
  if (!(error instanceof Error) || !('params' in error)) return error;
  const e = error as Error & Record<string, unknown>;
  return { type: e.name, message: e.message, code: e.code, query: e.query, stack: e.stack };
}
