/**
 * What counts as a failure, and how failures and totals are printed: each failing request on one
 * line (enough to replay it), then the same grouped by outcome, with the server's error log lines.
 */
import type { Case } from './cases.js';
import type { Outcome } from './http.js';
import type { LogLine } from './server.js';

export interface Failure {
  op: string;
  c: Case;
  reqId: string;
  problem: string;
  logs: LogLine[];
}

/** Responses that are not the API's JSON envelope by design (the JWKS is RFC 7517's shape, for other services' verifiers). */
function envelopeExempt(c: Case, status: number): boolean {
  const path = c.req.path;
  const standard =
    path.startsWith('/docs') || path.startsWith('/openapi.json') || (path.startsWith('/.well-known/jwks.json') && status === 200);
  return c.req.method === 'HEAD' || status === 204 || standard;
}

/** Why this outcome fails the pass criteria, or null. */
export function judge(c: Case, out: Outcome): string | null {
  const res = out.response;
  // no response read in full: a reset, a hang-up or a timeout, whatever the status line said
  if (!res) return `dropped connection: ${out.error ?? 'unknown'}`;
  if (res.status >= 500) return `status ${res.status}`;
  if (envelopeExempt(c, res.status)) return null;
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    return `status ${res.status}, body is not JSON: ${JSON.stringify(res.body.toString('utf8').slice(0, 80))}`;
  }
  const env = body as { status?: unknown; message?: unknown } | null;
  if (!env || typeof env !== 'object' || typeof env.status !== 'boolean' || typeof env.message !== 'string') {
    return `status ${res.status}, not an envelope: ${JSON.stringify(body).slice(0, 120)}`;
  }
  return null;
}

function preview(body: Buffer | undefined): string {
  if (!body) return '-';
  const text = body.subarray(0, 160).toString('utf8');
  return `${JSON.stringify(text)}${body.length > 160 ? `…(${body.length} bytes)` : ''}`;
}

export function requestLine(f: Failure): string {
  const r = f.c.req;
  const headers = Object.entries(r.headers)
    .filter(([k]) => k !== 'authorization' || f.c.kind === 'auth')
    .map(([k, v]) => `${k}: ${JSON.stringify(v).slice(0, 60)}`)
    .join('; ');
  const url = r.path.length > 200 ? `${r.path.slice(0, 200)}…(${r.path.length} chars)` : r.path;
  return `${r.method} ${url}  [${f.c.kind}: ${f.c.note}]  headers{${headers}}  body ${preview(r.body)}${r.chunked ? ' (chunked)' : ''}  => ${f.problem}`;
}

function logText(l: LogLine): string {
  const err = l.err ? ` ${l.err.type ?? ''}: ${l.err.message ?? ''}${l.err.code ? ` (code ${l.err.code})` : ''}` : '';
  return `${l.msg ?? ''}${err}`.replace(/\s+/g, ' ').slice(0, 300);
}

export function printSummary(o: {
  seed: number;
  database: string;
  ops: number;
  total: number;
  setupRequests: number;
  ms: number;
  byKind: Map<string, number>;
  statuses: Map<string, number>;
  failures: Failure[];
  unmatchedLogs: LogLine[];
  accepted: Map<string, { n: number; ops: Set<string>; example: string }>;
  maxList: number;
}): void {
  const line = '-'.repeat(78);
  console.log(`\n${line}\nfuzz summary`);
  console.log(`seed ${o.seed} (FUZZ_SEED=${o.seed} to repeat), database: ${o.database}`);
  console.log(
    `${o.total} fuzz requests over ${o.ops} operations (+${o.setupRequests} set-up requests) in ${(o.ms / 1000).toFixed(1)} s, ${Math.round((o.total / o.ms) * 1000)} req/s`,
  );
  console.log('requests per kind:');
  for (const [k, n] of [...o.byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(18)} ${n}`);
  console.log('statuses:');
  console.log(
    '  ' +
      [...o.statuses]
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', '),
  );
  if (!o.failures.length) console.log('\nPASS: no 5xx, every response an envelope, no dropped connection');
  else {
    console.log(`\nFAILED: ${o.failures.length} failing requests`);
    console.log(`\nfailing requests${o.failures.length > o.maxList ? ` (first ${o.maxList}; FUZZ_MAX_LIST to see more)` : ''}:`);
    for (const f of o.failures.slice(0, o.maxList)) {
      console.log(`  ${requestLine(f)}`);
      for (const l of f.logs.slice(0, 2)) console.log(`      server log: ${logText(l)}`);
    }
    // one row per (outcome, input kind, server error): what to fix, and where it shows
    const groups = new Map<string, { n: number; ops: Set<string>; notes: Set<string> }>();
    for (const f of o.failures) {
      const log = f.logs[0] ? logText(f.logs[0]) : 'no server log';
      const problem = f.problem.replace(/\(after.*$/, '').replace(/\d+(\.\d+)? s\b/, 'N s');
      const key = `${problem.slice(0, 80)} | ${f.c.kind} | ${log}`;
      const g = groups.get(key) ?? { n: 0, ops: new Set<string>(), notes: new Set<string>() };
      g.n++;
      g.ops.add(f.op);
      g.notes.add(f.c.note.replace(/ \[.*\]$/, ''));
      groups.set(key, g);
    }
    console.log('\nfailures grouped by outcome | input kind | server log:');
    for (const [key, g] of [...groups].sort((a, b) => b[1].n - a[1].n)) {
      console.log(`  ${g.n} x ${key}`);
      console.log(
        `      inputs: ${[...g.notes]
          .slice(0, 6)
          .map((n) => n.slice(0, 60))
          .join(' ; ')}${g.notes.size > 6 ? ` ; …(${g.notes.size})` : ''}`,
      );
      console.log(`      operations (${g.ops.size}): ${[...g.ops].slice(0, 8).join(', ')}${g.ops.size > 8 ? ', …' : ''}`);
    }
  }
  if (o.accepted.size) {
    // not failures: the pass criteria are crashes, the envelope and connections; these are for a person to judge
    const rows = [...o.accepted].sort((a, b) => b[1].ops.size - a[1].ops.size || a[0].localeCompare(b[0]));
    console.log(
      `\nwarnings (not failures): 2xx answers to bodies their schema forbids, or carrying control characters (${rows.length} field/reason pairs):`,
    );
    for (const [why, v] of rows.slice(0, o.maxList)) {
      console.log(`  ${why}: ${v.n} x on ${v.ops.size} operation(s), e.g. ${v.example.slice(0, 140)}`);
    }
  }
  if (o.unmatchedLogs.length) {
    // not a failure by themselves (set-up calls, background work), but worth a look
    console.log(`\nserver error log lines not tied to a failing request (${o.unmatchedLogs.length}):`);
    for (const l of o.unmatchedLogs.slice(0, 20)) console.log(`  ${logText(l)}`);
  }
  console.log(line);
}
