// Types of deploy/upstream-health.mjs (plain JavaScript, run without a build step) for the tests.

export interface UpstreamServer {
  address: string;
  /** marked `down` by hand: left alone, not polled */
  manual: boolean;
  /** marked `down` by the checker */
  marked: boolean;
  reason: string | null;
}
export function upstreamServers(conf: string, name?: string): UpstreamServer[];
export function withMarks(conf: string, down: Map<string, string>, name?: string): string;

export interface HealthChange {
  address: string;
  up: boolean;
  reason: string;
}
export interface HealthChecker {
  state: Map<string, { up: boolean; fails: number; passes: number; reason: string | null }>;
  start(): void;
  stop(): Promise<void>;
  pass(): Promise<void>;
}
export function createHealthChecker(options: {
  servers: string[];
  apply: (down: Map<string, string>) => Promise<void> | void;
  path?: string;
  intervalMs?: number;
  timeoutMs?: number;
  fall?: number;
  rise?: number;
  initiallyDown?: Map<string, string>;
  onChange?: (change: HealthChange) => void;
  log?: (message: string) => void;
}): HealthChecker;
