import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { createChangeFeed } from './db/changes.js';
import { type Db, isDatabaseUnavailable } from './db/index.js';
import { purgeRateLimitHits } from './http/rate-limit-store.js';
import { quietDuringOutages } from './jobs/outages.js';
import { createWorker, type Task } from './jobs/worker.js';
import { createMetrics } from './metrics.js';
import { createAdminUsersService } from './modules/admin-users/service.js';
import { ADMINS_CONFLICTS } from './modules/admins/present.js';
import { createAdminsService } from './modules/admins/service.js';
import { createAnalyticsService } from './modules/analytics/service.js';
import { createAuditService } from './modules/audit/service.js';
import { createAccess } from './modules/auth/access.js';
import { lockoutFromConfig } from './modules/auth/lockout.js';
import { passwordHasherFromConfig } from './modules/auth/passwords.js';
import { createAuthService } from './modules/auth/service.js';
import { createTokenService } from './modules/auth/tokens.js';
import type { Mailer } from './modules/email/mailer.js';
import { createOutbox } from './modules/email/outbox.js';
import { createSigningKeys } from './modules/keys/service.js';
import { createNotificationsService } from './modules/notifications/service.js';
import { createOrganisationsService } from './modules/organisations/service.js';
import { createPlansService, PLANS_CONFLICTS } from './modules/plans/service.js';
import { createSessions } from './modules/sessions/service.js';
import { purgeIdempotencyKeys } from './modules/subscriptions/idempotency.js';
import { SUBSCRIPTIONS_CONFLICTS } from './modules/subscriptions/lifecycle.js';
import { createSubscriptionsService } from './modules/subscriptions/service.js';
import { createAccountCache } from './modules/users/account-cache.js';
import { createAccounts } from './modules/users/accounts.js';
import { USERS_CONFLICTS } from './modules/users/present.js';
import { createUsersService } from './modules/users/service.js';
import { createWebhooks } from './modules/webhooks/service.js';

/** What the service graph is built from: the outside world, passed in, never imported as a singleton. */
export interface Platform {
  config: Config;
  db: Db;
  clock: Clock;
  mailer: Mailer;
  log: FastifyBaseLogger;
}

/**
 * The one composition root: every service, each given only what it declares, the request guards,
 * and the worker with its tasks. `buildApp` puts HTTP in front of it; the CLI and the tests reuse it.
 *
 * The order below is the dependency order, with no cycle: the users module is two objects, its
 * `accounts` (what other modules ask about an account: auth, subscriptions, organisations, the
 * guards) built early, and its profile service built after the services it asks (the seat limit of
 * subscriptions, the password check of auth, the organisations closing with a deleted account).
 */
