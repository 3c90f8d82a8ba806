import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import {
  adminToken,
  call,
  clientAgent,
  clusterAvailable,
  createPlan,
  type Outcome,
  register,
  type SeededUser,
  sleep,
  until,
  useCluster,
} from './world.js';

/**
 * PostgreSQL restarted under a light load (issue 14): `pg_ctl stop -m fast`, about 5 s away, then
 * started again. While it is away every instance's /readyz answers 503 and every request that
 * needs the database is a fast 503 SERVICE_UNAVAILABLE with Retry-After (never a 500, never past
 * 5 s, no instance exits); once it is back every instance recovers by itself, nothing acknowledged
 * is lost, and the worker renews a subscription and sends an email that fell due while it was away.
 */

const AWAY_MS = 5_000;
/** what a request may take while the database is away (the service's timeouts: 2 s to connect, 3 s a statement) */
const BOUND_MS = 5_000;

let smtp: TestSmtp;
let smtpPort = 0;

describe.runIf(clusterAvailable())('PostgreSQL restarted mid-load', () => {
  beforeAll(async () => {
    smtp = await startSmtp();
    smtpPort = smtp.port;
  });
  afterAll(() => smtp?.close());
  const world = useCluster({
    env: { RATE_LIMIT_PER_MINUTE: '1000000' },
    get smtpUrl() {
      return `smtp://127.0.0.1:${smtpPort}`;
    },
  });

  it('503 with Retry-After while it is away, every instance back by itself, nothing acknowledged lost, the worker resumes', {
    timeout: 90_000,
  }, async () => {
    const cluster = world.get();
    const base = cluster.nginxUrl;
    const planId = await createPlan(cluster, await adminToken(cluster));
    const users: SeededUser[] = [];
    for (let i = 0; i < 6; i++) users.push(await register(base, 'pg'));
    // a subscription that falls due while the database is away, and an email that does
    const due = users[0]!;
    const subscribed = await call(base, 'POST', '/api/v1/users/subscribe', { planId, billingCycle: 'monthly' }, { token: due.token });
    expect(subscribed.status).toBe(200);
    await cluster.sql(
      // anchored a month before `now + 3 s`: its first period ends then (set as such: month ends clamp the anchor's arithmetic)
      `update subscriptions set anchor_at = a, current_period_start = a, current_period_end = now() + interval '3 seconds'
       from (select ((now() + interval '3 seconds') at time zone 'UTC' - interval '1 month') at time zone 'UTC' as a) x where id = $1`,
      [subscribed.body.data.id],
    );
    const letter = `letter-${randomUUID().slice(0, 8)}@cluster.test`;
    await cluster.sql(
      `insert into email_outbox (to_address, subject, body_text, kind, next_attempt_at)
       values ($1, 'Queued before the outage', 'due while the database is away', 'password_changed', now() + interval '3 seconds')`,
      [letter],
    );

    type Seen = Outcome & { op: string; startedAt: number };
    const seen: Seen[] = [];
    const acked: string[] = [];
    let running = true;
    const t0 = Date.now();
    const client = async (n: number) => {
      const agent = clientAgent();
      while (running) {
        const u = users[(n + seen.length) % users.length]!;
        const startedAt = Date.now() - t0;
        if (seen.length % 3 === 0) {
          const o = await call(base, 'POST', '/api/v1/organisations', { name: `pg ${randomUUID()}` }, { token: u.token, agent });
          seen.push({ ...o, op: 'org-create', startedAt });
          if (o.status === 201) acked.push(o.body.data.id);
        } else {
          seen.push({ ...(await call(base, 'GET', '/api/v1/users/me', undefined, { token: u.token, agent })), op: 'profile', startedAt });
        }
        await sleep(20);
      }
      agent.destroy();
    };
    const clients = [0, 1, 2].map(client);

    // each instance's /readyz, straight to the instance, while the database is away
    const readyz = new Map<number, number[]>(cluster.instances.map((n) => [n.index, []]));
    let watching = false;
    const watch = (async () => {
      while (running) {
        for (const n of cluster.instances) {
          if (!watching) break;
          const { status } = await call(n.url, 'GET', '/readyz', undefined, { timeoutMs: BOUND_MS });
          // an answer that came after the restart began is not one from "while away" (a round
          // begun just before it once read 200 from the two instances asked last)
          if (watching) readyz.get(n.index)!.push(status);
        }
        await sleep(250);
      }
    })();

    let stoppedAt = 0;
    let startedAt = 0;
    let recoveredAt = 0;
    let resumed: Promise<[number, number]> | null = null;
    try {
      await sleep(2_000);
      const stopping = Date.now();
      await cluster.pg.stop('fast');
      stoppedAt = Date.now() - t0;
      watching = true;
      await sleep(AWAY_MS - (Date.now() - stopping));
      watching = false;
      await cluster.pg.start();
      startedAt = Date.now() - t0;
      // the worker resumes: what fell due while the database was away is done, timed from now
      resumed = Promise.all([
        until(
          'the subscription due during the outage renewed',
          async () =>
            (
              await cluster.sql("select count(*)::int as n from subscription_events where subscription_id = $1 and type = 'renewed'", [
                subscribed.body.data.id,
              ])
            ).rows[0].n === 1,
          20_000,
          100,
        ),
        until('the email due during the outage delivered', async () => smtp.to(letter).length === 1, 20_000, 100),
      ]);
      // every instance back by itself: nothing here but asking
      await until(
        'every instance ready again',
        async () => (await Promise.all(cluster.instances.map((n) => call(n.url, 'GET', '/readyz')))).every((r) => r.status === 200),
        20_000,
        100,
      );
      recoveredAt = Date.now() - t0;
      await sleep(3_000);
    } finally {
      running = false;
      await Promise.all([...clients, watch]);
    }

    const unavailable = seen.filter((o) => o.status === 503);
    const bad = seen.filter(
      (o) =>
        !(o.status >= 200 && o.status < 300) &&
        !(
          o.status === 503 &&
          o.body?.code === 'SERVICE_UNAVAILABLE' &&
          o.body?.status === false &&
          o.headers['retry-after'] &&
          !o.headers['x-proxy-error']
        ),
    );
    const slow = seen.filter((o) => o.ms > BOUND_MS);
    const afterRecovery = seen.filter((o) => o.startedAt > recoveredAt + 500);
    const during = seen.filter((o) => o.startedAt >= stoppedAt - 1_000 && o.startedAt < startedAt);
    console.log(
      `PostgreSQL restart: stopped ${stoppedAt} ms into the load, started again at ${startedAt} ms, every instance ready again ${recoveredAt - startedAt} ms later\n` +
        `  ${seen.length} requests: ${seen.filter((o) => o.status < 300).length} succeeded, ${unavailable.length} answered 503 SERVICE_UNAVAILABLE with Retry-After ` +
        `(of ${during.length} sent from 1 s before the stop until the start), ${bad.length} otherwise (500, proxy error, network error), slowest ${Math.round(Math.max(...seen.map((o) => o.ms)))} ms, ` +
        `${afterRecovery.length} after recovery all ${afterRecovery.every((o) => o.status < 300) ? 'succeeded' : 'NOT succeeded'}\n` +
        `  /readyz while away: ${[...readyz].map(([i, s]) => `instance ${i} ${s.filter((x) => x === 503).length}×503 of ${s.length}`).join(', ')}\n` +
        `  health checks: ${cluster.healthEvents.map((e) => (e.port === null ? e.reason : `${e.port} ${e.up ? 'up' : 'down'}`)).join('; ') || 'nothing'}`,
    );
    // every instance failing together (the shared database): the checks left them all in nginx's
    // rotation, so clients got the instances' 503 with Retry-After rather than nginx's own error
    expect(cluster.healthEvents.map((e) => e.reason)).toContain(
      'every server fails its check: all left in the rotation (their own 503 answers the clients)',
    );
    expect(bad.slice(0, 5).map((o) => ({ op: o.op, status: o.status, error: o.error, body: o.body }))).toEqual([]);
    expect(slow.map((o) => ({ op: o.op, ms: Math.round(o.ms), status: o.status }))).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const [index, statuses] of readyz) {
      expect(statuses.length, `instance ${index} /readyz asked`).toBeGreaterThan(0);
      expect(
        statuses.filter((s) => s !== 503),
        `instance ${index} /readyz while away`,
      ).toEqual([]);
    }
    expect(afterRecovery.length).toBeGreaterThan(10);
    expect(afterRecovery.filter((o) => o.status >= 300).map((o) => ({ op: o.op, status: o.status, body: o.body }))).toEqual([]);
    expect(cluster.crashes()).toEqual([]);

    // nothing acknowledged lost
    const orgs = await cluster.sql('select count(*)::int as n from organisations where id = any($1::uuid[])', [acked]);
    expect(orgs.rows[0].n).toBe(acked.length);

    // the worker resumed: what fell due while the database was away is done (and not before: it was due then)
    const [renewedIn, sentIn] = await resumed!;
    const renewal = await cluster.sql(
      "select count(*)::int as n from subscription_events where subscription_id = $1 and type = 'renewed' and created_at >= $2",
      [subscribed.body.data.id, new Date(t0 + stoppedAt)],
    );
    expect(renewal.rows[0].n).toBe(1);
    // and an email queued after the restart goes out too (the kick after commit, on whichever instance)
    const forgot = await call(base, 'POST', '/api/v1/auth/forgot-password', { email: users[1]!.email });
    expect(forgot.status).toBe(200);
    const otpIn = await until('a reset code asked after the restart delivered', async () => smtp.to(users[1]!.email).length === 1, 15_000);
    const period = await cluster.sql('select period_index from subscriptions where id = $1', [subscribed.body.data.id]);
    expect(period.rows[0].period_index).toBe(1);
    console.log(
      `  writes checked: ${acked.length} organisations acknowledged (${orgs.rows[0].n} found); after recovery the subscription due during the outage ` +
        `was renewed ${renewedIn} ms after PostgreSQL was back, the email due then delivered after ${sentIn} ms, a reset code asked afterwards within ${otpIn} ms; no instance exited`,
    );
  });
});
