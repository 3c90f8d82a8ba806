/**
 * Sends cases, judges the outcomes and keeps the tallies. The service runs in this process, so one
 * request that blocks the event loop delays every request in flight with it: slow and unanswered
 * requests are suspects, replayed one at a time afterwards to tell the culprit from the bystanders.
 */
import type { Case } from './cases.js';
import type { Client, Outcome } from './http.js';
import { type Failure, judge } from './report.js';

/** A request that takes this long on its own blocks the service (it shares one event loop). */
export const SLOW_MS = 1000;
/** Replays are one at a time; past this budget the rest keep their first outcome. */
const REPLAY_BUDGET_MS = 90_000;

interface Suspect {
  op: string;
  c: Case;
  reqId: string;
  start: number;
  end: number;
  problem: string | null;
}

export class Executor {
  total = 0;
  readonly byKind = new Map<string, number>();
  readonly statuses = new Map<string, number>();
  readonly failures: Failure[] = [];
  /** 2xx answers to bodies the schema forbids, by field and reason: the operations, and an example */
  readonly accepted = new Map<string, { n: number; ops: Set<string>; example: string }>();
  readonly slowest: { ms: number; line: string }[] = [];
  /** reqId → what it was and how it ended, to explain a reset on the connection it handed over */
  private readonly described = new Map<string, string>();
  private readonly suspects: Suspect[] = [];
  /** slow or unanswered requests that were prompt alone: delayed by a proven slow one in flight with them */
  bystanders = 0;
  replayed = 0;

  constructor(private readonly client: Client) {}

  async send(op: string, c: Case, reqId: string): Promise<void> {
    c.req.headers['x-request-id'] = reqId;
    const out = await this.client.send(c.req);
    const end = performance.now();
    this.total++;
    this.byKind.set(c.kind, (this.byKind.get(c.kind) ?? 0) + 1);
    const statusKey = out.response ? String(out.response.status) : `error ${(out.error ?? '').split(' ')[0]}`;
    this.statuses.set(statusKey, (this.statuses.get(statusKey) ?? 0) + 1);
    this.described.set(
      reqId,
      `${c.req.method} ${c.req.path.slice(0, 60)} [${c.kind}: ${c.note.slice(0, 50)}] → ${out.response ? out.response.status : out.error}`,
    );
    this.noteSlow(out.ms, c);
    const status = out.response?.status ?? 0;
    if (c.reject && status >= 200 && status < 300) {
      const seen = this.accepted.get(c.reject) ?? { n: 0, ops: new Set<string>(), example: `${op}: ${c.note} → ${status}` };
      seen.n++;
      seen.ops.add(op);
      this.accepted.set(c.reject, seen);
    }
    let problem = judge(c, out);
    if (problem && !out.response && out.previousOnSocket) {
      problem += ` on a reused keep-alive connection; the request before on it was ${out.previousOnSocket}: ${this.described.get(out.previousOnSocket) ?? '?'}`;
    }
    if (out.ms >= SLOW_MS || (problem && !out.response && /no answer/.test(problem))) {
      this.suspects.push({ op, c, reqId, start: end - out.ms, end, problem });
      return;
    }
    if (problem) this.failures.push({ op, c, reqId, problem, logs: [] });
  }

  /** What request `reqId` was and how it ended (for log lines of requests that did not fail). */
  describe(reqId: string): string {
    return this.described.get(reqId.replace(/-replay$/, '')) ?? reqId;
  }

  private noteSlow(ms: number, c: Case): void {
    this.slowest.push({ ms, line: `${c.req.method} ${c.req.path.slice(0, 80)} [${c.kind}: ${c.note.slice(0, 60)}]` });
    if (this.slowest.length > 60) this.slowest.sort((a, b) => b.ms - a.ms).splice(20);
  }

  /** Replays each suspect alone: slow alone is a failure; prompt alone while a proven culprit ran is not. */
  async replaySuspects(): Promise<void> {
    const started = performance.now();
    const culprits: Suspect[] = [];
    const innocent: Suspect[] = [];
    // the slowest first: the culprit of a stall took at least as long as anything it delayed
    const order = [...this.suspects].sort((a, b) => b.end - b.start - (a.end - a.start));
    for (const s of order) {
      if (performance.now() - started > REPLAY_BUDGET_MS) {
        if (s.problem)
          this.failures.push({ op: s.op, c: s.c, reqId: s.reqId, problem: `${s.problem} (not replayed: replay budget spent)`, logs: [] });
        continue;
      }
      const reqId = `${s.reqId}-replay`;
      s.c.req.headers['x-request-id'] = reqId;
      const out: Outcome = await this.client.send(s.c.req);
      this.replayed++;
      const problem = judge(s.c, out);
      if (problem || out.ms >= SLOW_MS) {
        culprits.push(s);
        const why =
          problem ??
          `answered ${out.response?.status} only after ${(out.ms / 1000).toFixed(1)} s when sent alone (blocks the event loop; every request in flight waits)`;
        this.failures.push({ op: s.op, c: s.c, reqId, problem: why, logs: [] });
      } else {
        innocent.push(s);
      }
    }
    for (const s of innocent) {
      const overlaps = culprits.some((k) => k.start < s.end && s.start < k.end);
      const hung = s.problem !== null && !s.problem.startsWith('status') && /no answer/.test(s.problem);
      if (!s.problem || (hung && overlaps)) this.bystanders++;
      // a hang nothing slow explains is a hang of its own (a lock under concurrency, say); a 5xx stays a 5xx
      else
        this.failures.push({
          op: s.op,
          c: s.c,
          reqId: s.reqId,
          problem: hung ? `${s.problem} (answered promptly when replayed alone)` : s.problem,
          logs: [],
        });
    }
  }
}
