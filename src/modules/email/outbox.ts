import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db, Tx } from '../../db/index.js';
import type { Mailer } from './mailer.js';
import type { Email } from './templates.js';

interface OutboxRow {
  /** bigserial: pg answers a string, PGlite a number */
  id: number | string;
  to_address: string;
  subject: string;
  body_text: string;
  attempts: number;
}

/** a claimed email is someone's for this long; if its sender dies, another instance retries it */
const LEASE_MS = 5 * 60_000;
const BATCH = 50;
/** a server that keeps rejecting an address (5xx) is believed after this many tries */
const MAX_PERMANENT_FAILURES = 5;

/** 30 s, 1 min, 2 min, … capped at one hour: the backlog drains soon after SMTP returns. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
}

/**
 * Owns `email_outbox`: rows written inside the caller's transaction, delivered after commit by the
 * worker. `kick` wakes the worker; enqueue registers it on the unit of work, so whoever queues an
 * email gets prompt delivery after the commit without remembering to ask for it.
 */
export function createOutbox(deps: { db: Db; mailer: Mailer; clock: Clock; log: FastifyBaseLogger; kick: () => void }) {
  const { db, mailer, clock, log, kick } = deps;

  return {
    async enqueue(tx: Tx, email: Email): Promise<void> {
      await tx.query(
        'insert into email_outbox (to_address, subject, body_text, kind, created_at, next_attempt_at) values ($1, $2, $3, $4, $5, $5)',
        [email.to, email.subject, email.text, email.kind, clock.now()],
      );
      tx.afterCommit(kick);
    },

    /** Sends what is due; safe to run on several instances at once (SKIP LOCKED plus a lease). `taskLog`: the worker's, naming its task. */
    async deliverDue(taskLog: FastifyBaseLogger = log): Promise<{ sent: number; failed: number }> {
      let sent = 0;
      let failed = 0;
      for (;;) {
        const now = clock.now();
        const { rows } = await db.query<OutboxRow>(
          `update email_outbox set attempts = attempts + 1, next_attempt_at = $2
           where id in (select id from email_outbox where status = 'pending' and next_attempt_at <= $1
                        order by next_attempt_at, id limit ${BATCH} for update skip locked)
           returning id, to_address, subject, body_text, attempts`,
          [now, new Date(now.getTime() + LEASE_MS)],
        );
        // UPDATE … RETURNING gives rows in whatever order it met them: an account's emails go out in
        // the order they were written (a reset code before the "password changed" that follows it)
        rows.sort((a, b) => Number(a.id) - Number(b.id));
        for (const row of rows) {
          try {
            await mailer.send({ to: row.to_address, subject: row.subject, text: row.body_text });
            // the body may hold an OTP or a link: once delivered it has no reason to stay
            await db.query("update email_outbox set status = 'sent', sent_at = $2, body_text = null, last_error = null where id = $1", [
              row.id,
              clock.now(),
            ]);
            sent++;
          } catch (err) {
            failed++;
            const e = err as { message?: string; responseCode?: number; code?: string };
            const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && row.attempts >= MAX_PERMANENT_FAILURES;
            const reason = `${String(e.responseCode ?? e.code ?? 'error')}: ${String(e.message ?? err).slice(0, 300)}`;
            await db.query(`update email_outbox set status = $2, next_attempt_at = $3, last_error = $4 where id = $1`, [
              row.id,
              permanent ? 'failed' : 'pending',
              new Date(clock.now().getTime() + backoffMs(row.attempts)),
              reason,
            ]);
            taskLog.warn({ emailId: row.id, attempts: row.attempts, reason, permanent }, 'email delivery failed');
          }
        }
        if (rows.length < BATCH) return { sent, failed };
      }
    },

    /** The emails waiting to be sent and the age of the oldest, in seconds (0 when none): the metrics read it at each scrape. */
    async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
      const { rows } = await db.query<{ pending: number; oldest: Date | null }>(
        "select count(*)::int as pending, min(created_at) as oldest from email_outbox where status = 'pending'",
      );
      const oldest = rows[0]?.oldest;
      return {
        pending: rows[0]?.pending ?? 0,
        oldestAgeSeconds: oldest ? Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000) : 0,
      };
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
