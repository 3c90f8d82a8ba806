import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/** A real SMTP server in the test process, for the tests that check what was really delivered. */

// smtp-server holds its greeting back 100 ms to catch clients that talk before it (spam bots). The
// service opens a connection per email and one test sends 57 of them: the tests' server greets at once.
SMTPConnection.prototype.init = function init(this: SMTPConnection) {
  this._setListeners(() => this.connectionReady());
};

export interface Received {
  /** envelope recipients (RCPT TO) */
  to: string[];
  raw: string;
  headers: string;
  /** the decoded text body */
  text: string;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  /** RCPT TO attempts the server refused */
  refused: string[];
  to(address: string): Received[];
  close(): Promise<void>;
}

/** Decodes the body of a single-part text message (quoted-printable, base64 or plain). */
export function decode(raw: string): { headers: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase() ?? '7bit';
  let text: string;
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    text = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  } else {
    text = body;
  }
  return { headers, text };
}

/** A real SMTP server in this process; `port` 0 picks a free one. Addresses starting "bounce" are refused with 550. */
export async function startSmtp(port = 0): Promise<TestSmtp> {
  const received: Received[] = [];
  const refused: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 1000,
    disableReverseLookup: true,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce')) {
        refused.push(address.address);
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({ to: session.envelope.rcptTo.map((a) => a.address.toLowerCase()), raw, ...decode(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  return {
    port: address.port,
    received,
    refused,
    to: (a) => received.filter((m) => m.to.includes(a.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
