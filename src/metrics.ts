import type { FastifyBaseLogger } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import { type MetricsSource, RequestStats } from './http/metrics.js';
import type { WorkerObserver } from './jobs/worker.js';
import { type LoginCounter, uncountedLogins } from './modules/auth/login-counter.js';

export const METRICS_PREFIX = 'sociox_';

/** A queue waiting to be sent: its length and the age of its oldest item. */
export interface Backlog {
  pending: number;
  oldestAgeSeconds: number;
}

/** What is read at each scrape, each with one cheap statement through the module that owns the table. */
export interface ScrapeSources {
  /** the email outbox (email module) */
  emails(): Promise<Backlog>;
  /** pending webhook deliveries (webhooks module) */
  webhooks(): Promise<Backlog>;
  /** live subscriptions per plan (analytics module, the dashboard's statement) */
  subscriptions(): Promise<{ plans: { planId: string; name: string; active: number; canceled: number }[] }>;
}

/** The pg Pool's counts, from a database that tells them (`poolStats()`); the embedded one has no pool. */
interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

function poolStats(db: Db): PoolStats | null {
  const withStats = db as Db & { poolStats?: () => PoolStats };
  return typeof withStats.poolStats === 'function' ? withStats.poolStats() : null;
}

/** Everything metrics are given: which modules count into, and what the HTTP side serves. */
export interface Metrics {
  /** null when metrics are off (neither METRICS_TOKEN nor METRICS_PORT): nothing is counted */
  http: (MetricsSource & { requests: RequestStats }) | null;
  logins: LoginCounter;
  worker: WorkerObserver | undefined;
}

export const NO_METRICS: Metrics = { http: null, logins: uncountedLogins, worker: undefined };

/**
 * The service's Prometheus metrics (README "Metrics"), one registry per service graph (tests run
 * several apps in one process). Counted as things happen: requests (src/http/metrics.ts), logins
 * (the auth and admins modules, through `LoginCounter`), worker tasks (through `WorkerObserver`).
 * Read at each scrape: the database pool, the email and webhook backlogs and the live
 * subscriptions per plan, each through its owner's service. Plus Node's process metrics.
 */
export function createMetrics(deps: { config: Config['metrics']; db: Db; log: FastifyBaseLogger; sources: ScrapeSources }): Metrics {
  const { config, db, log, sources } = deps;
  if (config.token === null && config.port === null) return NO_METRICS;
  const p = METRICS_PREFIX;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: p });
  const requests = new RequestStats(p);
  requests.register(registry);

  const loginsSucceeded = new Counter({
    name: `${p}logins_succeeded_total`,
    help: 'Password logins that succeeded',
    labelNames: ['kind'],
    registers,
  });
  const loginsFailed = new Counter({
    name: `${p}logins_failed_total`,
    help: 'Password logins refused, by the error code answered (INVALID_CREDENTIALS, RATE_LIMITED for a lockout, …)',
    labelNames: ['kind', 'reason'],
    registers,
  });
  for (const kind of ['user', 'admin']) loginsSucceeded.inc({ kind }, 0);
  const taskSeconds = new Histogram({
    name: `${p}worker_task_duration_seconds`,
    help: 'Time one run of a worker task took, in seconds',
    labelNames: ['task'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers,
  });
  const taskFailures = new Counter({
    name: `${p}worker_task_failures_total`,
    help: 'Worker task runs that threw',
    labelNames: ['task'],
    registers,
  });
  const passSeconds = new Histogram({
    name: `${p}worker_pass_duration_seconds`,
    help: 'Time one worker pass took, in seconds (scope: all tasks, or the kicked ones after a commit)',
    labelNames: ['scope'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers,
  });

  const embedded = ' (always 0 on the embedded database: PGlite is one connection, no pool)';
  const poolInUse = new Gauge({ name: `${p}db_pool_connections_in_use`, help: `Pool connections running a query${embedded}`, registers });
  const poolIdle = new Gauge({ name: `${p}db_pool_connections_idle`, help: `Pool connections open and idle${embedded}`, registers });
  const poolWaiting = new Gauge({ name: `${p}db_pool_waiting`, help: `Queries waiting for a pool connection${embedded}`, registers });
  const backlog = new Gauge({
    name: `${p}outbox_pending`,
    help: 'Items waiting to be sent, by outbox (email, webhook)',
    labelNames: ['outbox'],
    registers,
  });
  const backlogAge = new Gauge({
    name: `${p}outbox_oldest_pending_age_seconds`,
    help: 'Age of the oldest item waiting to be sent, by outbox (0 when none)',
    labelNames: ['outbox'],
    registers,
  });
  const live = new Gauge({
    name: `${p}subscriptions_live`,
    help: 'Live subscriptions (active, or canceled and still in the paid period) by plan and status',
    labelNames: ['plan_id', 'plan', 'status'],
    registers,
  });
  const scrapeErrors = new Counter({
    name: `${p}metrics_source_errors_total`,
    help: 'Scrapes where a figure read from the database could not be read (its series are then absent)',
    labelNames: ['source'],
    registers,
  });

  /** One source read; a failure drops its series (no stale figure) and is counted, the rest of the scrape goes on. */
  async function read<T>(source: string, load: () => Promise<T>, apply: (value: T) => void, drop: () => void): Promise<void> {
    try {
      apply(await load());
    } catch (err) {
      drop();
      scrapeErrors.inc({ source });
      log.warn({ err: err instanceof Error ? err.message : String(err), source }, 'metrics: a figure could not be read');
    }
  }
  const outbox = (name: 'email' | 'webhook', load: () => Promise<Backlog>) =>
    read(
      name,
      load,
      (b) => {
        backlog.set({ outbox: name }, b.pending);
        backlogAge.set({ outbox: name }, b.oldestAgeSeconds);
      },
      () => {
        backlog.remove({ outbox: name });
        backlogAge.remove({ outbox: name });
      },
    );

  async function scrape(): Promise<string> {
    const pool = poolStats(db);
    poolInUse.set(pool ? pool.total - pool.idle : 0);
    poolIdle.set(pool ? pool.idle : 0);
    poolWaiting.set(pool ? pool.waiting : 0);
    await Promise.all([
      outbox('email', sources.emails),
      outbox('webhook', sources.webhooks),
      read(
        'subscriptions',
        sources.subscriptions,
        ({ plans }) => {
          live.reset();
          for (const plan of plans) {
            live.set({ plan_id: plan.planId, plan: plan.name, status: 'active' }, plan.active);
            live.set({ plan_id: plan.planId, plan: plan.name, status: 'canceled' }, plan.canceled);
          }
        },
        () => live.reset(),
      ),
    ]);
    return registry.metrics();
  }

  return {
    http: { contentType: registry.contentType, scrape, requests },
    logins: {
      succeeded: (kind) => loginsSucceeded.inc({ kind }),
      failed: (kind, reason) => loginsFailed.inc({ kind, reason }),
    },
    worker: {
      task(name, seconds, ok) {
        taskSeconds.observe({ task: name }, seconds);
        // 0 on a success: every task's series exists from its first run, so rate() has a start
        taskFailures.inc({ task: name }, ok ? 0 : 1);
      },
      pass: (scope, seconds) => passSeconds.observe({ scope }, seconds),
    },
  };
}
