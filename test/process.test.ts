import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeOutput,
  exitWithin,
  freePort,
  freshDir,
  json,
  migratedDataDir,
  post,
  processCleanup,
  start,
  stop,
  waitHealthy,
} from './helpers/process.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

/**
 * The real entry point as `npm start` runs it, but from the TypeScript sources through tsx
 * (no build): configuration from the environment, the embedded database under DATA_DIR,
 * SIGTERM for a clean stop, a restart on the same DATA_DIR, and email by SMTP or to the log.
 * The first superadmin (from the environment or the operator command) is in
 * process-superadmin.test.ts. Tests that are not about a new DATA_DIR start on one whose database
 * is already migrated (`migratedDataDir()`).
 */

processCleanup();

/** SMTP servers this file started, closed after each test even when it fails. */
const smtpServers = new Set<TestSmtp>();

async function startSmtpServer(): Promise<TestSmtp> {
  const smtp = await startSmtp();
  const close = smtp.close;
  const tracked: TestSmtp = {
    ...smtp,
    close: () => {
      smtpServers.delete(tracked);
      return close();
    },
  };
  smtpServers.add(tracked);
  return tracked;
}

/** Polls `check` every 100 ms until it returns something truthy; fails after ms with `describe()`. */
async function waitFor<T>(check: () => T | undefined | null | false, ms: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The JSON log lines of a process's stdout (pino writes one object a line). */
function logLines(text: string): Array<Record<string, any>> {
  const lines: Array<Record<string, any>> = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // a partial line still being written
    }
  }
  return lines;
}

/** Registers a user and asks for a password reset: the service queues one email with a 6-digit code. */
async function registerAndForget(base: string, email: string): Promise<void> {
  const registered = await post(base, '/api/v1/auth/register', { email, password: 'password123', name: 'Process Mail' });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  const forgot = await post(base, '/api/auth/forgot-password', { email });
  expect(forgot.status, JSON.stringify(forgot.body)).toBe(200);
  expect(forgot.body.status).toBe(true);
}

