/**
 * Benchmark: HTTP throughput of a running server (autocannon) and the time of one renewal pass
 * over 100,000 due subscriptions. Not a test: it prints figures.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *
 * It creates a throw-away database on that server (dropped at the end), seeds it with SQL,
 * starts the service on a free port, loads it with autocannon, then runs the worker's pass.
 * Options: BENCH_SUBSCRIPTIONS (default 100000), BENCH_SECONDS per HTTP scenario (default 10).
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { openPostgres } from '../src/db/postgres.js';
import { MemoryMailer } from '../src/modules/email/mailer.js';
import { buildServices } from '../src/services.js';

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.error('Set DATABASE_URL to a PostgreSQL server whose user may CREATE DATABASE.');
  process.exit(2);
}
const N = Number(process.env.BENCH_SUBSCRIPTIONS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const name = `sociox_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: 10 });
  // the seed's set-based inserts of 100k rows may take longer than a request's statement may (3 s,
  // DATABASE_QUERY_TIMEOUT_MS); the renewal pass runs with the service's defaults (db)
  const seedDb = await openPostgres(url.toString(), { max: 1, queryTimeoutMs: 600_000 });
  try {
    await migrate(db);
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(32).toString('hex'),
      RATE_LIMIT_PER_MINUTE: '100000000',
      DATA_DIR: '/tmp/sociox-bench',
    });
    const app = await buildApp(
      buildServices({ config, db, mailer: new MemoryMailer(), clock: systemClock, log: pino({ level: 'silent' }) }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    // ---- seed ----
    let t = performance.now();
    await seedDb.query(
      `insert into plans (name, display_name, monthly_amount, monthly_currency, yearly_amount, yearly_currency, features)
       values ('bench', 'Bench', 999, 'USD', 9999, 'USD', '{"teamMembers": 3}')`,
    );
    const hash = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aW52YWxpZGhhc2hpbnZhbGlkaGFzaA';
    await seedDb.query(
      `insert into users (email, password_hash, name, first_name, last_name)
       select 'bench' || i || '@example.com', $1, 'Bench ' || i, 'Bench', i::text from generate_series(1, $2) as i`,
      [hash, N],
    );
    // due: anchored 1–3 months ago at various days, so the batch mixes month lengths and overdue counts
    await seedDb.query(
      `insert into subscriptions (user_id, plan_id, billing_cycle, status, anchor_at, period_index, current_period_start, current_period_end)
       select u.id, p.id, 'monthly', 'active', a.anchor, 0, a.anchor, subscription_period_bound(a.anchor, 'monthly', 1)
       from users u cross join plans p
       cross join lateral (select now() - make_interval(days => 32 + (abs(hashtext(u.id::text)) % 60))) a(anchor)`,
    );
    await seedDb.query('analyze');
    console.log(`seeded ${N} users with due subscriptions in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // ---- HTTP under load ----
    const register = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench-user@example.com', password: 'bench password', name: 'Bench User' }),
    });
    const token = ((await register.json()) as { token: string }).token;
    for (const [label, path, headers] of [
      ['public plans  GET /api/v1/subscription/plans', '/api/v1/subscription/plans', {}],
      ['authenticated GET /api/users/details', '/api/users/details', { authorization: `Bearer ${token}` }],
    ] as const) {
      const result = await autocannon({ url: base + path, connections: 50, duration: SECONDS, headers });
      console.log(
        `${label}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
          `${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    console.log(`server memory after load: rss ${mb(process.memoryUsage().rss)}, heap ${mb(process.memoryUsage().heapUsed)}`);

    // ---- one renewal pass ----
    t = performance.now();
    const result = await app.services.subscriptions.runDue();
    const seconds = (performance.now() - t) / 1000;
    const { rows } = await db.query<{ n: number }>("select count(*)::int as n from subscription_events where type = 'renewed'");
    console.log(
      `renewal pass: ${result.renewed} renewed, ${result.expired} expired in ${seconds.toFixed(2)} s (${rows[0]!.n} events; target < 10 s)`,
    );
    console.log(`rss after the pass: ${mb(process.memoryUsage().rss)}`);
    await app.close();
  } finally {
    await seedDb.close();
    await db.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
