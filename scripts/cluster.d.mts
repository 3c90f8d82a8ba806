// Types of scripts/cluster.mjs (plain JavaScript, run without a build step) for the TypeScript tests.
import type pg from 'pg';

export const ROOT: string;
export const NGINX_TEMPLATE: string;

export function findNginx(): string | null;
export function findPgBin(): string | null;
/** what is missing to start a cluster here; empty when nothing is */
export function missingPrerequisites(): string[];
export function freePort(): Promise<number>;
export function ensureBuilt(): void;
export function nginxConfig(options: { template?: string; ports: number[]; listenPort: number; dir: string; down?: number[] }): string;

export interface AccessLine {
  remote: string;
  time: string;
  method: string;
  path: string;
  status: number;
  requestId: string;
  seconds: number;
  /** every instance tried, in order (more than one: nginx passed the request on) */
  upstreams: string[];
  upstreamStatuses: string[];
}
export function parseAccessLine(line: string): AccessLine | null;

export interface Exit {
  at: Date;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stopped by this script, not a crash */
  expected: boolean;
}

export interface Instance {
  index: number;
  port: number;
  url: string;
  logFile: string;
  exits: Exit[];
  readonly pid: number | null;
  readonly running: boolean;
  start(options?: { readyMs?: number }): Promise<{ ms: number }>;
  stop(options?: {
    signal?: NodeJS.Signals;
    timeoutMs?: number;
  }): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number } | null>;
  restart(): Promise<{ stopped: { code: number | null; signal: NodeJS.Signals | null; ms: number } | null; startMs: number }>;
  tail(lines?: number): string;
}

export interface Nginx {
  url: string;
  port: number;
  conf: string;
  accessLogFile: string;
  errorLogFile: string;
  readonly pid: number | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `server … down` for that port, reload, wait for the old workers (their requests) to finish */
  drain(instancePort: number): Promise<void>;
  undrain(instancePort: number): Promise<void>;
  reload(): Promise<void>;
  /** the active health checks' marks (address → why); reloads without waiting when they change */
  setUnhealthy(marks: Map<string, string>): Promise<void>;
  accessLog(): AccessLine[];
}

export interface Postgres {
  port: number;
  log: string;
  dir: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  restart(): Promise<void>;
}

export interface HealthEvent {
  at: number;
  port: number | null;
  up: boolean | null;
  reason: string;
}

export interface ClusterOptions {
  /** default 3 */
  instances?: number;
  /** JOBS_INTERVAL_MS of every instance; default 500 */
  jobsIntervalMs?: number;
  smtpUrl?: string | null;
  /** added to every instance's environment (null removes a variable) */
  env?: Record<string, string | null | undefined>;
  /** NODE_ENV=production and the real password-hash cost; default false (development, cheapest hash) */
  production?: boolean;
  /** LOG_LEVEL; default warn */
  logLevel?: string;
  nginxPort?: number | null;
  /** how often the health checks poll each /readyz (two failures mark it down); default 500 */
  healthIntervalMs?: number;
  /** run `scripts/start.mjs --build-only` first; default true */
  build?: boolean;
  /** keep the temporary directory after stop() */
  keepDir?: boolean;
}

export interface Cluster {
  dir: string;
  nginxUrl: string;
  databaseUrl: string;
  superadmin: { email: string; password: string };
  secrets: { JWT_SECRET: string; KEY_ENCRYPTION_SECRET: string };
  instances: Instance[];
  nginx: Nginx;
  pg: Postgres;
  /** each instance marked down or back up by the health checks, in order (port null: a note about all) */
  healthEvents: HealthEvent[];
  setEnv(extra: Record<string, string | null | undefined>): void;
  env(): Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: rows of any statement
  sql<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** a rolling restart's step: drained at nginx (unless `drain: false`), SIGTERM, started again, back in */
  restart(
    instance: Instance,
    options?: { drain?: boolean },
  ): Promise<{
    stopped: { code: number | null; signal: NodeJS.Signals | null; ms: number } | null;
    startMs: number;
    drainMs: number;
    totalMs: number;
  }>;
  crashes(): Array<Exit & { instance: number }>;
  stop(): Promise<void>;
}

export function startCluster(options?: ClusterOptions): Promise<Cluster>;
