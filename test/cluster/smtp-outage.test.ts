import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../helpers/smtp.js';
import { call, clusterAvailable, register, type SeededUser, until, useCluster } from './world.js';

/**
 * SMTP outage (issue 14): while the SMTP server refuses every connection (421 at the greeting),
 * reset codes are asked through nginx, so each of the three instances queues some and tries to
 * send them; once the server accepts again, every email queued meanwhile is delivered exactly once
 * (counted per recipient and subject at the server), whichever instance's worker sends it.
 */

const USERS = 24;
/** these users ask twice: two emails each, with different codes */
const TWICE = 6;

/** A real SMTP server that refuses (421) or accepts, and counts what it was given. */
class GatedSmtp {
  refusing = false;
  refused = 0;
  readonly received: Array<{ to: string[]; subject: string; text: string }> = [];
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onConnect: (_session, callback) => {
      if (!this.refusing) return callback();
      this.refused++;
      callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { headers, text } = decode(Buffer.concat(chunks).toString('utf8'));
        const subject = /^subject:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
        this.received.push({ to: session.envelope.rcptTo.map((a) => a.address.toLowerCase()), subject, text });
        callback();
      });
    },
  });
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const smtp = new GatedSmtp();

describe.runIf(clusterAvailable())('SMTP outage', () => {
  beforeAll(() => smtp.listen());
  afterAll(() => smtp.close());
  const world = useCluster({
    env: { RATE_LIMIT_PER_MINUTE: '1000000' },
    get smtpUrl() {
      return `smtp://127.0.0.1:${smtp.port}`;
    },
  });

  it('every email queued while SMTP refused is delivered exactly once after it accepts again, across the three instances', {
    timeout: 120_000,
  }, async () => {
    const cluster = world.get();
    const base = cluster.nginxUrl;
    const users: SeededUser[] = [];
    for (let i = 0; i < USERS; i++) users.push(await register(base, 'mail'));

    smtp.refusing = true;
    const refusedAt = Date.now();
    const asks = [...users, ...users.slice(0, TWICE)];
    for (let i = 0; i < asks.length; i += 6) {
      const answers = await Promise.all(
        asks.slice(i, i + 6).map((u) => call(base, 'POST', '/api/v1/auth/forgot-password', { email: u.email })),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    }
    // each was tried (right after its commit, by the instance that queued it) and refused
    await until(
      'every queued email tried once and refused',
      async () =>
        (await cluster.sql("select count(*)::int as n from email_outbox where status = 'pending' and attempts >= 1")).rows[0].n ===
        asks.length,
      20_000,
    );
    expect(smtp.received).toEqual([]);
    const triedBy = cluster.instances.map((n) => (readFileSync(n.logFile, 'utf8').match(/email delivery failed/g) ?? []).length);
    smtp.refusing = false;
    const acceptedAt = Date.now();

    // the outbox retries 30 s after a first failure (src/modules/email/outbox.ts backoffMs)
    await until('every email delivered', async () => smtp.received.length >= asks.length, 75_000, 250);
    const deliveredAt = Date.now();
    // a few more worker passes on every instance: nothing is sent again
    await new Promise((r) => setTimeout(r, 3_000));

    const perMessage = new Map<string, number>();
    for (const m of smtp.received)
      for (const to of m.to) perMessage.set(`${to} | ${m.subject}`, (perMessage.get(`${to} | ${m.subject}`) ?? 0) + 1);
    const expected = new Map<string, number>();
    const subject = smtp.received[0]?.subject ?? '';
    for (const u of asks) expected.set(`${u.email} | ${subject}`, (expected.get(`${u.email} | ${subject}`) ?? 0) + 1);
    const codes = new Set(smtp.received.map((m) => /\b(\d{6})\b/.exec(m.text)?.[1]));
    const outbox = await cluster.sql(
      "select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status <> 'sent')::int as other, sum(attempts)::int as attempts from email_outbox",
    );
    console.log(
      `SMTP outage: ${asks.length} reset codes asked through nginx while SMTP refused (${smtp.refused} connections refused with 421; ` +
        `failed attempts logged by instance ${triedBy.map((n, i) => `${i + 1}: ${n}`).join(', ')}); SMTP accepted again after ${acceptedAt - refusedAt} ms\n` +
        `  ${smtp.received.length} emails delivered ${((deliveredAt - acceptedAt) / 1000).toFixed(1)} s later, to ${perMessage.size} recipient+subject pairs, ` +
        `${codes.size} distinct codes; outbox: ${outbox.rows[0].sent} sent, ${outbox.rows[0].other} not, ${outbox.rows[0].attempts} attempts in all`,
    );
    expect(smtp.received.length).toBe(asks.length);
    expect(Object.fromEntries(perMessage)).toEqual(Object.fromEntries(expected));
    expect(codes.size).toBe(asks.length);
    expect(outbox.rows[0]).toMatchObject({ sent: asks.length, other: 0 });
    expect(triedBy.filter((n) => n > 0).length, 'instances that tried and failed').toBe(cluster.instances.length);
    expect(cluster.crashes()).toEqual([]);
  });
});
