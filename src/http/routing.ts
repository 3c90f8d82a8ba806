import type { FastifyInstance, RouteOptions } from 'fastify';
import { aliasesByCanonical } from './aliases.js';
import type { UserAuthenticator } from './auth.js';

/**
 * Route-level policy applied in one place as routes are added:
 * - documented spellings (./aliases.ts) become routes sharing the canonical handler and schema;
 * - `config.auth` attaches the authentication hook (before the body is parsed or validated);
 * - `config.credential` puts the route under the per-IP credential rate limit;
 * - the OpenAPI entry gets its security requirement and alias marker.
 */
export function installRoutePolicy(
  app: FastifyInstance,
  deps: { authenticateUser: UserAuthenticator; rateLimitPerMinute: number },
): void {
  const aliases = aliasesByCanonical();

  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as NonNullable<RouteOptions['config']> & Record<string, unknown>;
    route.config = config;
    const methods = Array.isArray(route.method) ? route.method : [route.method];

    if (config.auth === 'user') {
      const authenticate = deps.authenticateUser;
      const hook = async (request: Parameters<typeof authenticate>[0]) => {
        request.user = await authenticate(request);
      };
      route.onRequest = [hook, ...(route.onRequest ? ([] as unknown[]).concat(route.onRequest) : [])] as RouteOptions['onRequest'];
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }] } as RouteOptions['schema'];
    }

    if (config.credential) {
      // one bucket per client IP shared by every credential endpoint
      config.rateLimit = { max: deps.rateLimitPerMinute, timeWindow: 60_000, groupId: 'credentials' };
    }

    if (config.aliasOf) return;
    for (const method of methods) {
      for (const url of aliases.get(`${method} ${route.url}`) ?? []) {
        app.route({
          method,
          url,
          handler: route.handler,
          config: { ...config, rateLimit: undefined, aliasOf: route.url },
          schema: {
            ...(route.schema as object),
            security: undefined,
            description: `Documented spelling of \`${method} ${route.url}\` (alias; same handler, same schema).`,
            'x-alias-of': route.url,
          } as RouteOptions['schema'],
        } as RouteOptions);
      }
    }
  });
}
