import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../src/modules/email/mailer.js';
import { backoffMs } from '../src/modules/email/outbox.js';
import { Harness, uniqueEmail } from './helpers/harness.js';
import { type Received, startSmtp, type TestSmtp } from './helpers/smtp.js';

const FROM = 'SocioX <no-reply@example.test>';
const OTHER_FROM = 'SocioX <other-instance@example.test>';
const NEW_PASSWORD = 'a brand new password';

/** A port on which nothing listens (it was free a moment ago). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function otpIn(mail: Received): string {
  const codes = mail.text.match(/\b\d{6}\b/g) ?? [];
  expect(codes, mail.text).toHaveLength(1);
  return codes[0]!;
}

interface OutboxRow {
  id: number;
  to_address: string;
  status: string;
  attempts: number;
  last_error: string | null;
  body_text: string | null;
  next_attempt_at: Date;
}

async function outbox(h: Harness): Promise<OutboxRow[]> {
  const { rows } = await h.db.query<OutboxRow>(
    'select id, to_address, status, attempts, last_error, body_text, next_attempt_at from email_outbox order by id',
  );
  return rows;
}

describe('delivery over a real SMTP server', () => {
  let smtp: TestSmtp;
  let h: Harness;

  beforeAll(async () => {
    smtp = await startSmtp();
    h = await Harness.create({ mailer: new SmtpMailer(`smtp://127.0.0.1:${smtp.port}`, FROM) });
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });
  beforeEach(async () => {
    await h.reset();
    smtp.received.length = 0;
    smtp.refused.length = 0;
  });

  it('delivers the reset code by SMTP, and the code from that email resets the password', async () => {
    const user = await h.registerUser();
    expect((await h.post('/api/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    expect(smtp.received).toHaveLength(0); // queued, not sent inside the request

    await h.deliver();
    const mails = smtp.to(user.email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.headers).toMatch(new RegExp(`^To: ${user.email.replace(/[.+]/g, '\\$&')}$`, 'im'));
    expect(mail.headers).toMatch(/^From: .*no-reply@example\.test/im);
    const otp = otpIn(mail);

    const reset = await h.post('/api/auth/reset-password', { email: user.email, otp, newPassword: NEW_PASSWORD });
    expect(reset.statusCode).toBe(200);
    expect((await h.post('/api/v1/auth/login', { email: user.email, password: NEW_PASSWORD })).statusCode).toBe(200);

    // the "password changed" notice goes out by SMTP too
    await h.deliver();
    const after = smtp.to(user.email);
    expect(after).toHaveLength(2);
    expect(after[1]!.headers).toMatch(/^Subject: .*password was changed/im);
    expect(after[1]!.text).not.toContain(otp);

    // delivered rows keep no secret
    const rows = await outbox(h);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.status).toBe('sent');
      expect(r.body_text).toBeNull();
    }
  });

  it('sends each queued email exactly once when two instances deliver at the same time', async () => {
    // each instance signs with its own From, so the test can tell who sent what
    const other = await h.sibling({}, new SmtpMailer(`smtp://127.0.0.1:${smtp.port}`, OTHER_FROM));
    try {
      const users = [await h.registerUser(), await h.registerUser()];
      for (const u of users) expect((await h.post('/api/v1/auth/forgot-password', { email: u.email })).statusCode).toBe(200);
      // more than one worker batch (50 rows), so both instances find work to race for
      await h.db.query(
        `insert into email_outbox (to_address, subject, body_text, kind, created_at, next_attempt_at)
         select 'bulk' || g || '@example.com', 'Bulk ' || g, 'body ' || g, 'password_changed', $1, $1 from generate_series(1, 55) g`,
        [h.clock.now()],
      );
      const queued = (await outbox(h)).map((r) => r.to_address);
      expect(queued).toHaveLength(57);

      await Promise.all([h.app.worker.runOnce(), other.app.worker.runOnce()]);

      expect(smtp.received).toHaveLength(57);
      for (const address of queued) expect(smtp.to(address), address).toHaveLength(1);
      const rows = await outbox(h);
      expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
      // the race really happened: both instances delivered part of the queue
      const byOther = smtp.received.filter((m) => /^From: .*other-instance@example\.test/im.test(m.headers)).length;
      expect(byOther).toBeGreaterThan(0);
      expect(byOther).toBeLessThan(57);

      // and nothing more goes out on later passes
      h.clock.advance(60 * 60_000);
      await Promise.all([h.app.worker.runOnce(), other.app.worker.runOnce()]);
      expect(smtp.received).toHaveLength(57);
    } finally {
      await other.app.close();
    }
  }, 60_000);

  it('gives up on an address the server keeps refusing (5xx) after 5 attempts, and retries until then', async () => {
    const bounce = `bounce.${uniqueEmail()}`;
    await h.db.query(
      `insert into email_outbox (to_address, subject, body_text, kind, created_at, next_attempt_at)
       values ($1, 'Your password was changed', 'text', 'password_changed', $2, $2)`,
      [bounce, h.clock.now()],
    );
    for (let attempt = 1; attempt <= 4; attempt++) {
      await h.deliver();
      const [row] = await outbox(h);
      expect(row).toMatchObject({ status: 'pending', attempts: attempt });
      expect(row!.last_error).toMatch(/550/);
      h.clock.advance(backoffMs(attempt) + 1000);
    }
    await h.deliver();
    const [row] = await outbox(h);
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
    expect(smtp.refused).toHaveLength(5);

    h.clock.advance(24 * 60 * 60_000);
    await h.deliver();
    expect(smtp.refused).toHaveLength(5);
    expect(smtp.received).toHaveLength(0);
  });
});

describe('SMTP outage', () => {
  let port: number;
  let h: Harness;
  let smtp: TestSmtp | undefined;

  beforeAll(async () => {
    port = await freePort();
    h = await Harness.create({ mailer: new SmtpMailer(`smtp://127.0.0.1:${port}`, FROM) });
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it('keeps emails pending while SMTP is down and delivers each once after it returns, on the backoff schedule', async () => {
    const users = [await h.registerUser(), await h.registerUser()];
    for (const u of users) expect((await h.post('/api/v1/auth/forgot-password', { email: u.email })).statusCode).toBe(200);

    // first attempt: connection refused
    await h.deliver();
    let rows = await outbox(h);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.status).toBe('pending');
      expect(r.attempts).toBe(1);
      expect(r.last_error).toBeTruthy();
      expect(r.body_text).toMatch(/\b\d{6}\b/); // still needed for the retry
      expect(r.next_attempt_at.getTime() - h.clock.now().getTime()).toBeGreaterThanOrEqual(backoffMs(1) - 1000);
    }

    // second attempt after the first backoff, still down: the wait grows
    h.clock.advance(backoffMs(1) + 1000);
    await h.deliver();
    rows = await outbox(h);
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'pending', attempts: 2 });
      const wait = r.next_attempt_at.getTime() - h.clock.now().getTime();
      expect(wait).toBeGreaterThan(backoffMs(1));
      expect(wait).toBeLessThanOrEqual(backoffMs(2));
    }

    // SMTP comes back on that very port
    smtp = await startSmtp(port);
    expect(smtp.port).toBe(port);

    // before the backoff has elapsed: nothing is attempted
    h.clock.advance(backoffMs(2) / 2);
    await h.deliver();
    expect(smtp.received).toHaveLength(0);
    expect((await outbox(h)).every((r) => r.status === 'pending' && r.attempts === 2)).toBe(true);

    // after it: both go out, once each
    h.clock.advance(backoffMs(2) / 2 + 1000);
    await h.deliver();
    expect(smtp.received).toHaveLength(2);
    for (const u of users) {
      const mails = smtp.to(u.email);
      expect(mails).toHaveLength(1);
      otpIn(mails[0]!);
    }
    rows = await outbox(h);
    for (const r of rows) {
      expect(r.status).toBe('sent');
      expect(r.attempts).toBe(3);
      expect(r.body_text).toBeNull();
      expect(r.last_error).toBeNull();
    }

    // the OTP that waited out the outage still works if within its 10 minutes
    const otp = otpIn(smtp.to(users[0]!.email)[0]!);
    const reset = await h.post('/api/v1/auth/reset-password', { email: users[0]!.email, otp, newPassword: NEW_PASSWORD });
    expect(reset.statusCode).toBe(200);

    h.clock.advance(60 * 60_000);
    await h.deliver();
    expect(smtp.to(users[1]!.email)).toHaveLength(1);
  });
});

describe('delivery order', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.create();
  });
  afterAll(() => h.close());

  it("delivers an account's emails in the order they were written, however the rows lie on disk", async () => {
    const to = uniqueEmail();
    for (let i = 0; i < 12; i++) {
      await h.db.transaction((tx) => h.app.outbox.enqueue(tx, { kind: 'password_changed', to, subject: `email ${i}`, text: `body ${i}` }));
    }
    // rewriting the first rows moves their tuples after the others: UPDATE … RETURNING then meets them last
    await h.db.query("update email_outbox set last_error = 'moved' where subject in ('email 0', 'email 1', 'email 2')");
    await h.deliver();
    expect(h.mailer.to(to).map((m) => m.subject)).toEqual(Array.from({ length: 12 }, (_, i) => `email ${i}`));
  });
});

describe('backoffMs', () => {
  it('starts at 30 s, doubles per attempt and is capped at one hour', () => {
    expect(backoffMs(1)).toBe(30_000);
    expect(backoffMs(2)).toBe(60_000);
    expect(backoffMs(3)).toBe(120_000);
    for (let a = 1; a < 40; a++) expect(backoffMs(a + 1)).toBeGreaterThanOrEqual(backoffMs(a));
    expect(backoffMs(8)).toBe(60 * 60_000);
    expect(backoffMs(50)).toBe(60 * 60_000);
    expect(backoffMs(5000)).toBe(60 * 60_000);
  });
});
