/** autocannon, run in the bench process against 127.0.0.1 only: a warm-up, then the measured run. */
import autocannon from 'autocannon';

export interface Load {
  /** mean of the per-second request counts (autocannon's requests.average) */
  rps: number;
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
}

export type LoadOptions = Omit<autocannon.Options, 'duration'>;

function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`load goes to 127.0.0.1 only, not ${host}`);
}

function summarise(r: autocannon.Result): Load {
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = s.count ?? 0;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    unanswered: Math.max(0, r.requests.sent - r.requests.total - r.errors),
    non2xx: r.non2xx,
    s3xx: r['3xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
  };
}

/** One autocannon run of `seconds`. */
export async function cannon(options: LoadOptions, seconds: number): Promise<Load> {
  assertLocal(options.url);
  const result = await autocannon({ timeout: 10, ...options, duration: seconds });
  return summarise(result);
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
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  return summarise(JSON.parse(stdout) as autocannon.Result);
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
    `${l.total} answers [${codes}], ${l.non2xx} non-2xx, ${l.errors} errors (${l.timeouts} timeouts)`
  );
}