function uniqueAddress(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.r${randomBytes(3).toString('hex')}@example.com`;
}

afterEach(async () => {
  for (const smtp of [...smtpServers]) await smtp.close();
});

describe('the service process (src/main.ts)', () => {
  it('starts on the embedded database, serves, stops cleanly on SIGTERM, and keeps data and tokens across a restart', async () => {
    const dataDir = freshDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info' };

    // first run: a new DATA_DIR
    const first = start(env);
    await waitHealthy(first, base);

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await json(health)).toMatchObject({ status: true });

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status, describeOutput(first)).toBe(200);
    expect(await json(ready)).toMatchObject({ status: true });

    const email = `process.${Date.now().toString(36)}@example.com`;
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password123', name: 'Process Test' }),
    });
    const registeredBody = await json(registered);
    expect(registered.status, JSON.stringify(registeredBody)).toBe(201);
    const token: string = registeredBody.token;
    expect(token).toEqual(expect.any(String));

    const me = await fetch(`${base}/api/users/details`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);

    const firstExit = await stop(first);
    expect(firstExit, describeOutput(first)).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toContain('stopped');
    expect(first.stdout()).toContain('database ready');

    // the port is free again once it has stopped
    await expect(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

    // second run on the same DATA_DIR: the database and the development JWT secret persisted
    const second = start(env);
    await waitHealthy(second, base);

    const stillValid = await fetch(`${base}/api/users/details`, { headers: { authorization: `Bearer ${token}` } });
    const stillValidBody = await json(stillValid);
    expect(stillValid.status, JSON.stringify(stillValidBody)).toBe(200);
    expect(JSON.stringify(stillValidBody)).toContain(email);

    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'password123' }),
    });
    const loginBody = await json(login);
    expect(login.status, JSON.stringify(loginBody)).toBe(200);
    expect(loginBody.token).toEqual(expect.any(String));

    // nothing to migrate the second time
    expect(second.stdout()).toMatch(/"applied":\[\]/);

    const secondExit = await stop(second);
    expect(secondExit, describeOutput(second)).toEqual({ code: 0, signal: null });
    expect(second.stdout()).toContain('stopped');
  }, 180_000);

  it('on SIGTERM finishes the request in flight before exiting 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // forgot-password never answers before FORGOT_PASSWORD_MIN_MS: a request that is surely in flight
    const proc = start({
      DATA_DIR: await migratedDataDir(),
      PORT: String(port),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      FORGOT_PASSWORD_MIN_MS: '2000',
    });
    await waitHealthy(proc, base);
    const inFlight = fetch(`${base}/api/auth/forgot-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com' }),
    });
    await new Promise((r) => setTimeout(r, 500));
    proc.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe(true);
    const exit = await exitWithin(proc, 30_000);
    expect(exit, describeOutput(proc)).toEqual({ code: 0, signal: null });
    // and it no longer accepts connections
    await expect(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 120_000);

  it('with SHUTDOWN_DELAY_MS, SIGTERM first makes /readyz 503 while requests are still served (Connection: close), then exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = start({ DATA_DIR: await migratedDataDir(), PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '3000' });
    await waitHealthy(proc, base);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const signalled = Date.now();
    proc.child.kill('SIGTERM');
    await waitFor(
      () => proc.stdout().includes('still serving until the delay ends'),
      5_000,
      () => describeOutput(proc),
    );
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await json(ready)).toEqual({ status: false, message: 'shutting down' });
    // still serving, and telling a kept-alive client to open its next connection elsewhere
    const served = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v1/subscription/plans`, { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(served).toEqual({ status: 200, connection: 'close' });
    const exit = await exitWithin(proc, 30_000);
    expect(exit, describeOutput(proc)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(2_900);
  }, 120_000);

  it('refuses to start in production without JWT_SECRET', async () => {
    const dataDir = freshDir();
    const proc = start({ DATA_DIR: dataDir, PORT: String(await freePort()), NODE_ENV: 'production', LOG_LEVEL: 'info' });
    const { code } = await exitWithin(proc, 60_000);
    expect(code, describeOutput(proc)).not.toBe(0);
    expect(code).not.toBeNull();
    expect(proc.stderr()).toContain('JWT_SECRET');
  }, 90_000);

  it('refuses to start in production with a weak JWT_SECRET, saying why', async () => {
    const proc = start({ DATA_DIR: freshDir(), PORT: String(await freePort()), NODE_ENV: 'production', JWT_SECRET: 'secret' });
    const { code } = await exitWithin(proc, 60_000);
    expect(code, describeOutput(proc)).not.toBe(0);
    expect(proc.stderr()).toMatch(/JWT_SECRET.*weak/);
  }, 90_000);

  it('delivers email over SMTP_URL from MAIL_FROM, promptly after the commit (no worker interval)', async () => {
    const smtp = await startSmtpServer();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = start({
      DATA_DIR: await migratedDataDir(),
      PORT: String(port),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'SocioX Test <no-reply@sociox.test>',
      // the interval pass is 10 minutes away: only the kick after the commit can deliver in time
      JOBS_INTERVAL_MS: '600000',
      FORGOT_PASSWORD_MIN_MS: '0',
    });
    await waitHealthy(proc, base);
    expect(smtp.received).toHaveLength(0);

    const email = uniqueAddress('smtp');
    await registerAndForget(base, email);

    // no other request, no runOnce: the process must send it on its own
    await waitFor(
      () => smtp.received.length >= 1,
      10_000,
      () => `no email reached the SMTP server${describeOutput(proc)}`,
    );
    // give a stray duplicate a moment to show up
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.received, describeOutput(proc)).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual([email]);
    expect(mail.headers).toMatch(/^From: SocioX Test <no-reply@sociox\.test>$/im);
    expect(mail.headers).toMatch(new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}$`, 'im'));
    expect(mail.text).toMatch(/\b\d{6}\b/);

    const exit = await stop(proc);
    expect(exit, describeOutput(proc)).toEqual({ code: 0, signal: null });
    await smtp.close();
  }, 120_000);

  it('without SMTP_URL logs emails: the body in development, never the body in production', async () => {
    // development: the whole email is in the log, so a developer can read the code
    const devPort = await freePort();
    const devBase = `http://127.0.0.1:${devPort}`;
    const dev = start({
      DATA_DIR: await migratedDataDir(),
      PORT: String(devPort),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      FORGOT_PASSWORD_MIN_MS: '0',
    });
    await waitHealthy(dev, devBase);
    const devEmail = uniqueAddress('devlog');
    await registerAndForget(devBase, devEmail);
    const devLine = await waitFor(
      () => logLines(dev.stdout()).find((l) => l.msg === 'email (not sent: SMTP_URL is unset)' && l.email?.to === devEmail),
      10_000,
      () => `no "email (not sent: SMTP_URL is unset)" line for ${devEmail}${describeOutput(dev)}`,
    );
    expect(devLine.email.subject).toBe('Your password reset code');
    expect(String(devLine.emailBody)).toMatch(/Your password reset code is \d{6}\b/);
    expect(dev.stdout()).toContain('SMTP_URL is unset');
    expect(await stop(dev), describeOutput(dev)).toEqual({ code: 0, signal: null });

    // production: who and what, but never the secret in the body
    const prodPort = await freePort();
    const prodBase = `http://127.0.0.1:${prodPort}`;
    const prod = start({
      DATA_DIR: await migratedDataDir(),
      PORT: String(prodPort),
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(36).toString('base64url'), // 48 characters
      KEY_ENCRYPTION_SECRET: randomBytes(36).toString('base64url'),
      LOG_LEVEL: 'info',
      FORGOT_PASSWORD_MIN_MS: '0',
    });
    await waitHealthy(prod, prodBase);
    const prodEmail = uniqueAddress('prodlog');
    await registerAndForget(prodBase, prodEmail);
    const prodLine = await waitFor(
      () => logLines(prod.stdout()).find((l) => l.msg === 'email dropped to the log: SMTP_URL is unset' && l.email?.to === prodEmail),
      10_000,
      () => `no "email dropped to the log" line for ${prodEmail}${describeOutput(prod)}`,
    );
    expect(prodLine.email.subject).toBe('Your password reset code');
    expect(prodLine.emailBody).toBeUndefined();
    expect(await stop(prod), describeOutput(prod)).toEqual({ code: 0, signal: null });

    const prodOut = prod.stdout() + prod.stderr();
    expect(prodOut).not.toContain('Your password reset code is');
    expect(prodOut).not.toContain('email (not sent: SMTP_URL is unset)');
    for (const line of prodOut.split('\n').filter((l) => l.includes('Your password reset code') || l.includes(prodEmail))) {
      expect(line).not.toMatch(/\b\d{6}\b/);
    }
  }, 180_000);
});
