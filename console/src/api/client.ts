import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/**
 * The typed client of the service's own API. `schema.d.ts` is generated from the service's
 * OpenAPI document at build time (scripts/build-console.mjs), so a change to a route's schema is a
 * type error here or in the page that uses it.
 */
export type User = components['schemas']['User'];
export type Admin = components['schemas']['Admin'];
export type Plan = components['schemas']['Plan'];
export type PlanFeatures = components['schemas']['PlanFeatures'];
export type Subscription = components['schemas']['Subscription'];
export type AdminPermission = NonNullable<
  paths['/api/v1/admin/admins']['post']['requestBody']
>['content']['application/json']['permissions'] extends (infer P)[] | undefined
  ? P
  : never;

export type AuditAction = NonNullable<NonNullable<paths['/api/v1/admin/audit-log']['get']['parameters']['query']>['action']>;

export interface FieldError {
  field: string;
  message: string;
}

/** An answer that is not a success: the envelope's message, code and field errors, and the HTTP status (0: no answer). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

interface Auth {
  token(): string | null;
  /** a 401 to a request that carried a token: the session is over */
  expired(): void;
}

let auth: Auth = { token: () => null, expired: () => {} };

/** The session module tells the client where the token is and what a 401 means. */
export function connectAuth(a: Auth): void {
  auth = a;
}

const bearer: Middleware = {
  onRequest({ request }) {
    const token = auth.token();
    if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('authorization')) auth.expired();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '' });
api.use(bearer);

function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') {
    const b = body as { message: string; code?: unknown; errors?: unknown };
    const errors = Array.isArray(b.errors) ? (b.errors as FieldError[]) : [];
    return new ApiError(status, b.message, typeof b.code === 'string' ? b.code : 'ERROR', errors);
  }
  return new ApiError(status, `The service answered ${status}`, 'ERROR');
}

/** The success body of a call, or an ApiError carrying the error envelope. */
export async function ok<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, 'The service could not be reached. Check your connection and try again.', 'NETWORK');
  }
  if (result.response.ok && result.data !== undefined) return result.data;
  throw toApiError(result.response.status, result.error);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
