import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { aliasesByCanonical } from './aliases.js';
import { AppError } from './errors.js';
import { unboundedNumbers } from './number-bounds.js';
import type { CallerKind, RoutePermissionName } from './types.js';

/** A route-schema key (kept by @fastify/swagger, as every `x-` key is) marking a body that may be absent. */
export const OPTIONAL_BODY_MARK = 'x-optional-body';

/** @fastify/swagger always writes `requestBody.required: true`; routes marked optional get `false`. */
export function markOptionalBodies<T extends { paths?: Record<string, Record<string, unknown>> }>(doc: T): T {
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(operations) as Record<string, unknown>[]) {
      if (op && typeof op === 'object' && op[OPTIONAL_BODY_MARK]) {
        delete op[OPTIONAL_BODY_MARK];
        if (op.requestBody) (op.requestBody as { required: boolean }).required = false;
      }
    }
  }
  return doc;
}

/**
 * Who the caller is, for one kind of caller (`config.auth`). Injected, so this layer parses no
 * token and looks up no account: it only decides where in the request the guard runs.
 */
export interface CallerGuard {
  /** resolves when the caller is known and allowed (the guard records it on the request); else throws an AppError */
  check(request: FastifyRequest, permission: RoutePermissionName | undefined): Promise<void>;
  /** routes of this kind must name a permission: forgetting is a start-up error, not an open door */
  requiresPermission: boolean;
  /** told of each route of this kind as it is registered (aliases included, HEAD not): the shared guard suites walk that list */
  registered?(route: { method: string; url: string; permission: RoutePermissionName | undefined }): void;
}

export type CallerGuards = Record<CallerKind, CallerGuard>;

/**
 * Route-level policy applied in one place as routes are added:
 * - documented spellings (./aliases.ts) become routes sharing the canonical handler and schema;
 * - `config.auth` attaches that kind's injected guard (before the body is parsed or validated);
 * - `config.credential` puts the route under the one per-IP credential rate limit;
 * - a number in a query string or path without a minimum and a maximum is a start-up error;
 * - the OpenAPI entry gets its security requirement and alias marker.
 */
export function installRoutePolicy(app: FastifyInstance, deps: { guards: CallerGuards; credentialLimiter: onRequestHookHandler }): void {
  const aliases = aliasesByCanonical();

  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as NonNullable<RouteOptions['config']> & Record<string, unknown>;
    route.config = config;
    const methods = Array.isArray(route.method) ? route.method : [route.method];

    for (const part of ['querystring', 'params'] as const) {
      const unbounded = unboundedNumbers((route.schema as Record<string, unknown> | undefined)?.[part]);
      // a coerced number without a range reaches SQL (bigint overflow → 500, a huge OFFSET)
      if (unbounded.length)
        throw new Error(`${methods.join(',')} ${route.url}: ${part} ${unbounded.join(', ')} declares no minimum and maximum`);
    }

    if (config.auth) {
      const guard = deps.guards[config.auth] as CallerGuard | undefined;
      if (!guard) throw new Error(`${methods.join(',')} ${route.url}: no guard for auth '${String(config.auth)}'`);
      if (guard.requiresPermission && !config.permission) {
        throw new Error(`${config.auth} route ${methods.join(',')} ${route.url} declares no permission`);
      }
      const { permission } = config;
      const forbidden = config.messages?.forbidden;
      const hook = async (request: FastifyRequest) => {
        try {
          await guard.check(request, permission);
        } catch (err) {
          // a seed may fix the wording of its 403 (HNG: "Only an admin can create a subscription plan.")
          if (forbidden && err instanceof AppError && err.code === 'FORBIDDEN') throw new AppError('FORBIDDEN', forbidden);
          throw err;
        }
      };
      for (const method of methods) if (method !== 'HEAD') guard.registered?.({ method, url: route.url, permission });
      route.onRequest = [hook, ...(route.onRequest ? ([] as unknown[]).concat(route.onRequest) : [])] as RouteOptions['onRequest'];
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }] } as RouteOptions['schema'];
    }

    if (config.optionalBody) {
      // Fastify validates a missing body against the body schema; a seed client may send none at all
      const defaultBody = async (request: FastifyRequest) => {
        request.body ??= {};
      };
      route.preValidation = [
        defaultBody,
        ...(route.preValidation ? ([] as unknown[]).concat(route.preValidation) : []),
      ] as RouteOptions['preValidation'];
      // read by the OpenAPI transform in app.ts: the document says the body may be omitted
      route.schema = { ...route.schema, [OPTIONAL_BODY_MARK]: true } as RouteOptions['schema'];
    }

    if (config.credential) {
      // one limiter instance, so one counter per client IP across every credential route and alias
      route.onRequest = [
        deps.credentialLimiter,
        ...(route.onRequest ? ([] as unknown[]).concat(route.onRequest) : []),
      ] as RouteOptions['onRequest'];
    }

    if (config.aliasOf) return;
    for (const canonicalMethod of methods) {
      for (const { method, url } of aliases.get(`${canonicalMethod} ${route.url}`) ?? []) {
        app.route({
          method,
          url,
          handler: route.handler,
          config: { ...config, aliasOf: route.url },
          schema: {
            ...(route.schema as object),
            security: undefined,
            description: `Documented spelling of \`${canonicalMethod} ${route.url}\` (alias; same handler, same schema).`,
            'x-alias-of': route.url,
          } as RouteOptions['schema'],
        } as RouteOptions);
      }
    }
  });
}
