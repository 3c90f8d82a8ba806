import type { FastifyBaseLogger } from 'fastify';
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

/** Delivers one email or throws; the outbox decides about retries. */
export interface Mailer {
  readonly kind: string;
  send(email: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp';
  private readonly transport: nodemailer.Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    // bounded timeouts: a hanging server must not stall the worker, the outbox retries later
    this.transport = nodemailer.createTransport(url, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as object);
  }
  async send(email: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: email.to, subject: email.subject, text: email.text });
  }
  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * No SMTP configured: the email is logged instead. In development the body is logged too,
 * so a developer can read the OTP or link; in production only who and what, never the secret.
 */
export class LogMailer implements Mailer {
  readonly kind = 'log';
  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly includeBody: boolean,
  ) {}
  async send(email: OutgoingEmail): Promise<void> {
    if (this.includeBody)
      this.log.info({ email: { to: email.to, subject: email.subject }, emailBody: email.text }, 'email (not sent: SMTP_URL is unset)');
    else this.log.warn({ email: { to: email.to, subject: email.subject } }, 'email dropped to the log: SMTP_URL is unset');
  }
  async close(): Promise<void> {}
}

/** Keeps what it was given; for tests and for embedding the service. */
export class MemoryMailer implements Mailer {
  readonly kind = 'memory';
  readonly sent: OutgoingEmail[] = [];
  async send(email: OutgoingEmail): Promise<void> {
    this.sent.push(email);
  }
  async close(): Promise<void> {}
  to(address: string): OutgoingEmail[] {
    return this.sent.filter((e) => e.to === address.toLowerCase());
  }
  last(address: string): OutgoingEmail | undefined {
    return this.to(address).at(-1);
  }
  clear(): void {
    this.sent.length = 0;
  }
}
