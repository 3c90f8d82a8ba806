import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../src/db/postgres.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { createPlan, rootToken, subscribed } from './helpers/fixtures.js';
import { Harness, type Response, type TestUser } from './helpers/harness.js';

/**
 * A lost database (issue 14): the service's connections to PostgreSQL go through a TCP proxy in
 * this file, which is cut (a restart: every connection closed, new ones refused) or stalled (open
 * connections carry nothing more, new ones are accepted and never answered) while the shared server
 * stays up. Every request that needs the database is then a fast 503 SERVICE_UNAVAILABLE with
 * Retry-After, never a 500; when the proxy is restored the same app recovers by itself.
 * PostgreSQL only: the embedded database cannot go away on its own (a closed one: db-unavailable.test.ts).
 */

/** What a request may wait for a database that is gone (DATABASE_TIMEOUTS: 2 s to connect, 3 s per statement). */
const BOUND_MS = 5_000;
const MESSAGE = 'The database is unavailable; try again shortly';

/** A TCP proxy on 127.0.0.1 in front of the PostgreSQL server, that can be cut, stalled and restored. */
class PgProxy {
  port = 0;
  private server: Server | null = null;
  private mode: 'up' | 'refusing' | 'stalled' = 'up';
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'stalled') return; // accepted, never answered
    const upstream = tcpConnect(this.target.port, this.target.host);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
  }

  /** A restart: every connection closed at once, and nothing listens on the port (ECONNREFUSED). */
  cut(): void {
    this.mode = 'refusing';
    this.server?.close();
    this.server = null;
    for (const s of this.sockets) s.destroy();
  }

  /** Silence: the open connections carry nothing more either way; new ones are accepted and never answered. */
  stall(): void {
    this.mode = 'stalled';
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  /** Back: what was stalled is closed (as a server restart would), new connections go through again. */
  async restore(): Promise<void> {
    if (this.mode === 'up') return;
    for (const s of this.sockets) s.destroy();
    const wasRefusing = this.mode === 'refusing';
    this.mode = 'up';
    if (wasRefusing) await this.listen();
  }

  async close(): Promise<void> {
    this.cut();
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - started;
}

interface Timed {
  name: string;
  res: Response;
  ms: number;
}

async function timed(name: string, send: () => Promise<Response>): Promise<Timed> {
  const started = performance.now();
  const res = await send();
  return { name, res, ms: performance.now() - started };
}

/** A 503 the contract allows: the envelope with SERVICE_UNAVAILABLE, Retry-After, and nothing else. */
function expectUnavailable({ name, res, ms }: Timed): void {
  expect(res.statusCode, `${name}: ${res.body}`).toBe(503);
  expect(res.json(), name).toEqual({ status: false, message: MESSAGE, code: 'SERVICE_UNAVAILABLE' });
  expect(res.headers['retry-after'], name).toBe('2');
  expect(ms, `${name} took ${Math.round(ms)} ms`).toBeLessThan(BOUND_MS);
}

function report(label: string, results: Timed[]): void {
  const unavailable = results.filter((r) => r.res.statusCode === 503).length;
  const errors = results.filter((r) => r.res.statusCode === 500).length;
  const max = Math.max(...results.map((r) => r.ms));
  console.info(
    `db-outage ${label}: ${results.length} requests, ${unavailable} answered 503, ${errors} answered 500, max ${Math.round(max)} ms`,
  );
}

describe.runIf(process.env.DATABASE_URL)('a lost database (issue 14): 503 SERVICE_UNAVAILABLE, fast, then recovery', () => {
  let direct: TestDatabase;
  let proxy: PgProxy;
  let h: Harness;
  const lines: { msg?: string; task?: string; level?: number }[] = [];

  beforeAll(async () => {
    direct = await createTestDatabase();
    const target = new URL(direct.url!);
    proxy = new PgProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.listen();
    const proxied = new URL(direct.url!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    // the app's own pool and change feed reach the server only through the proxy (default timeouts)
    const db = await openPostgres(proxied.toString(), { max: 5 });
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    h = await Harness.create({
      logger,
      testDb: {
        db,
        url: proxied.toString(),
        async drop() {
          await db.close();
          await direct.drop();
        },
      },
    });
    await until('the change feed', () => h.app.changes.live);
  });

  // a failed test leaves the proxy as it was: the next one starts with the database back
  afterEach(() => proxy?.restore());

  afterAll(async () => {
    await proxy?.restore();
    await h?.close();
    await proxy?.close();
  });

  /** A parent with a live subscription, another without one, an organisation, and an email waiting in the outbox. */
  async function world() {
    await h.reset();
    const root = await rootToken(h);
    const plan = await createPlan(h, root);
    const subscriber = await h.registerUser({ name: 'Renewing Parent' });
    const sub = await subscribed(h, subscriber, plan.id);
    const newcomer = await h.registerUser({ name: 'New Comer' });
    const org = await h.post('/api/organisation', { name: 'Acknowledged before the cut' }, subscriber.token);
    expect(org.statusCode, org.body).toBe(201);
    // queued, not yet delivered (the worker is not running): it must go out after the outage
    expect((await h.post('/api/v1/auth/forgot-password', { email: newcomer.email })).statusCode).toBe(200);
    // the pool holds connections and the caches hold the accounts, as on a busy instance
    await Promise.all([subscriber, newcomer].flatMap((u) => [h.get('/api/profile', u.token), h.get('/api/v1/users/me', u.token)]));
    return { plan, subscriber, sub, newcomer, orgId: org.json().data.id as string };
  }

  /** Reads and writes of every kind, at once: readiness, sign-in, profile read and write, subscribe, organisation write. */
  function load(w: Awaited<ReturnType<typeof world>>, options: { profileRead: boolean }): Promise<Timed>[] {
    const { plan, subscriber, newcomer } = w;
    const users: TestUser[] = [subscriber, newcomer];
    return [
      timed('readyz', () => h.get('/readyz')),
      ...users.map((u) => timed('login', () => h.post('/api/v1/auth/login', { email: u.email, password: u.password }))),
      ...(options.profileRead ? users.map((u) => timed('profile read', () => h.get('/api/profile', u.token))) : []),
      ...users.map((u) => timed('profile write', () => h.put('/api/profile', { name: 'Written In The Outage' }, u.token))),
      timed('subscribe', () => h.post('/api/v1/users/subscribe', { planId: plan.id, billingCycle: 'monthly' }, newcomer.token)),
      timed('organisation write', () => h.post('/api/organisation', { name: 'Written in the outage' }, subscriber.token)),
      timed('organisation list', () => h.get('/api/organisation', subscriber.token)),
      timed('notifications', () => h.get('/api/notifications', subscriber.token)),
    ];
  }

  /**
   * While the database is away the renewal falls due: three worker passes end (none waits for more
   * than one timeout) and say so in one line for the whole outage, not a line per task per pass.
   */
  async function workerDuringOutage(w: Awaited<ReturnType<typeof world>>): Promise<void> {
    h.clock.set(new Date(new Date(w.sub.currentPeriodEnd).getTime() + 60_000));
    const before = lines.length;
    const passes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await h.app.worker.runOnce();
      passes.push(performance.now() - started);
    }
    const failed = lines.slice(before).filter((l) => l.msg === 'task failed');
    expect(failed).toHaveLength(1);
    expect(Math.max(...passes)).toBeLessThan(BOUND_MS);
    console.info(
      `db-outage worker: 3 passes in the outage (${passes.map((ms) => Math.round(ms)).join(', ')} ms), 1 line "task failed" (${failed[0]!.task})`,
    );
  }

  /** Back: the same app answers again, with what was written before the cut and by another instance during it. */
  async function recovery(w: Awaited<ReturnType<typeof world>>): Promise<void> {
    const { subscriber, sub, newcomer, orgId } = w;
    const readyIn = await until('/readyz 200', async () => (await h.get('/readyz')).statusCode === 200);
    console.info(`db-outage recovery: /readyz 200 ${Math.round(readyIn)} ms after the proxy was restored`);

    // (the test clock moved a month on for the renewal: the tokens of before have expired)
    const tokens: string[] = [];
    for (const u of [subscriber, newcomer]) {
      const login = await h.post('/api/v1/auth/login', { email: u.email, password: u.password });
      expect(login.statusCode, login.body).toBe(200);
      tokens.push(login.json().token);
    }
    const [subscriberToken, newcomerToken] = tokens as [string, string];
    // written on the server by "another instance" while this one was cut off: its notification was
    // missed, so what the caches held was dropped when the feed was lost
    const profile = await h.get('/api/profile', subscriberToken);
    expect(profile.statusCode, profile.body).toBe(200);
    expect(profile.json().profile.name).toBe('Renamed Elsewhere');
    const write = await h.put('/api/profile', { name: 'Written After' }, newcomerToken);
    expect(write.statusCode, write.body).toBe(200);
    const subscribe = await h.post('/api/v1/users/subscribe', { planId: w.plan.id, billingCycle: 'monthly' }, newcomerToken);
    expect(subscribe.statusCode, subscribe.body).toBe(200);
    const org = await h.post('/api/organisation', { name: 'Written after the outage' }, subscriberToken);
    expect(org.statusCode, org.body).toBe(201);

    // acknowledged before the cut, still there
    const orgs = await direct.db.query<{ id: string }>('select id from organisations where id = $1', [orgId]);
    expect(orgs.rows).toHaveLength(1);
    // nothing written by the requests answered 503
    const during = await direct.db.query("select 1 from organisations where name = 'Written in the outage'");
    expect(during.rows).toHaveLength(0);

    // the worker's next pass runs normally: the renewal that fell due and the email that waited
    const failedBefore = lines.filter((l) => l.msg === 'task failed').length;
    await h.app.worker.runOnce();
    expect(lines.filter((l) => l.msg === 'task failed')).toHaveLength(failedBefore);
    expect(lines.filter((l) => l.msg === 'the database is back: the worker runs its tasks again')).not.toHaveLength(0);
    const renewed = await direct.db.query("select 1 from subscription_events where subscription_id = $1 and type = 'renewed'", [sub.id]);
    expect(renewed.rows).toHaveLength(1);
    expect(h.mailer.last(newcomer.email)?.text).toMatch(/\b\d{6}\b/);

    const feedIn = await until('the change feed back', () => h.app.changes.live);
    console.info(`db-outage recovery: change feed listening again ${Math.round(feedIn)} ms later`);
  }

  it('refused (a restart): /readyz 503, every request a 503 with Retry-After at once, never a 500; then it recovers', async () => {
    const w = await world();
    proxy.cut();
    await until('the change feed to notice', () => !h.app.changes.live, 5_000);
    await direct.db.query('update users set name = $2 where id = $1', [w.subscriber.id, 'Renamed Elsewhere']);

    const results = await Promise.all(load(w, { profileRead: true }));
    report('refused', results);
    const [ready, ...rest] = results;
    expect(ready!.res.statusCode).toBe(503);
    expect(ready!.ms).toBeLessThan(BOUND_MS);
    for (const r of rest) expectUnavailable(r);
    // a second round, the pool empty and the server still refusing
    const again = await Promise.all(load(w, { profileRead: true }));
    report('refused, again', again);
    for (const r of again.slice(1)) expectUnavailable(r);

    await workerDuringOutage(w);
    await proxy.restore();
    await recovery(w);
  }, 90_000);

  it('silent (accepted, never answered): every request answered 503 within 5 s, none hangs; then it recovers', async () => {
    const w = await world();
    proxy.stall();

    // the pool's open connections no longer answer (the statement timeout), and new ones never
    // open (the connection timeout); profile reads come from memory until the feed finds out
    const results = await Promise.all(load(w, { profileRead: false }));
    report('stalled', results);
    const [ready, ...rest] = results;
    expect(ready!.res.statusCode).toBe(503);
    expect(ready!.ms).toBeLessThan(BOUND_MS);
    for (const r of rest) expectUnavailable(r);

    // the listening connection is silent too: its heartbeat finds out, and the caches go off
    const noticed = await until('the change feed to notice', () => !h.app.changes.live, 15_000);
    console.info(`db-outage stalled: change feed off ${Math.round(noticed)} ms after the requests`);
    await direct.db.query('update users set name = $2 where id = $1', [w.subscriber.id, 'Renamed Elsewhere']);
    const reads = await Promise.all([w.subscriber, w.newcomer].map((u) => timed('profile read', () => h.get('/api/profile', u.token))));
    report('stalled, profile reads', reads);
    for (const r of reads) expectUnavailable(r);

    await workerDuringOutage(w);
    await proxy.restore();
    await recovery(w);
  }, 90_000);
});
