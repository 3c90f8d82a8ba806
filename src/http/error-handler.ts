import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loggable } from '../logger.js';
import { AppError, type ConflictMessages, ERROR_CODES, type FieldError, GENERIC_500, translateDbError } from './errors.js';
import { PATTERN_MESSAGES } from './schemas.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/permissions/0` + missingProperty → `permissions.0`; the body root is named by its context. */
function fieldOf(e: AjvError, context: string): string {
  const path = e.instancePath.replace(/^\//, '').split('/').filter(Boolean);
  if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') path.push(e.params.missingProperty);
  return path.length ? path.join('.') : context;
}

/** ajv says "must be number"; a client reads "must be a number" */
const TYPE_NAMES: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array', null: 'null' };

function describe(e: AjvError): string {
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${String(e.params.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? `a ${t}`)
        .join(' or ')}`;
    case 'format':
      return `must be a valid ${String(e.params.format)}`;
    case 'minimum':
      return `must be at least ${String(e.params.limit)}`;
    case 'maximum':
      return `must be at most ${String(e.params.limit)}`;
    case 'minLength':
      return `must be at least ${String(e.params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(e.params.limit)} characters`;
    case 'pattern':
      return PATTERN_MESSAGES[String(e.params.pattern)] ?? e.message ?? 'is invalid';
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return e.message ?? 'is invalid';
  }
}

const oneOf = (allowed: unknown[]) => (allowed.length === 1 ? `must be ${String(allowed[0])}` : `must be one of: ${allowed.join(', ')}`);

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** How many fields one 422 names at most. */
export const MAX_FIELD_ERRORS = 20;

export function validationError(error: FastifyError, request: FastifyRequest): AppError {
  const context = error.validationContext ?? 'body';
  const ajvErrors = (error.validation ?? []) as AjvError[];
  // allErrors reports every bad item of an array: the answer names the first few fields, not
  // thousands, and finds them in one pass (a list searched per error was quadratic)
  const byField = new Map<string, { message: string; allowed?: unknown[] }>();
  for (const e of ajvErrors) {
    const field = fieldOf(e, context);
    const known = byField.get(field);
    if (known) {
      // a union of literals fails once per literal (after "must be a string"): name them all
      if (e.keyword === 'const') {
        known.allowed ??= [];
        known.allowed.push(e.params.allowedValue);
        known.message = oneOf(known.allowed);
      }
    } else if (byField.size < MAX_FIELD_ERRORS) {
      const allowed = e.keyword === 'const' ? [e.params.allowedValue] : undefined;
      byField.set(field, { message: allowed ? oneOf(allowed) : describe(e), allowed });
    }
  }
  const fields: FieldError[] = [...byField].map(([field, { message }]) => ({ field, message }));
  const messages = request.routeOptions.config.messages;
  if (context === 'params' && !ajvErrors.some((e) => RANGE_KEYWORDS.has(e.keyword))) {
    // a malformed id names nothing that exists (contract §2): 404, never 500; a number out of
    // the declared range is a bad request like any other (422)
    return new AppError('NOT_FOUND', messages?.notFound ?? 'Not found');
  }
  const onlyMissing =
    ajvErrors.length > 0 && ajvErrors.every((e) => e.keyword === 'required' || (e.keyword === 'type' && e.instancePath === ''));
  const first = fields[0];
  const message =
    (onlyMissing && messages?.missing) ||
    messages?.invalid ||
    (first ? (first.field === context ? `The request ${context} is invalid` : `${first.field} ${first.message}`) : 'Invalid request');
  return new AppError('VALIDATION_FAILED', message, fields);
}

function toAppError(error: FastifyError, request: FastifyRequest, conflictMessages: ConflictMessages): AppError | null {
  if (error instanceof AppError) return error;
  if (error.validation) return validationError(error, request);
  const translated = translateDbError(error, conflictMessages);
  if (translated) return translated;
  switch (error.statusCode) {
    case 400:
      return new AppError(
        'BAD_REQUEST',
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty' : 'The request body is not valid JSON',
      );
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
    case 415:
      return new AppError('BAD_REQUEST', 'Unsupported content type: send application/json');
    case 429:
      return new AppError('RATE_LIMITED', 'Too many requests, please try again later');
    default:
      return null;
  }
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).send({
    status: false,
    message: err.message,
    code: err.code,
    ...(err.fields?.length ? { errors: err.fields } : {}),
  });
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
}

/** An unpaired UTF-16 surrogate (`"\ud800"` in JSON): UTF-8 cannot encode it, so it would be stored as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why a string cannot be stored as given, or null. */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it has an unpaired surrogate)';
  return null;
}

/**
 * The first string that PostgreSQL text cannot hold as given (a NUL, an unpaired surrogate), or
 * null. An explicit stack, not recursion: a body's depth is bounded by the JSON parser, but a walk
 * must not depend on that. Each entry points at its parent, so the path is built only when found.
 */
export function unstorableText(root: unknown): { field: string; message: string } | null {
  const stack: Visit[] = [{ value: root, key: '', parent: null }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const { value } = visit;
    if (typeof value === 'string') {
      const message = unstorable(value);
      if (message === null) continue;
      const path: string[] = [];
      for (let v: Visit | null = visit; v?.parent; v = v.parent) path.push(v.key);
      return { field: path.reverse().join('.') || 'body', message };
    }
    if (value && typeof value === 'object') {
      // pushed in reverse so the first bad field is the one named
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], key: entries[i]![0], parent: visit });
    }
  }
  return null;
}

/**
 * Every error answered in the envelope. `conflictMessages`: the words for each unique constraint a
 * client can run into, given by the modules that own the tables (the database decides every
 * duplicate, with no read before the write).
 */
export function installErrorHandling(app: FastifyInstance, options: { conflictMessages: ConflictMessages }): void {
  // a NUL or an unpaired surrogate in any string of the body or query is a clear 422 naming the
  // field, not a database error or a silently replaced character
  // synchronous hooks (callback style) here and in the other per-request hooks: an async hook
  // costs a promise per request, measured at a fifth of a trivial route's throughput
  app.addHook('preValidation', (request, _reply, done) => {
    const bad = unstorableText(request.body) ?? unstorableText(request.query);
    done(bad ? new AppError('VALIDATION_FAILED', `${bad.field} ${bad.message}`, [bad]) : undefined);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request, options.conflictMessages);
    if (appError) {
      if (appError.code === 'SERVICE_UNAVAILABLE') {
        // an outage answers every request this way: one short line each, not a stack each
        request.log.warn({ cause: { message: error.message, code: error.code } }, 'database unavailable');
      } else if (appError.status >= 500) request.log.error({ err: loggable(error) }, 'request failed');
      return sendError(reply, appError);
    }
    // the cause goes to the log, the client gets the generic message (contract §3)
    request.log.error({ err: loggable(error) }, 'unexpected error');
    return sendError(reply, new AppError('INTERNAL', GENERIC_500));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`)),
  );
}

export { ERROR_CODES };