export function buildServices(platform: Platform) {
  const { config, db, clock, mailer, log } = platform;

  const passwords = passwordHasherFromConfig(config);
  const lockout = lockoutFromConfig(config);
  // the outbox kicks the worker built below (a closure: bound when an email is first queued)
  const outbox = createOutbox({ db, mailer, clock, log: log.child({ component: 'outbox' }), kick: () => worker.kick() });
  // GET /metrics (README "Metrics"); what it reads at a scrape is asked of the services built below
  const metrics = createMetrics({
    config: config.metrics,
    db,
    log: log.child({ component: 'metrics' }),
    sources: { emails: () => outbox.backlog(), webhooks: () => webhooks.backlog(), subscriptions: () => analytics.subscriptions() },
  });

  // committed changes of other instances (and this one) drop what the caches hold
  const changes = createChangeFeed(db, log.child({ component: 'changes' }));
  const keys = createSigningKeys({
    db,
    clock,
    changes,
    secret: config.keyEncryptionSecret,
    // a superseded key verifies until the last token it signed has expired (and a minute of clock skew)
    publishedForMs: (config.tokenTtlSeconds + 60) * 1000,
  });
  const tokens = createTokenService({
    secret: config.jwtSecret,
    ttlSeconds: config.tokenTtlSeconds,
    clock,
    keys,
    issuer: config.appUrl,
    audience: config.tokenAudience,
  });
  const sessions = createSessions({ db, clock, changes, config, secret: config.keyEncryptionSecret });
  const audit = createAuditService({ db, clock });
  // the one place a new side effect of a change hooks in: events, delivered by the worker
  const webhooks = createWebhooks({
    db,
    clock,
    config,
    audit,
    outbox,
    superadminEmails: (q) => admins.superadminEmails(q),
    log: log.child({ component: 'webhooks' }),
    kick: () => worker.kick(),
  });
  const notifications = createNotificationsService({ db, clock, changes });
  const plans = createPlansService({ db, clock, audit, changes, events: webhooks });
  const accountCache = createAccountCache({ db, changes });
  const accounts = createAccounts({ db, clock, config, outbox, cache: accountCache, sessions });
  const organisations = createOrganisationsService({ db, clock, notifications, accounts, events: webhooks });
  const subscriptions = createSubscriptionsService({ db, clock, config, plans, accounts, notifications, audit, events: webhooks });
  const auth = createAuthService({
    db,
    clock,
    config,
    tokens,
    sessions,
    passwords,
    outbox,
    lockout,
    accounts,
    notifications,
    events: webhooks,
    logins: metrics.logins,
  });
  const users = createUsersService({
    db,
    clock,
    config,
    passwords,
    outbox,
    organisations,
    cache: accountCache,
    endSessions: accounts.endSessions,
    events: webhooks,
    seatLimit: subscriptions.seatLimit,
    confirmPassword: auth.confirmPassword,
  });
  const admins = createAdminsService({ db, clock, tokens, sessions, passwords, lockout, audit, logins: metrics.logins });
  const adminUsers = createAdminUsersService({
    db,
    passwords,
    accounts,
    users,
    subscriptions,
    organisations,
    audit,
    auth,
    sessions,
    events: webhooks,
  });
  const analytics = createAnalyticsService({ db, clock });
  const access = createAccess({ tokens, sessions, users: accounts, admins });

  // a task the database's absence stops says so once per outage, not on every pass (src/jobs/outages.ts)
  const tasks: Task[] = quietDuringOutages(
    [
      { name: 'deliver-emails', run: (taskLog: FastifyBaseLogger) => outbox.deliverDue(taskLog), onKick: true },
      { name: 'renew-subscriptions', run: () => subscriptions.runDue() },
      { name: 'purge-idempotency-keys', run: () => purgeIdempotencyKeys(db, clock.now()) },
      { name: 'purge-rate-limit-hits', run: () => purgeRateLimitHits(db, clock.now()) },
      { name: 'purge-login-failures', run: () => lockout.purge(db, clock.now()) },
      { name: 'sweep-ended-sessions', run: () => sessions.sweep() },
      { name: 'deliver-webhooks', run: (taskLog: FastifyBaseLogger) => webhooks.deliverDue(taskLog), onKick: true },
      { name: 'prune-webhook-events', run: () => webhooks.prune() },
    ],
    isDatabaseUnavailable,
    log.child({ component: 'worker' }),
  );
  const worker = createWorker({
    intervalMs: config.jobsIntervalMs,
    log: log.child({ component: 'worker' }),
    tasks,
    observer: metrics.worker,
  });

  return {
    platform,
    changes,
    caches: { accounts: accountCache },
    /** the words for every unique constraint a client can run into, from the modules that own them */
    conflictMessages: { ...USERS_CONFLICTS, ...ADMINS_CONFLICTS, ...PLANS_CONFLICTS, ...SUBSCRIPTIONS_CONFLICTS },
    tokens,
    keys,
    sessions,
    webhooks,
    outbox,
    access,
    worker,
    tasks,
    metrics,
    services: { auth, users, accounts, admins, adminUsers, plans, subscriptions, organisations, notifications, audit, analytics },
  };
}

export type ServiceGraph = ReturnType<typeof buildServices>;
