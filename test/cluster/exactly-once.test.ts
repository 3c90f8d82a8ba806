import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { adminToken, clusterAvailable, createPlan, until, useCluster } from './world.js';

/**
 * Exactly once (issue 14): 10,000 subscriptions fall due at once (inserted in one statement, set-based)
 * while the workers of the three instances run every 500 ms. Afterwards each has moved exactly one
 * period on, has exactly one `renewed` event, and its account exactly one renewal notification.
 */

const N = 10_000;
const RENEWED = 'Your subscription has been renewed';

describe.runIf(clusterAvailable())('renewals exactly once across three workers', () => {
  // debug: each worker's `task ran` lines say how many it renewed
  const world = useCluster({ jobsIntervalMs: 500, logLevel: 'debug' });

  it(`${N} due subscriptions renewed exactly once each with three instances' workers running`, { timeout: 120_000 }, async () => {
    const cluster = world.get();
    const planId = await createPlan(cluster, await adminToken(cluster));

    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      // five set-based statements of 2,000, 150 ms apart, so the workers' passes meet each other
      // on fresh work. Each anchored a month and up to 17 hours ago: the first period has ended, the second has not.
      const t = Date.now();
      const CHUNKS = 5;
      for (let c = 0; c < CHUNKS; c++) {
        await client.query(
          `with u as (
             insert into users (email, password_hash, name, first_name, last_name)
             select 'due-' || i || '@cluster.test', 'not-a-hash', 'Due ' || i, 'Due', 'User ' || i from generate_series($2::int, $3::int) as i
             returning id, email
           )
           insert into subscriptions (user_id, plan_id, billing_cycle, status, anchor_at, period_index, current_period_start,
             current_period_end, created_at, updated_at)
           select u.id, $1::uuid, 'monthly', 'active', a.anchor, 0, a.anchor, subscription_period_bound(a.anchor, 'monthly', 1), a.anchor, a.anchor
           from u cross join lateral (
             select ((now() at time zone 'UTC') - interval '1 month' - make_interval(mins => (hashtext(u.email) & 1023))) at time zone 'UTC' as anchor
           ) a`,
          [planId, (c * N) / CHUNKS + 1, ((c + 1) * N) / CHUNKS],
        );
        await new Promise((r) => setTimeout(r, 150));
      }
      const insertedMs = Date.now() - t;
      const q = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows[0];

      const renewedMs = await until(
        'every due subscription renewed',
        async () =>
          (
            await q(
              `select count(*)::int as n from subscriptions s join users u on u.id = s.user_id
             where u.email like 'due-%' and s.status = 'active' and s.current_period_end <= now()`,
            )
          ).n === 0,
        90_000,
        250,
      );
      // a few more passes of every worker: nothing is renewed again
      await new Promise((r) => setTimeout(r, 2_000));

      const periods = await q(
        `select count(*)::int as subs,
                count(*) filter (where s.period_index = 1 and s.current_period_start = subscription_period_bound(s.anchor_at, 'monthly', 1)
                                 and s.current_period_end = subscription_period_bound(s.anchor_at, 'monthly', 2))::int as one_period_on
         from subscriptions s join users u on u.id = s.user_id where u.email like 'due-%'`,
      );
      const events = await q(
        `select count(*) filter (where r = 1)::int as once, coalesce(max(r), 0)::int as most, coalesce(sum(r), 0)::int as total
         from (select (select count(*) from subscription_events e where e.subscription_id = s.id and e.type = 'renewed'
                       and (e.detail->>'periods')::int = 1) as r
               from subscriptions s join users u on u.id = s.user_id where u.email like 'due-%') x`,
      );
      const allEvents = await q(
        `select count(*)::int as n from subscription_events e join subscriptions s on s.id = e.subscription_id
         join users u on u.id = s.user_id where u.email like 'due-%'`,
      );
      const notes = await q(
        `select count(*) filter (where n = 1)::int as once, coalesce(max(n), 0)::int as most
         from (select (select count(*) from notifications x where x.user_id = u.id and x.message = $1) as n from users u where u.email like 'due-%') y`,
        [RENEWED],
      );
      // which worker renewed how many (their `task ran` lines)
      const byInstance = cluster.instances.map((n) =>
        readFileSync(n.logFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"task":"renew-subscriptions"') && l.includes('"renewed"'))
          .reduce((sum, l) => sum + (JSON.parse(l).result?.renewed ?? 0), 0),
      );
      console.log(
        `exactly once: ${N} due subscriptions inserted in ${CHUNKS} statements over ${insertedMs} ms, all renewed ${(renewedMs / 1000).toFixed(1)} s after the last ` +
          `(renewed by instance ${byInstance.map((n, i) => `${i + 1}: ${n}`).join(', ')})\n` +
          `  ${periods.one_period_on} of ${periods.subs} moved exactly one period on; ${events.once} with exactly one renewed event ` +
          `(most ${events.most}, ${events.total} in all, ${allEvents.n} events of any kind); ${notes.once} accounts told once (most ${notes.most})`,
      );
      expect(periods).toEqual({ subs: N, one_period_on: N });
      expect(events).toEqual({ once: N, most: 1, total: N });
      expect(allEvents.n).toBe(N);
      expect(notes).toEqual({ once: N, most: 1 });
      expect(byInstance.reduce((a, b) => a + b, 0)).toBe(N);
      expect(cluster.crashes()).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
