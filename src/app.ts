import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import scalar from '@scalar/fastify-api-reference';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import { installErrorHandling } from './http/error-handler.js';
import { AppError } from './http/errors.js';
import { clientErrorHandler, frameworkErrorHandler } from './http/framework-errors.js';
import { healthRoutes } from './http/health.js';
import { installJsonParser } from './http/json-body.js';
import { installLingeringClose } from './http/lingering-close.js';
import { databaseRateLimitStore, purgeRateLimitHits } from './http/rate-limit-store.js';
import { installRoutePolicy, markOptionalBodies } from './http/routing.js';
import { ErrorEnvelope } from './http/schemas.js';
import { bodyStrictValidatorBuilder } from './http/validators.js';
import { createWorker } from './jobs/worker.js';
import { loggerOptions } from './logger.js';
import { adminUserRoutes } from './modules/admin-users/routes.js';
import { createAdminUsersService } from './modules/admin-users/service.js';
import { AdminSchema } from './modules/admins/present.js';
import { adminRoutes } from './modules/admins/routes.js';
import { createAdminsService } from './modules/admins/service.js';
import { auditRoutes } from './modules/audit/routes.js';
import { createAccess } from './modules/auth/access.js';
import { lockoutFromConfig } from './modules/auth/lockout.js';
import { passwordHasherFromConfig } from './modules/auth/passwords.js';
import { authRoutes } from './modules/auth/routes.js';
import { createAuthService } from './modules/auth/service.js';
import { createTokenService } from './modules/auth/tokens.js';
import type { Mailer } from './modules/email/mailer.js';
import { createOutbox } from './modules/email/outbox.js';
import { notificationRoutes } from './modules/notifications/routes.js';
import { organisationRoutes } from './modules/organisations/routes.js';
import { createOrganisationsService } from './modules/organisations/service.js';
import { planRoutes } from './modules/plans/routes.js';
import { FeaturesSchema, PlanSchema } from './modules/plans/schemas.js';
import { createPlansService } from './modules/plans/service.js';
import { purgeIdempotencyKeys } from './modules/subscriptions/idempotency.js';
import { SubscriptionSchema, subscriptionRoutes } from './modules/subscriptions/routes.js';
import { createSubscriptionsService } from './modules/subscriptions/service.js';
import { UserSchema } from './modules/users/present.js';
import { userRoutes } from './modules/users/routes.js';
import { createUsersService } from './modules/users/service.js';
import type { ServiceDeps } from './services.js';
import './http/types.js';

export interface AppDeps {
  config: Config;
  db: Db;
  mailer: Mailer;
  clock: Clock;
  /** tests pass a silent or capturing logger; otherwise built from config */
  logger?: FastifyBaseLogger;
}

export const BODY_LIMIT = 1024 * 1024;

export async function buildApp(deps: AppDeps) {
  const { config, db, mailer, clock } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: loggerOptions(config) }),
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    // what Fastify and Node answer before any route runs, in the envelope too
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    genReqId: () => crypto.randomUUID(),
    // bodies validated as typed, query/params/headers coerced (src/http/validators.ts); the
    // declared type is @fastify/ajv-compiler's, which does not describe the route-schema argument
    schemaController: { compilersFactory: { buildValidator: bodyStrictValidatorBuilder() as never } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installJsonParser(app, BODY_LIMIT);
  installLingeringClose(app);

  const tokens = createTokenService(config.jwtSecret, config.tokenTtlSeconds, clock);
  const outbox = createOutbox({ db, mailer, clock, log: app.log.child({ component: 'outbox' }) });
  const worker = createWorker({
    intervalMs: config.jobsIntervalMs,
    log: app.log.child({ component: 'worker' }),
    tasks: [
      { name: 'deliver-emails', run: () => outbox.deliverDue(), onKick: true },
      { name: 'renew-subscriptions', run: () => subscriptions.runDue() },
      { name: 'purge-idempotency-keys', run: () => purgeIdempotencyKeys(db, clock.now()) },
      { name: 'purge-rate-limit-hits', run: () => purgeRateLimitHits(db, clock.now()) },
      { name: 'purge-login-failures', run: () => lockoutFromConfig(config).purge(db, clock.now()) },
    ],
  });
  const services: ServiceDeps = {
    config,
    db,
    clock,
    log: app.log,
    tokens,
    passwords: passwordHasherFromConfig(config),
    outbox,
    afterCommit: () => worker.kick(),
  };
  const auth = createAuthService(services);
  const plans = createPlansService(services);
  const subscriptions = createSubscriptionsService(services);
  const users = createUsersService({ ...services, seatLimit: subscriptions.seatLimit, confirmPassword: auth.confirmPassword });
  const admins = createAdminsService(services);
  const adminUsers = createAdminUsersService({ ...services, auth, users, subscriptions });
  const organisations = createOrganisationsService(services);

  app.decorateRequest('user', null);
  app.decorateRequest('admin', null);
  app.addSchema(ErrorEnvelope);
  app.addSchema(UserSchema);
  app.addSchema(AdminSchema);
  app.addSchema(FeaturesSchema);
  app.addSchema(PlanSchema);
  app.addSchema(SubscriptionSchema);
  installErrorHandling(app);

  // a JSON API has nothing to load: the strictest CSP, except for the /docs page
  await app.register(helmet, { contentSecurityPolicy: false });
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/docs')) reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  });
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
  const access = createAccess({ db, tokens });
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
  await app.register(scalar, { routePrefix: '/docs', configuration: { url: '/openapi.json' } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { db });
  await app.register(authRoutes, { auth });
  await app.register(userRoutes, { users });
  await app.register(adminRoutes, { admins });
  await app.register(adminUserRoutes, { adminUsers });
  await app.register(auditRoutes, { db });
  await app.register(planRoutes, { plans });
  await app.register(subscriptionRoutes, { subscriptions });
  await app.register(notificationRoutes, { db, clock });
  await app.register(organisationRoutes, { organisations });

  app.addHook('onClose', async () => {
    await worker.stop();
  });

  const extras = {
    worker,
    outbox,
    tokens,
    adminRoutes: access.adminRoutes,
    services: { auth, users, admins, adminUsers, plans, subscriptions },
  };
  return Object.assign(app, extras) as FastifyInstance & typeof extras;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
