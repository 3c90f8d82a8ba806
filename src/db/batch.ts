import pg from 'pg';
import pgUtils from 'pg/lib/utils.js';
import type { QueryResult, Statement } from './types.js';

/** What of node-postgres's connection a batch writes to (pg/lib/connection.js). */
interface WireConnection {
  stream: { cork?(): void; uncork?(): void };
  parse(query: { text: string }): void;
  bind(config: { values: (string | Buffer | null)[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/**
 * Several statements sent at once on one connection: the extended protocol's Parse, Bind, Describe
 * and Execute for each, then one Sync. PostgreSQL runs everything before a Sync as one implicit
 * transaction: committed at the Sync when every statement succeeded; at the first error the rest
 * are skipped and it is rolled back (protocol docs, "Pipelining"). One round trip, one commit.
 *
 * node-postgres's own Query reads the answers: it already collects one result per statement (it
 * does so for a simple query of several statements), and the client hands it every message. Only
 * the sending differs, so only `submit` is replaced. The parameters are converted (pg's own
 * conversion: dates, arrays, JSON, buffers) before anything is written, so a value that cannot be
 * sent fails the batch without leaving half of it on the wire.
 */
export function batchQuery(statements: readonly Statement[], timeoutMs: number | null): pg.Query {
  const query = new pg.Query({ text: statements.map((s) => s.sql).join(';\n') });
  const submittable = query as unknown as { submit(connection: WireConnection): Error | null; query_timeout?: number };
  if (timeoutMs) submittable.query_timeout = timeoutMs;
  submittable.submit = (connection) => {
    let values: (string | Buffer | null)[][];
    try {
      values = statements.map((s) => s.params.map((v) => pgUtils.prepareValue(v)));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    connection.stream.cork?.();
    try {
      statements.forEach((s, i) => {
        connection.parse({ text: s.sql });
        connection.bind({ values: values[i]! });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  };
  return query;
}

/** The batch's answer (one pg Result per statement; a single one is not in an array) as our results. */
export function batchResults(answer: unknown, count: number): QueryResult<unknown>[] {
  const list = (Array.isArray(answer) ? answer : [answer]) as PgResult[];
  if (list.length !== count) throw new Error(`a batch of ${count} statements had ${list.length} results`);
  return list.map((r) => ({ rows: r.rows, rowCount: r.rowCount ?? r.rows.length }));
}
