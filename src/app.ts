import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { consoleRoutes } from './http/console.js';
import { docsRoutes } from './http/docs.js';
import { installDraining } from './http/draining.js';
import { installErrorHandling } from './http/error-handler.js';
import { AppError } from './http/errors.js';
import { clientErrorHandler, frameworkErrorHandler } from './http/framework-errors.js';
import { healthRoutes } from './http/health.js';
import { installJsonParser } from './http/json-body.js';
import { installLingeringClose } from './http/lingering-close.js';
import { installMetrics } from './http/metrics.js';
import { databaseRateLimitStore } from './http/rate-limit-store.js';
import { installRequestLog, lazyChildLoggers, requestIds } from './http/request-log.js';
import { installRoutePolicy, markOptionalBodies } from './http/routing.js';
import { ErrorEnvelope } from './http/schemas.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { memoizedSerializerBuilder } from './http/serializers.js';
import { bodyStrictValidatorBuilder } from './http/validators.js';
import { adminUserRoutes } from './modules/admin-users/routes.js';
import { AdminSchema } from './modules/admins/present.js';
import { adminRoutes } from './modules/admins/routes.js';
import { analyticsRoutes } from './modules/analytics/routes.js';
import { auditRoutes } from './modules/audit/routes.js';
import { authRoutes } from './modules/auth/routes.js';
import { keyRoutes } from './modules/keys/routes.js';
import { notificationRoutes } from './modules/notifications/routes.js';
import { organisationRoutes } from './modules/organisations/routes.js';
import { planRoutes } from './modules/plans/routes.js';
import { FeaturesSchema, PlanSchema } from './modules/plans/schemas.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { SubscriptionSchema, subscriptionRoutes } from './modules/subscriptions/routes.js';
import { UserSchema } from './modules/users/present.js';
import { userRoutes } from './modules/users/routes.js';
import { webhookRoutes } from './modules/webhooks/routes.js';
import type { ServiceGraph } from './services.js';
import './http/types.js';

export const BODY_LIMIT = 1024 * 1024;

/**
 * HTTP in front of the service graph (src/services.ts): the Fastify instance, the envelope and
 * error handling, the routing policy with the guards of the auth module, rate limits, OpenAPI and
 * the routes of each module. It builds no service.
 */
export async function buildApp(graph: ServiceGraph) {
  const { platform, access, worker, services } = graph;
  const { config, db, clock, log } = platform;
  const { auth, users, admins, adminUsers, plans, subscriptions, organisations, notifications, audit, analytics } = services;
  const app = Fastify({
    loggerInstance: log,
    // one line per request (src/http/request-log.ts), not Fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggers,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    // what Fastify and Node answer before any route runs, in the envelope too
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    genReqId: requestIds(),
    // on SIGTERM a request on a connection accepted before the listener closed is served, not
    // answered Fastify's bare 503 (a balancer does not pass an already-sent POST on): docs/DEPLOYMENT.md
    return503OnClosing: false,
    // bodies validated as typed, query/params/headers coerced (src/http/validators.ts); the
    // declared type is @fastify/ajv-compiler's, which does not describe the route-schema argument
    // and each distinct schema compiled once per process (src/http/serializers.ts)
    schemaController: {
      compilersFactory: { buildValidator: bodyStrictValidatorBuilder() as never, buildSerializer: memoizedSerializerBuilder() as never },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installRequestLog(app, log, { publicReads: config.logPublicReads });
  installSecurityHeaders(app);
  installJsonParser(app, BODY_LIMIT);
  installLingeringClose(app);
  const draining = installDraining(app);
  // GET /metrics and its one onResponse hook, only when METRICS_TOKEN or METRICS_PORT is set
  const { http: metrics } = graph.metrics;
  const metricsListener = metrics ? installMetrics(app, { source: metrics, requests: metrics.requests, ...config.metrics }, log) : null;

  app.decorateRequest('user', null);
  app.decorateRequest('admin', null);
  app.addSchema(ErrorEnvelope);
  app.addSchema(UserSchema);
  app.addSchema(AdminSchema);
  app.addSchema(FeaturesSchema);
  app.addSchema(PlanSchema);
  app.addSchema(SubscriptionSchema);
  installErrorHandling(app, { conflictMessages: graph.conflictMessages });

  await app.register(rateLimit, {
    global: false,
    ...(config.rateLimitStore === 'database' ? { store: databaseRateLimitStore(db, clock, app.log) } : {}),
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Too many requests, try again in ${Math.ceil(context.ttl / 1000)} seconds`),
  });
  // RATE_LIMIT_STORE: in memory (one instance) or in the database (shared by every instance)
  const credentialLimiter = app.rateLimit({ max: config.rateLimitPerMinute, timeWindow: 60_000 });
  // who the caller is belongs to the auth module; the routing policy only runs its guards
  installRoutePolicy(app, { guards: access.guards, credentialLimiter });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SocioX Accounts API',
        version: '0.1.0',
        description:
          'Accounts, organisations and subscriptions. Serves the SocioX API and the HNG Stage 2 API; documented spellings are aliases of the canonical /api/v1 routes.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (doc) =>
      ('openapiObject' in doc
        ? markOptionalBodies(doc.openapiObject as Parameters<typeof markOptionalBodies>[0])
        : doc.swaggerObject) as never,
  });
  await app.register(docsRoutes);
  await app.register(consoleRoutes, { dir: config.consoleDir });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { db, draining });
  await app.register(authRoutes, { auth });
  await app.register(userRoutes, { users });
  await app.register(adminRoutes, { admins });
  await app.register(adminUserRoutes, { adminUsers });
  await app.register(sessionRoutes, { auth, admins, adminUsers });
  await app.register(keyRoutes, { keys: graph.keys, db, audit });
  await app.register(webhookRoutes, { webhooks: graph.webhooks });
  await app.register(auditRoutes, { audit });
  await app.register(analyticsRoutes, { analytics });
  await app.register(planRoutes, { plans });
  await app.register(subscriptionRoutes, { subscriptions });
  await app.register(notificationRoutes, { notifications });
  await app.register(organisationRoutes, { organisations });

  // the caches serve from memory only while the change feed listens
  await graph.changes.start();
  // the first start of a version with signing keys makes the first key: from then on an HS256 token
  // is one issued before (accepted until it expires), never a new one
  // (best effort: with the database away the service still starts and says so at /readyz; the key
  // is then made by the first sign-in)
  await graph.keys.current().catch((err: unknown) => log.warn({ err }, 'signing key not checked at start: the database is unavailable'));
  app.addHook('onClose', async () => {
    await worker.stop();
    await graph.changes.stop();
  });

  const extras = {
    worker,
    changes: graph.changes,
    caches: graph.caches,
    outbox: graph.outbox,
    tokens: graph.tokens,
    keys: graph.keys,
    sessions: graph.sessions,
    webhooks: graph.webhooks,
    adminRoutes: access.adminRoutes,
    userRoutes: access.userRoutes,
    services,
    metrics: graph.metrics,
    /** SIGTERM's first step: /readyz answers 503, answers close their connection (src/http/draining.ts) */
    beginShutdown: () => draining.begin(),
    /** starts the metrics' own listener when METRICS_PORT is set (after `listen`); its address, else null */
    listenMetrics: async () => (metricsListener ? metricsListener.listen() : null),
  };
  return Object.assign(app, extras) as FastifyInstance & typeof extras;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
