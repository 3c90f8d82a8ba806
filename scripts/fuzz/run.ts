/**
 * `npm run fuzz`: bad input for every operation of the service's own /openapi.json, over real HTTP
 * with keep-alive connections, against the app started in this process on a throw-away database.
 * Fails (exit 1) on any 5xx, any response that is not the JSON envelope, any dropped connection,
 * any request that alone keeps the service busy for a second (it shares this event loop).
 *
 *   FUZZ_SEED         PRNG seed (default 1); printed, so a run can be repeated exactly
 *   FUZZ_ONLY         only operations whose "METHOD /path" contains this text ("(global)": the odd requests)
 *   FUZZ_CONCURRENCY  requests in flight (default 8)
 *   FUZZ_MAX_LIST     failing requests printed one per line (default 400)
 *   FUZZ_VERBOSE      print each operation's request count and time
 *   DATABASE_URL      fuzz against this PostgreSQL server (a database is created and dropped)
 */
import { casesFor, globalCases } from './cases.js';
import { Executor } from './executor.js';
import { FixtureKeeper, type Fixtures } from './fixtures.js';
import { type Client, createClient, jsonCall } from './http.js';
import { type Operation, operationsOf } from './openapi.js';
import { printSummary } from './report.js';
import { type LogLine, startService } from './server.js';
import type { AuthKind, Principals } from './tokens.js';
import { hash32, prng } from './values.js';

const MIN_REQUESTS = 10_000;
const DEADLINE_MS = 10 * 60_000;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

/** The real id a path parameter of this operation should name. */
function realIdFor(op: Operation, fx: Fixtures, name: string): string | undefined {
  switch (name) {
    case 'planId':
    case 'plan_id':
      return fx.plan.id;
    case 'userId':
    case 'user_id':
      return fx.victim.id;
    case 'adminId':
    case 'admin_id':
      return fx.staff.id;
    case 'org_id':
      return fx.org.id;
    case 'category':
      return fx.plan.category;
    case 'id':
      if (op.path.includes('/subscription/')) return fx.plan.id; // HNG's "subscription" is a plan
      if (op.path.includes('/notifications/')) return fx.notificationId ?? undefined;
      return fx.child.id;
    default:
      return undefined;
  }
}

/** Which token gets past authentication: asked of the service, with a request that cannot change anything. */
async function authKindOf(client: Client, op: Operation, fx: Fixtures): Promise<AuthKind> {
  const path = op.path.replace(/\{[^}]+\}/g, 'not-a-uuid');
  const body = op.method === 'GET' ? undefined : [];
  const status = async (token?: string) => (await jsonCall(client, op.method, path, body, token)).status;
  if ((await status()) !== 401) return 'public';
  if (![401, 403].includes(await status(fx.admin.token))) return 'admin';
  return 'user';
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function main(): Promise<number> {
  const seed = envInt('FUZZ_SEED', 1) >>> 0;
  const concurrency = Math.max(1, envInt('FUZZ_CONCURRENCY', 8));
  const maxList = envInt('FUZZ_MAX_LIST', 400);
  const only = process.env.FUZZ_ONLY?.trim() || null;
  const verbose = Boolean(process.env.FUZZ_VERBOSE);
  console.log(`fuzz: seed ${seed}${only ? `, only "${only}"` : ''}, concurrency ${concurrency}`);

  const service = await startService();
  const client = createClient(service.port, concurrency);
  const exec = new Executor(client);
  const started = performance.now();
  let ops = 0;
  let setupRequests = 0;
  const deadline = setTimeout(() => {
    console.error(`fuzz: still running after ${DEADLINE_MS / 60_000} minutes, giving up`);
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  try {
    console.log(`fuzz: service on 127.0.0.1:${service.port}, ${service.database}`);
    const doc = await jsonCall(client, 'GET', '/openapi.json');
    if (doc.status !== 200) throw new Error(`/openapi.json answered ${doc.status}`);
    const operations = operationsOf(doc.json).filter((op) => !only || `${op.method} ${op.path}`.includes(only));
    const keeper = new FixtureKeeper(client, service.app);
    await keeper.setup();
    const seenPaths = new Set<string>();

    for (const op of operations) {
      const fx = await keeper.ensure();
      const auth = await authKindOf(client, op, fx);
      setupRequests += auth === 'public' ? 1 : 2;
      const principals: Principals = {
        user: fx.parent.token,
        child: fx.child.token,
        admin: fx.admin.token,
        userId: fx.parent.id,
        adminId: fx.admin.id,
      };
      const opName = `${op.method} ${op.path}`;
      let unique = 0;
      const cases = casesFor({
        op,
        auth,
        principals,
        realId: (name) => realIdFor(op, fx, name),
        otherId: fx.org.id,
        // one stream per operation: FUZZ_ONLY does not change the cases an operation gets
        rng: prng(seed ^ hash32(opName)),
        sampleCtx: {
          unique: () => `${hash32(opName).toString(36)}.${++unique}`,
          idFor: (name) => (/plan/i.test(name) ? fx.plan.id : undefined),
        },
        pathMethods: seenPaths.has(op.path) ? null : Object.keys(doc.json.paths[op.path] ?? {}).map((m) => m.toUpperCase()),
      });
      seenPaths.add(op.path);
      ops++;
      // the request id ties the service's log lines to the request
      const opStarted = performance.now();
      await pool(cases, concurrency, (c, i) => exec.send(opName, c, `fuzz-${seed}-${ops}-${i}`));
      if (verbose) console.log(`  ${opName}: ${cases.length} requests (${auth}) in ${Math.round(performance.now() - opStarted)} ms`);
    }
    if (!only || '(global)'.includes(only)) {
      const extra = globalCases(keeper.fx.admin.token);
      await pool(extra, concurrency, (c, i) => exec.send(`${c.req.method} (global)`, c, `fuzz-${seed}-global-${i}`));
    }
    setupRequests += keeper.setupRequests;
    await exec.replaySuspects();

    // the service logs asynchronously; give the last lines a moment
    await new Promise((r) => setTimeout(r, 200));
    const failures = exec.failures;
    const unmatched: LogLine[] = [];
    const byReqId = new Map(failures.map((f) => [f.reqId, f]));
    for (const l of service.errorLogs) {
      const f = l.reqId ? byReqId.get(l.reqId) : undefined;
      if (f) f.logs.push(l);
      else unmatched.push(l.reqId ? { ...l, msg: `${l.msg ?? ''} (${exec.describe(l.reqId)})` } : l);
    }
    failures.sort((a, b) => a.op.localeCompare(b.op) || a.c.kind.localeCompare(b.c.kind));
    console.log('slowest requests:');
    for (const x of exec.slowest.sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(`  ${Math.round(x.ms)} ms  ${x.line}`);
    if (exec.replayed)
      console.log(`replayed ${exec.replayed} slow or unanswered requests alone; ${exec.bystanders} were only delayed by another`);
    printSummary({
      seed,
      database: service.database,
      ops,
      total: exec.total,
      setupRequests,
      ms: performance.now() - started,
      byKind: exec.byKind,
      statuses: exec.statuses,
      failures,
      unmatchedLogs: unmatched,
      accepted: exec.accepted,
      maxList,
    });
    if (!only && exec.total < MIN_REQUESTS) {
      console.log(`FAILED: only ${exec.total} requests, fewer than ${MIN_REQUESTS}: the generator lost cases`);
      return 1;
    }
    return failures.length ? 1 : 0;
  } finally {
    client.close();
    await service.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('fuzz: could not run:', err);
    process.exit(2);
  },
);
