/**
 * GET /metrics (issue 14, "Operability"; README "Metrics"): Prometheus text, behind METRICS_TOKEN
 * on the public port or on a listener of its own (METRICS_PORT), absent otherwise. What it counts:
 * requests by route pattern and status class (never the concrete URL), logins that succeeded or
 * failed, worker task failures; what it reads at a scrape: the email outbox's backlog and age, the
 * live subscriptions per plan.
 */
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorker } from '../src/jobs/worker.js';
import { bootstrapSuperadmin, createPlan, subscribed, userLogin } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';

const TOKEN = 'metrics-token-0123456789-abcdefghij';

/** The value of one series in a scrape (0 when it is absent). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(/,(?=[a-z_]+=")/) : [];
    if (wanted.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe('/metrics behind METRICS_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.create({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => h.close());
  beforeEach(() => h.reset());

  async function scrape(): Promise<string> {
    const res = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  }

  it('answers 401 without the token or with a wrong one, and Prometheus text with it', async () => {
    const none = await h.get('/metrics');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ status: false, code: 'UNAUTHENTICATED' });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), 'short']) {
      const res = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${wrong}` } });
      expect(res.statusCode, wrong).toBe(401);
    }
    expect((await h.request('GET', '/metrics', { headers: { authorization: TOKEN } })).statusCode).toBe(401);

    const ok = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toContain('text/plain; version=0.0.4');
    // Node's process metrics, under the service's prefix
    expect(ok.body).toMatch(/^sociox_process_cpu_user_seconds_total \d/m);
    expect(ok.body).toMatch(/^sociox_nodejs_eventloop_lag_seconds /m);
    // the pool's figures exist on every database (0 on the embedded one, which has no pool)
    expect(ok.body).toMatch(/^sociox_db_pool_connections_in_use \d+/m);
    expect(ok.body).toMatch(/^sociox_db_pool_waiting \d+/m);
    const open = value(ok.body, 'sociox_db_pool_connections_in_use') + value(ok.body, 'sociox_db_pool_connections_idle');
    if (h.db.kind === 'postgres') expect(open).toBeGreaterThan(0);
    else expect(open).toBe(0);
    // hidden from the API's document
    expect(Object.keys((await h.get('/openapi.json')).json().paths)).not.toContain('/metrics');
  });

  it('counts requests by route pattern and status class, never by the concrete URL', async () => {
    const root = await bootstrapSuperadmin(h);
    const user = await h.registerUser();
    const route = { method: 'GET', route: '/api/v1/admin/users/:userId' };
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await h.get(`/api/v1/admin/users/${user.id}`, root.token)).statusCode).toBe(200);
    expect((await h.get('/api/v1/admin/users/3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', root.token)).statusCode).toBe(404);
    expect((await h.get(`/api/v1/no/such/route/${user.id}`)).statusCode).toBe(404);
    const after = await scrape();

    const ok = { ...route, status_class: '2xx' };
    const missing = { ...route, status_class: '4xx' };
    expect(value(after, 'sociox_http_requests_total', ok) - value(before, 'sociox_http_requests_total', ok)).toBe(3);
    expect(value(after, 'sociox_http_requests_total', missing) - value(before, 'sociox_http_requests_total', missing)).toBe(1);
    expect(value(after, 'sociox_http_request_duration_seconds_count', ok)).toBe(value(after, 'sociox_http_requests_total', ok));
    expect(value(after, 'sociox_http_request_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(
      value(after, 'sociox_http_requests_total', ok),
    );
    expect(value(after, 'sociox_http_request_duration_seconds_sum', ok)).toBeGreaterThan(0);
    // a route nobody matched is one fixed label, whatever its path
    expect(value(after, 'sociox_http_requests_total', { method: 'GET', route: '(unmatched)', status_class: '4xx' })).toBeGreaterThan(0);
    expect(after).not.toContain(user.id);
    expect(after).not.toContain('/no/such/route');
  });

  it('counts user and admin logins that succeeded and failed', async () => {
    const user = await h.registerUser();
    const root = await bootstrapSuperadmin(h);
    const before = await scrape();
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
    expect((await userLogin(h, user.email, 'not the password')).statusCode).toBe(401);
    expect((await userLogin(h, 'nobody@example.com', 'not the password')).statusCode).toBe(401);
    expect((await h.post('/api/v1/admin/login', { email: root.email, password: 'not the password' })).statusCode).toBe(401);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta('sociox_logins_succeeded_total', { kind: 'user' })).toBe(1);
    expect(delta('sociox_logins_failed_total', { kind: 'user', reason: 'INVALID_CREDENTIALS' })).toBe(2);
    expect(delta('sociox_logins_failed_total', { kind: 'admin', reason: 'INVALID_CREDENTIALS' })).toBe(1);
    // bootstrapSuperadmin logged the admin in once, before `before`
    expect(value(after, 'sociox_logins_succeeded_total', { kind: 'admin' })).toBeGreaterThanOrEqual(1);
    expect(delta('sociox_logins_succeeded_total', { kind: 'admin' })).toBe(0);
  });

  it('shows a pending email in the outbox backlog with its age, and 0 once it is sent', async () => {
    const empty = await scrape();
    expect(value(empty, 'sociox_outbox_pending', { outbox: 'email' })).toBe(0);
    expect(value(empty, 'sociox_outbox_pending', { outbox: 'webhook' })).toBe(0);
    const user = await h.registerUser();
    expect((await h.post('/api/v1/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    h.clock.advance(90_000);
    const waiting = await scrape();
    expect(value(waiting, 'sociox_outbox_pending', { outbox: 'email' })).toBeGreaterThanOrEqual(1);
    expect(value(waiting, 'sociox_outbox_oldest_pending_age_seconds', { outbox: 'email' })).toBeGreaterThanOrEqual(90);
    await h.deliver();
    const sent = await scrape();
    expect(value(sent, 'sociox_outbox_pending', { outbox: 'email' })).toBe(0);
    expect(value(sent, 'sociox_outbox_oldest_pending_age_seconds', { outbox: 'email' })).toBe(0);
  });

  it('shows live subscriptions by plan', async () => {
    const root = await bootstrapSuperadmin(h);
    const plan = await createPlan(h, root.token, { name: 'metrics-pro' });
    await subscribed(h, await h.registerUser(), plan.id);
    await subscribed(h, await h.registerUser(), plan.id, 'yearly');
    const text = await scrape();
    expect(value(text, 'sociox_subscriptions_live', { plan_id: plan.id, plan: 'metrics-pro', status: 'active' })).toBe(2);
    expect(value(text, 'sociox_subscriptions_live', { plan_id: plan.id, plan: 'metrics-pro', status: 'canceled' })).toBe(0);
  });

  it('counts worker task runs and failures per task', async () => {
    // a worker with the app's observer and a task that throws, as test/worker.test.ts makes one
    const worker = createWorker({
      intervalMs: 60_000,
      log: pino({ level: 'silent' }),
      observer: h.app.metrics.worker,
      tasks: [
        {
          name: 'broken-task',
          run: async () => {
            throw new Error('boom');
          },
        },
        { name: 'fine-task', run: async () => 'ok' },
      ],
    });
    await worker.runOnce();
    await worker.runOnce();
    const text = await scrape();
    expect(value(text, 'sociox_worker_task_failures_total', { task: 'broken-task' })).toBe(2);
    expect(value(text, 'sociox_worker_task_failures_total', { task: 'fine-task' })).toBe(0);
    expect(text).toMatch(/^sociox_worker_task_failures_total\{task="fine-task"\} 0$/m);
    expect(value(text, 'sociox_worker_task_duration_seconds_count', { task: 'fine-task' })).toBe(2);
    expect(value(text, 'sociox_worker_pass_duration_seconds_count', { scope: 'all' })).toBeGreaterThanOrEqual(2);
    // the app's own worker reports through the same observer
    await h.deliver();
    expect(value(await scrape(), 'sociox_worker_task_duration_seconds_count', { task: 'deliver-emails' })).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics without METRICS_TOKEN or METRICS_PORT', () => {
  it('does not exist', async () => {
    const h = await Harness.create();
    try {
      const res = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(404);
      expect(h.app.metrics.http).toBeNull();
    } finally {
      await h.close();
    }
  });
});

describe('/metrics on METRICS_PORT', () => {
  it('is served on its own listener (METRICS_HOST) and not on the public port', async () => {
    const h = await Harness.create({ env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' } });
    try {
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const metrics = await h.app.listenMetrics();
      expect(metrics).not.toBeNull();
      expect(metrics!.address).toBe('127.0.0.1');
      const publicAddress = h.app.server.address() as { port: number };
      expect(metrics!.port).not.toBe(publicAddress.port);

      expect((await fetch(`http://127.0.0.1:${publicAddress.port}/metrics`)).status).toBe(404);
      expect((await h.get('/metrics')).statusCode).toBe(404);
      const res = await fetch(`http://127.0.0.1:${metrics!.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      // the public port's two 404s (over the network and injected), counted by the same app
      expect(await res.text()).toMatch(/^sociox_http_requests_total\{method="GET",route="\(unmatched\)",status_class="4xx"\} 2$/m);
      expect((await fetch(`http://127.0.0.1:${metrics!.port}/other`)).status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('requires METRICS_TOKEN there too when both are set', async () => {
    const h = await Harness.create({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    try {
      const metrics = await h.app.listenMetrics();
      const url = `http://127.0.0.1:${metrics!.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
    } finally {
      await h.close();
    }
  });
});
