/**
 * What the deployment tests share: the cluster of scripts/cluster.mjs (PostgreSQL, three instances,
 * nginx) started once per file, HTTP calls through nginx that never throw (a network error is an
 * outcome to count), a tally of what a load saw, and seeding through the API.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { type Cluster, type ClusterOptions, missingPrerequisites, startCluster } from '../../scripts/cluster.mjs';

/** nginx and PostgreSQL's binaries are here (CI installs them); elsewhere skipped with a notice, unless REQUIRE_CLUSTER=1. */
export function clusterAvailable(): boolean {
  const missing = missingPrerequisites();
  if (missing.length === 0) return true;
  if (process.env.REQUIRE_CLUSTER === '1') throw new Error(`cluster tests need: ${missing.join('; ')}`);
  console.warn(`cluster tests skipped: missing ${missing.join('; ')}`);
  return false;
}

/** Starts a cluster before the file's tests and stops it after; `get()` is the running one. */
export function useCluster(options: ClusterOptions): { get(): Cluster } {
  let cluster: Cluster | null = null;
  beforeAll(async () => {
    const started = Date.now();
    cluster = await startCluster(options);
    console.log(
      `cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s: nginx ${cluster.nginxUrl}, ${cluster.instances.length} instances`,
    );
  });
  afterAll(async () => {
    if (!cluster) return;
    const crashes = cluster.crashes();
    if (crashes.length) for (const n of cluster.instances) console.log(`--- instance ${n.index} log ---\n${n.tail(60)}`);
    await cluster.stop();
  });
  return {
    get() {
      if (!cluster) throw new Error('the cluster is not running');
      return cluster;
    },
  };
}

export interface Outcome {
  /** 0 when no answer came (network error or timeout) */
  status: number;
  /** the answer's JSON, as the service wrote it (text when it was not JSON) */
  body: any;
  headers: http.IncomingHttpHeaders;
  ms: number;
  /** the network error, when there was no answer */
  error: string | null;
  /** sent a second time after its kept-alive connection was closed under it (see `call`) */
  resent: boolean;
}

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  /** the client's source address on loopback (127.0.0.x): what nginx sees as $remote_addr */
  localAddress?: string;
  /** no answer within this is an outcome with error 'timeout' (default 15 s) */
  timeoutMs?: number;
  agent?: http.Agent;
}

/**
 * One JSON request; never throws: a refused connection, a reset or a timeout is `status: 0` with
 * `error`. A request whose kept-alive connection was closed under it before any answer (`reusedSocket`
 * and ECONNRESET: nginx closes its idle client connections when it reloads) is sent once more, as
 * browsers do and as Node's documentation of `request.reusedSocket` shows; `resent` says so.
 */
export async function call(base: string, method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Outcome> {
  const first = await attempt(base, method, path, body, options);
  if (!first.reusedReset) return first;
  const second = await attempt(base, method, path, body, options);
  return { ...second, ms: first.ms + second.ms, resent: true };
}

function attempt(
  base: string,
  method: string,
  path: string,
  body: unknown,
  options: CallOptions,
): Promise<Outcome & { reusedReset?: boolean }> {
  const started = performance.now();
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<Outcome, 'ms' | 'resent'> & { reusedReset?: boolean }) => {
      if (settled) return;
      settled = true;
      resolve({ ...o, ms: performance.now() - started, resent: false });
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent: options.agent,
        localAddress: options.localAddress,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => done({ status: 0, body: null, headers: {}, error: `response: ${err.message}` }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: kept as text, the assertions say so
          }
          done({ status: res.statusCode ?? 0, body: parsed, headers: res.headers, error: null });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 15_000, () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({
        status: 0,
        body: null,
        headers: {},
        error: err.code ?? err.message,
        reusedReset: req.reusedSocket && err.code === 'ECONNRESET',
      }),
    );
    req.end(payload);
  });
}

/** A keep-alive connection pool for one simulated client (as a browser or an SDK keeps one to the balancer). */
export const clientAgent = () => new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Counts of what a load saw, by operation and status; the failures with their details. */
export class Tally {
  readonly counts = new Map<string, Map<string, number>>();
  readonly failures: Array<{ op: string; at: number; status: number; error: string | null; body: string; ms: number; proxy?: string }> = [];
  readonly started = Date.now();
  sent = 0;
  /** requests the client sent again after nginx closed their kept-alive connection (see `call`) */
  resent = 0;
  maxMs = 0;

  record(op: string, outcome: Outcome, ok: boolean): void {
    this.sent++;
    if (outcome.resent) this.resent++;
    this.maxMs = Math.max(this.maxMs, outcome.ms);
    const key = outcome.status === 0 ? `network:${outcome.error}` : String(outcome.status);
    const byStatus = this.counts.get(op) ?? new Map<string, number>();
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    this.counts.set(op, byStatus);
    if (!ok) {
      this.failures.push({
        op,
        at: Date.now() - this.started,
        status: outcome.status,
        error: outcome.error,
        body: typeof outcome.body === 'string' ? outcome.body.slice(0, 200) : JSON.stringify(outcome.body).slice(0, 200),
        ms: Math.round(outcome.ms),
        // nginx's own answer (deploy/nginx.conf @sociox_unavailable): what the instances did
        ...(outcome.headers['x-proxy-error'] ? { proxy: String(outcome.headers['x-proxy-error']) } : {}),
      });
    }
  }

  /** "login 200×812, profile 200×2011 …" */
  summary(): string {
    return [...this.counts].map(([op, byStatus]) => `${op} ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(' ')}`).join(', ');
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SeededUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Registers a user through nginx. */
export async function register(base: string, prefix = 'user', options: CallOptions = {}): Promise<SeededUser> {
  const email = `${prefix}-${randomUUID().slice(0, 12)}@cluster.test`;
  const password = 'cluster password 1';
  const res = await call(base, 'POST', '/api/v1/auth/register', { name: 'Cluster User', email, password }, options);
  if (res.status !== 201) throw new Error(`register: ${res.status} ${res.error ?? JSON.stringify(res.body)}`);
  return { id: res.body.data.user.id, email, password, token: res.body.token };
}

/** The superadmin of the cluster, logged in through nginx. */
export async function adminToken(cluster: Cluster): Promise<string> {
  const res = await call(cluster.nginxUrl, 'POST', '/api/v1/admin/login', cluster.superadmin);
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/** A plan created through the admin API (10 USD a month); its id. */
export async function createPlan(cluster: Cluster, token: string): Promise<string> {
  const res = await call(
    cluster.nginxUrl,
    'POST',
    '/api/admin/subscription/plans',
    {
      name: `plan-${randomUUID().slice(0, 8)}`,
      price: { monthly: { amount: 10, currency: 'USD' }, yearly: { amount: 100, currency: 'USD' } },
      features: { teamMembers: 2 },
    },
    { token },
  );
  if (res.status !== 201) throw new Error(`create plan: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

/** Resolves when `check` is true, polling; fails with `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms: number, every = 200): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}
