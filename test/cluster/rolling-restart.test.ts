import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../scripts/cluster.mjs';
import {
  adminToken,
  type CallOptions,
  call,
  clientAgent,
  clusterAvailable,
  createPlan,
  type Outcome,
  register,
  type SeededUser,
  sleep,
  Tally,
  useCluster,
} from './world.js';

/**
 * Rolling restart under load (issue 14): clients keep logging in, reading profiles, subscribing,
 * creating organisations and registering through nginx while each instance in turn gets SIGTERM,
 * exits and is started again on its port: once drained at nginx by hand first, once with SIGTERM
 * alone (the instance's SHUTDOWN_DELAY_MS and the active health checks on /readyz do the draining). Not one request may fail at the client (every answer a
 * 2xx, or the 409 of a second subscription), and every write the client saw acknowledged is in the
 * database afterwards.
 */

const CLIENTS = 6;
const USERS = 30;
const WARMUP_MS = 3_000;
/** after each instance is back: the next restart meets a full load again (about 25 s of load in all) */
const BETWEEN_RESTARTS_MS = 4_000;
const COOLDOWN_MS = 3_000;

interface Acked {
  orgs: string[];
  subscriptions: Array<{ id: string; userId: string }>;
  users: string[];
}

/** Runs the mixed load through nginx while `during` runs (and a moment after); what it saw. */
async function underLoad(cluster: Cluster, during: () => Promise<void>): Promise<{ tally: Tally; acked: Acked }> {
  const base = cluster.nginxUrl;
  const planId = await createPlan(cluster, await adminToken(cluster));
  const users: SeededUser[] = [];
  for (let i = 0; i < USERS; i++) users.push(await register(base, 'load'));
  const unsubscribed = [...users];
  const tally = new Tally();
  const acked: Acked = { orgs: [], subscriptions: [], users: [] };
  let running = true;

  const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const client = async () => {
    const agent = clientAgent();
    const opts = (u: SeededUser): CallOptions => ({ token: u.token, agent });
    const record = (op: string, o: Outcome, ...expected: number[]) => {
      tally.record(op, o, expected.includes(o.status));
      return expected.includes(o.status) ? o : null;
    };
    while (running) {
      const r = Math.random();
      const u = pick(users);
      if (r < 0.15) {
        const o = record('login', await call(base, 'POST', '/api/v1/auth/login', { email: u.email, password: u.password }, { agent }), 200);
        if (o) u.token = o.body.token;
      } else if (r < 0.45) {
        record('profile', await call(base, 'GET', '/api/v1/users/me', undefined, opts(u)), 200);
      } else if (r < 0.55) {
        record('orgs-list', await call(base, 'GET', '/api/v1/organisations', undefined, opts(u)), 200);
      } else if (r < 0.78) {
        const o = record('org-create', await call(base, 'POST', '/api/v1/organisations', { name: `org ${randomUUID()}` }, opts(u)), 201);
        if (o) acked.orgs.push(o.body.data.id);
      } else if (r < 0.9) {
        // a user without a subscription yet, else one with (409: one live subscription per account)
        const s = unsubscribed.length ? unsubscribed.splice(Math.floor(Math.random() * unsubscribed.length), 1)[0]! : u;
        const o = record(
          'subscribe',
          await call(base, 'POST', '/api/v1/users/subscribe', { planId, billingCycle: 'monthly' }, opts(s)),
          200,
          409,
        );
        if (o?.status === 200) acked.subscriptions.push({ id: o.body.data.id, userId: s.id });
      } else {
        const email = `new-${randomUUID().slice(0, 12)}@cluster.test`;
        const password = 'cluster password 1';
        const o = record(
          'register',
          await call(base, 'POST', '/api/v1/auth/register', { name: 'New User', email, password }, { agent }),
          201,
        );
        if (o) {
          acked.users.push(email);
          // a new account to subscribe later, so subscriptions are written all along the run
          unsubscribed.push({ id: o.body.data.user.id, email, password, token: o.body.token });
        }
      }
    }
    agent.destroy();
  };

  const clients = Array.from({ length: CLIENTS }, client);
  try {
    await sleep(WARMUP_MS);
    await during();
    await sleep(COOLDOWN_MS);
  } finally {
    running = false;
    await Promise.all(clients);
  }
  return { tally, acked };
}

/** Every acknowledged write, read back from the database; the line to print. */
async function checkWrites(cluster: Cluster, acked: Acked): Promise<string> {
  const orgs = await cluster.sql('select count(*)::int as n from organisations where id = any($1::uuid[])', [acked.orgs]);
  const subs = await cluster.sql(
    `select count(*)::int as n from subscriptions s join unnest($1::uuid[], $2::uuid[]) as a(id, user_id) on s.id = a.id and s.user_id = a.user_id
     where s.status = 'active'`,
    [acked.subscriptions.map((s) => s.id), acked.subscriptions.map((s) => s.userId)],
  );
  const registered = await cluster.sql('select count(*)::int as n from users where email = any($1::text[])', [acked.users]);
  expect(acked.orgs.length).toBeGreaterThan(50);
  expect(orgs.rows[0].n).toBe(acked.orgs.length);
  expect(subs.rows[0].n).toBe(acked.subscriptions.length);
  expect(registered.rows[0].n).toBe(acked.users.length);
  return (
    `writes checked: ${acked.orgs.length} organisations (${orgs.rows[0].n} found), ${acked.subscriptions.length} subscriptions ` +
    `(${subs.rows[0].n} found), ${acked.users.length} registrations (${registered.rows[0].n} found)`
  );
}

