import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loggable } from '../logger.js';
import { AppError, ERROR_CODES, GENERIC_500, translateDbError, type FieldError } from './errors.js';

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

function describe(e: AjvError): string {
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'format':
      return `must be a valid ${String(e.params.format)}`;
    case 'minLength':
      return `must be at least ${String(e.params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(e.params.limit)} characters`;
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    default:
      return e.message ?? 'is invalid';
  }
}

export function validationError(error: FastifyError, request: FastifyRequest): AppError {
  const context = error.validationContext ?? 'body';
  const ajvErrors = (error.validation ?? []) as AjvError[];
  const fields: FieldError[] = [];
  for (const e of ajvErrors) {
    const field = fieldOf(e, context);
    if (!fields.some((f) => f.field === field)) fields.push({ field, message: describe(e) });
  }
  const messages = request.routeOptions.config.messages;
  if (context === 'params') {
    // a malformed id names nothing that exists (contract §2): 404, never 500
    return new AppError('NOT_FOUND', messages?.notFound ?? 'Not found');
  }
  const onlyMissing = ajvErrors.length > 0 && ajvErrors.every((e) => e.keyword === 'required' || e.keyword === 'type' && e.instancePath === '');
  const first = fields[0];
  const message =
    (onlyMissing && messages?.missing) ||
    messages?.invalid ||
    (first ? (first.field === context ? `The request ${context} is invalid` : `${first.field} ${first.message}`) : 'Invalid request');
  return new AppError('VALIDATION_FAILED', message, fields);
}

function toAppError(error: FastifyError, request: FastifyRequest): AppError | null {
  if (error instanceof AppError) return error;
  if (error.validation) return validationError(error, request);
  const translated = translateDbError(error);
  if (translated) return translated;
  switch (error.statusCode) {
    case 400:
      return new AppError('BAD_REQUEST', error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The JSON body is empty' : 'The request body is not valid JSON');
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

/** Where a string holds a NUL (PostgreSQL text cannot store one), or null. */
function nulPath(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || 'body' : null;
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = nulPath(v, [...path, k]);
      if (found !== null) return found;
    }
  }
  return null;
}

export function installErrorHandling(app: FastifyInstance): void {
  // a NUL in any string of the body or query is a clear 422 naming the field, not a database error
  app.addHook('preValidation', async (request) => {
    const field = nulPath(request.body) ?? nulPath(request.query);
    if (field !== null) throw new AppError('VALIDATION_FAILED', `${field} contains a NUL character`, [{ field, message: 'must not contain a NUL character' }]);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request);
    if (appError) {
      if (appError.status >= 500) request.log.error({ err: loggable(error) }, 'request failed');
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
