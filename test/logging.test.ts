/**
 * The service's logs (issue 14, "Operability"; src/logger.ts): JSON lines, or readable lines in
 * development on a terminal; every line of a request carries its id (`reqId`), and every line of a
 * worker task, those the task logs itself included, carries the task's name (`task`).
 */
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorker } from '../src/jobs/worker.js';
import { createLogger, type LogOutput } from '../src/logger.js';
import type { Mailer } from '../src/modules/email/mailer.js';
import { Harness } from './helpers/harness.js';

/** A log destination that keeps its lines: a terminal when `isTTY`. */
function capture(isTTY: boolean): LogOutput & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY, lines, write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) };
}

const failingMailer: Mailer = {
  kind: 'failing',
  send: async () => {
    throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
  },
  close: async () => {},
};

function routes(h: { app: Harness['app'] }) {
  h.app.get('/test/log', async (request) => {
    request.log.info({ step: 1 }, 'inside a request');
    request.log.child({ part: 'nested' }).warn('deeper inside a request');
    return { ok: true };
  });
  h.app.get('/test/fail', async () => {
    throw new Error('an unexpected failure');
  });
}

describe('JSON logs (not a terminal, or production)', () => {
  const out = capture(false);
  let h: Harness;
  let logger: pino.Logger;
  beforeAll(async () => {
    logger = await createLogger({ logLevel: 'debug', nodeEnv: 'development' }, out);
    h = await Harness.create({ logger, mailer: failingMailer, beforeReady: (app) => routes({ app }) });
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    await h.reset();
    out.lines.length = 0;
  });
  const entries = () => out.lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('every line logged during a request carries its request id', async () => {
    const ok = await h.request('GET', '/test/log', { headers: { 'x-request-id': 'req-log-1' } });
    expect(ok.statusCode).toBe(200);
    const failed = await h.request('GET', '/test/fail', { headers: { 'x-request-id': 'req-log-2' } });
    expect(failed.statusCode).toBe(500);
    const byMessage = (msg: string) => entries().filter((e) => e.msg === msg);
    expect(byMessage('inside a request').map((e) => e.reqId)).toEqual(['req-log-1']);
    expect(byMessage('deeper inside a request').map((e) => [e.reqId, e.part])).toEqual([['req-log-1', 'nested']]);
    expect(byMessage('unexpected error').map((e) => e.reqId)).toEqual(['req-log-2']);
    expect(byMessage('request completed').map((e) => e.reqId)).toEqual(['req-log-1', 'req-log-2']);
  });

  it('a request without X-Request-Id gets an id of its own: unique per request, with a prefix per instance', async () => {
    const ids = async (on: Harness) => {
      out.lines.length = 0;
      for (let i = 0; i < 3; i++) expect((await on.request('GET', '/test/log')).statusCode).toBe(200);
      return entries()
        .filter((e) => e.msg === 'request completed')
        .map((e) => String(e.reqId));
    };
    const mine = await ids(h);
    expect(new Set(mine).size).toBe(3);
    for (const id of mine) expect(id).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
    const prefix = (id: string) => id.split('-').slice(0, -1).join('-');
    expect(new Set(mine.map(prefix)).size).toBe(1);
    // a second instance of the service (a 401 is logged; /healthz is not)
    const other = await h.sibling({}, undefined, logger);
    try {
      out.lines.length = 0;
      expect((await other.request('GET', '/api/v1/users/me')).statusCode).toBe(401);
      const theirs = entries()
        .filter((e) => e.msg === 'request completed')
        .map((e) => String(e.reqId));
      expect(theirs).toHaveLength(1);
      expect(prefix(theirs[0]!)).not.toBe(prefix(mine[0]!));
    } finally {
      await other.app.close();
    }
  });

  it('the public reads get no request line when they succeed, one when they fail; LOG_PUBLIC_READS=true logs them all', async () => {
    const publicReads = async (on: Harness, tag: string) => {
      const get = (url: string, n: number, headers: Record<string, string> = {}) =>
        on.request('GET', url, { headers: { 'x-request-id': `${tag}-${n}`, ...headers } });
      expect((await get('/healthz', 1)).statusCode).toBe(200);
      expect((await get('/readyz', 2)).statusCode).toBe(200);
      const list = await get('/api/v1/subscription/plans', 3);
      expect(list.statusCode).toBe(200);
      expect((await get('/api/v1/subscription/plans', 4, { 'if-none-match': String(list.headers.etag) })).statusCode).toBe(304);
      expect((await get('/api/v1/subscription', 5)).statusCode).toBe(200); // HNG's view
      expect((await get('/api/v1/subscription/plans/category/basic', 6)).statusCode).toBe(200);
      expect((await get(`/api/v1/subscription/plans?category=${'x'.repeat(51)}`, 7)).statusCode).toBe(422);
      // any other route, and a path no route matches
      expect((await get('/api/v1/users/me', 8)).statusCode).toBe(401);
      expect((await get('/no/such/route', 9)).statusCode).toBe(404);
    };
    const completed = () => entries().filter((e) => e.msg === 'request completed');
    await publicReads(h, 'quiet');
    expect(completed().map((e) => e.reqId)).toEqual(['quiet-7', 'quiet-8', 'quiet-9']);
    expect(completed()[0]).toMatchObject({ res: { statusCode: 422 }, req: { method: 'GET' } });

    out.lines.length = 0;
    const loud = await h.sibling({ LOG_PUBLIC_READS: 'true' }, undefined, logger);
    try {
      await publicReads(loud, 'loud');
      expect(completed().map((e) => e.reqId)).toEqual(Array.from({ length: 9 }, (_, i) => `loud-${i + 1}`));
    } finally {
      await loud.app.close();
    }
  });

  it('every line of a worker task carries the task, the lines the task logs itself included', async () => {
    const user = await h.registerUser();
    expect((await h.post('/api/v1/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    out.lines.length = 0;
    await h.deliver();
    const lines = entries();
    const delivery = lines.filter((e) => e.msg === 'email delivery failed');
    expect(delivery.length).toBeGreaterThan(0);
    for (const e of delivery) expect(e).toMatchObject({ task: 'deliver-emails', reason: expect.stringContaining('ECONNREFUSED') });
    const ran = lines.filter((e) => e.msg === 'task ran');
    expect(ran.map((e) => e.task)).toEqual(expect.arrayContaining(['deliver-emails', 'renew-subscriptions', 'deliver-webhooks']));
    expect(ran.every((e) => e.component === 'worker')).toBe(true);
  });

  it('in production the lines are JSON even on a terminal', async () => {
    const tty = capture(true);
    const logger = await createLogger({ logLevel: 'info', nodeEnv: 'production' }, tty);
    logger.info({ task: 'x' }, 'hello');
    expect(JSON.parse(tty.lines[0]!)).toMatchObject({ msg: 'hello', task: 'x', level: 30 });
  });
});

describe('readable logs (development on a terminal)', () => {
  const out = capture(true);
  let h: Harness;
  beforeAll(async () => {
    const logger = await createLogger({ logLevel: 'info', nodeEnv: 'development' }, out);
    h = await Harness.create({ logger, beforeReady: (app) => routes({ app }) });
  });
  afterAll(() => h.close());

  it('prints one readable line per entry, with the request id, and the request line as method, path, status and time', async () => {
    out.lines.length = 0;
    expect((await h.request('GET', '/test/log', { headers: { 'x-request-id': 'req-pretty-1' } })).statusCode).toBe(200);
    const text = out.lines.join('\n');
    expect(() => JSON.parse(out.lines[0]!)).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: inside a request .*"reqId":"req-pretty-1"/m);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: deeper inside a request .*"reqId":"req-pretty-1"/m);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/test\/log 200 [\d.]+ ms .*"reqId":"req-pretty-1"/m);
    // no colour codes when the output is not the process's own terminal
    expect(text).not.toContain('\u001b[');
  });

  it('the worker task of a line is shown', async () => {
    out.lines.length = 0;
    const logger = await createLogger({ logLevel: 'info', nodeEnv: 'development' }, out);
    logger.child({ component: 'worker' }).child({ task: 'deliver-emails' }).warn('email delivery failed');
    expect(out.lines.join('\n')).toMatch(/WARN: email delivery failed .*"task":"deliver-emails"/);
  });
});

describe('the worker loop’s own lines', () => {
  it('a failed task’s line names the task', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [
        {
          name: 'broken',
          run: async (taskLog) => {
            taskLog.info('about to fail');
            throw new Error('boom');
          },
        },
      ],
    });
    await worker.runOnce();
    expect(lines.filter((l) => l.msg === 'about to fail').map((l) => l.task)).toEqual(['broken']);
    expect(lines.filter((l) => l.msg === 'task failed').map((l) => [l.task, (l.err as { message: string }).message])).toEqual([
      ['broken', 'boom'],
    ]);
  });
});