function report(label: string, cluster: Cluster, tally: Tally, restarts: string[]): string {
  // requests nginx passed on to another instance after a refused or reset connection
  const passedOn = cluster.nginx.accessLog().filter((l) => l.upstreams.length > 1).length;
  const seconds = (Date.now() - tally.started) / 1000;
  return (
    `${label}: ${tally.sent} requests in ${seconds.toFixed(1)} s (${(tally.sent / seconds).toFixed(0)}/s) by ${CLIENTS} clients, ` +
    `${tally.failures.length} failed, slowest ${Math.round(tally.maxMs)} ms; ${passedOn} passed on by nginx to another instance, ` +
    `${tally.resent} sent again by the client after nginx closed its idle kept-alive connection\n` +
    `  ${restarts.join('\n  ')}\n  by operation: ${tally.summary()}`
  );
}

/** What nginx met, other than the refused connections it passed on. */
function nginxErrors(cluster: Cluster): string {
  const lines = readFileSync(cluster.nginx.errorLogFile, 'utf8').split('\n');
  return lines.filter((l) => l && !/Connection refused|temporarily disabled/.test(l)).join('\n');
}

describe.runIf(clusterAvailable())('rolling restart under load', () => {
  const world = useCluster({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } });

  it('each instance drained at nginx, then SIGTERM and started again: zero failed requests, every acknowledged write present', {
    timeout: 90_000,
  }, async () => {
    const cluster = world.get();
    const restarts: string[] = [];
    const { tally, acked } = await underLoad(cluster, async () => {
      for (const instance of cluster.instances) {
        const r = await cluster.restart(instance);
        restarts.push(
          `instance ${instance.index}: drained in ${r.drainMs} ms, exit ${r.stopped?.code} ${r.stopped?.ms} ms after SIGTERM, ready again in ${r.startMs} ms`,
        );
        expect(r.stopped?.code, `instance ${instance.index} exit code`).toBe(0);
        await sleep(BETWEEN_RESTARTS_MS);
      }
    });
    console.log(report('rolling restart (drained)', cluster, tally, restarts));
    if (tally.failures.length) console.log(`nginx error log:\n${nginxErrors(cluster)}`);
    expect(tally.failures, JSON.stringify(tally.failures.slice(0, 10), null, 1)).toEqual([]);
    expect(cluster.crashes()).toEqual([]);
    console.log(`  ${await checkWrites(cluster, acked)}`);
  });

  it('SIGTERM alone: /readyz says 503, the health checks take the instance out of nginx before it closes; zero failed requests', {
    timeout: 90_000,
  }, async () => {
    const cluster = world.get();
    const restarts: string[] = [];
    const { tally, acked } = await underLoad(cluster, async () => {
      for (const instance of cluster.instances) {
        const from = cluster.healthEvents.length;
        const r = await cluster.restart(instance, { drain: false });
        const exitedAt = instance.exits.at(-1)!.at.getTime();
        const mine = () => cluster.healthEvents.slice(from).filter((e) => e.port === instance.port);
        // back in the rotation after two passing checks
        const deadline = Date.now() + 10_000;
        while (!mine().some((e) => e.up) && Date.now() < deadline) await sleep(50);
        const [down, up] = mine();
        expect(
          mine().map((e) => e.up),
          `instance ${instance.index}'s health events`,
        ).toEqual([false, true]);
        expect(down!.reason).toBe('/readyz 503 shutting down');
        expect(down!.at, 'marked down before it stopped listening').toBeLessThan(exitedAt);
        restarts.push(
          `instance ${instance.index}: marked down ${down!.at - (exitedAt - r.stopped!.ms)} ms after SIGTERM ("${down!.reason}"), ` +
            `exit ${r.stopped?.code} ${r.stopped?.ms} ms after SIGTERM, ready again in ${r.startMs} ms, back in nginx ${up!.at - exitedAt} ms after the exit`,
        );
        expect(r.stopped?.code, `instance ${instance.index} exit code`).toBe(0);
        await sleep(BETWEEN_RESTARTS_MS / 2);
      }
    });
    console.log(report('rolling restart (SIGTERM alone, health checks)', cluster, tally, restarts));
    if (tally.failures.length) console.log(`nginx error log:\n${nginxErrors(cluster)}`);
    expect(tally.failures, JSON.stringify(tally.failures.slice(0, 10), null, 1)).toEqual([]);
    // nginx never met a closed instance: the checks, not nginx's passive retries, kept it away
    expect(cluster.nginx.accessLog().filter((l) => l.upstreams.length > 1)).toEqual([]);
    expect(cluster.crashes()).toEqual([]);
    console.log(`  ${await checkWrites(cluster, acked)}`);
  });
});
