/** autocannon, run in the bench process against 127.0.0.1 only: a warm-up, then the measured run. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Load {
  /** mean of the per-second request counts (autocannon's requests.average) */
  rps: number;
  /** latency percentiles in ms, to 0.1 ms (from every response's own time: see `cannon`) */
  p50: number;
  p99: number;
  max: number;
  total: number;
  /** requests sent but not answered when the run ended (at least one per connection is always in flight) */
  unanswered: number;
  non2xx: number;
  s3xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** the host's steal time during the run, % of all CPU time (null where /proc/stat is not there) */
  stealPct: number | null;
}

/** The all-CPU line of /proc/stat: [steal, total] in ticks. */
function cpuTicks(): [number, number] | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return [f[7] ?? 0, f.reduce((a, b) => a + b, 0)];
  } catch {
    return null;
  }
}

/** Steal time between two samples, as a % of the CPU time (a host busy elsewhere shows here). */
function stealSince(before: [number, number] | null): number | null {
  const after = cpuTicks();
  if (!before || !after || after[1] <= before[1]) return null;
  return Math.round((1000 * (after[0] - before[0])) / (after[1] - before[1])) / 10;
}

export type LoadOptions = Omit<autocannon.Options, 'duration'>;

function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`load goes to 127.0.0.1 only, not ${host}`);
}

/** The latency under which `q` of the responses came (nearest rank), to 0.1 ms. */
function percentile(sorted: Float64Array, q: number): number {
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[at]! * 10) / 10;
}

function summarise(r: autocannon.Result, stealPct: number | null, times?: number[]): Load {
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = s.count ?? 0;
  const sorted = times?.length ? Float64Array.from(times).sort() : null;
  return {
    rps: r.requests.average,
    p50: sorted ? percentile(sorted, 0.5) : r.latency.p50,
    p99: sorted ? percentile(sorted, 0.99) : r.latency.p99,
    max: sorted ? percentile(sorted, 1) : r.latency.max,
    total: r.requests.total,
    unanswered: Math.max(0, r.requests.sent - r.requests.total - r.errors),
    non2xx: r.non2xx,
    s3xx: r['3xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    stealPct,
  };
}

/**
 * One autocannon run of `seconds`. The percentiles come from every response's own time (autocannon
 * emits it in ms with a fraction): autocannon's histogram keeps whole milliseconds, floored, and a
 * p99 of "7 ms" against "10 ms" was a ratio anywhere from 1.27 to 1.56 — the admin rows, compared
 * at 7–14 ms, flipped on that step alone.
 */
export async function cannon(options: LoadOptions, seconds: number): Promise<Load> {
  assertLocal(options.url);
  const times: number[] = [];
  const ticks = cpuTicks();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({ timeout: 10, ...options, duration: seconds }, (err: unknown, r: autocannon.Result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(r),
    );
    run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => times.push(ms));
  });
  return summarise(result, stealSince(ticks), times);
}

/**
 * One autocannon run of `seconds` in a process of its own: for a probe that measures the service's
 * latency while this process drives another load. Sharing the bench's event loop with a 50-connection
 * load added the bench's own delays to the probe (measured: /healthz p99 233 ms in one process,
 * 10 ms from a second one, against the same service under the same logins).
 */
export async function cannonApart(options: { url: string; connections: number; overallRate?: number }, seconds: number): Promise<Load> {
  assertLocal(options.url);
  const { execFile } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '--json', '-c', String(options.connections), '-d', String(seconds), '-t', '10'];
  if (options.overallRate) args.push('-R', String(options.overallRate));
  args.push(options.url);
  const ticks = cpuTicks();
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  return summarise(JSON.parse(stdout) as autocannon.Result, stealSince(ticks));
}

/** `warmupSeconds` of the same load (discarded), then the measured `seconds`. */
export async function measure(options: LoadOptions, seconds: number, warmupSeconds: number): Promise<Load> {
  if (warmupSeconds > 0) await cannon(options, warmupSeconds);
  return cannon(options, seconds);
}

export function describe(label: string, l: Load): string {
  const codes = Object.entries(l.statuses)
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  return (
    `  ${label}: ${Math.round(l.rps)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms, ` +
    `${l.total} answers [${codes}], ${l.non2xx} non-2xx, ${l.errors} errors (${l.timeouts} timeouts)` +
    (l.stealPct === null ? '' : `, host steal ${l.stealPct}%`)
  );
}
