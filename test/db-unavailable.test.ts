import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { DATABASE_TIMEOUTS, openPostgres } from '../src/db/postgres.js';
import { DatabaseBusyError, DatabaseUnavailableError, isDatabaseUnavailable } from '../src/db/unavailable.js';
import { ERROR_CODES, translateDbError } from '../src/http/errors.js';
import { quietDuringOutages } from '../src/jobs/outages.js';
import { createWorker } from '../src/jobs/worker.js';
import { Harness, TEST_ENV } from './helpers/harness.js';

/**
 * What counts as "the database cannot be reached" (issue 14), on any database: the classifier and
 * its translation to 503, the worker's calm during an outage, and a closed embedded database. The
 * real outage, through a proxy that is cut and stalled, is db-outage.test.ts (PostgreSQL).
 */

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('the classifier: the database cannot be reached', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', withCode('ECONNRESET', 'read ECONNRESET')],
    ['broken pipe', withCode('EPIPE', 'write EPIPE')],
    ['host unreachable', withCode('EHOSTUNREACH')],
    ['name not resolved', withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal')],
    ['57P01 admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', withCode('57P02')],
    ['57P03 cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['08006 connection_failure', withCode('08006')],
    ['08001 unable to connect', withCode('08001')],
    ['08P01 protocol_violation', withCode('08P01')],
    ['53300 too_many_connections', withCode('53300', 'sorry, too many clients already')],
    ['terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['terminated by the connection timeout', new Error('Connection terminated due to connection timeout')],
    ['not queryable', new Error('Client has encountered a connection error and is not queryable')],
    ['pool connection timeout', new Error('timeout exceeded when trying to connect')],
    ['query timeout', new Error('Query read timeout')],
    ['pool ended (shutdown)', new Error('Cannot use a pool after calling end on the pool')],
    ['PGlite closed', new Error('PGlite is closed')],
    ['our own', new DatabaseUnavailableError()],
    ['every address refused', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), {})],
  ])('%s → 503 SERVICE_UNAVAILABLE with Retry-After', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const translated = translateDbError(err);
    expect(translated?.code).toBe('SERVICE_UNAVAILABLE');
    expect(translated?.status).toBe(503);
    expect(translated?.message).toBe('The database is unavailable; try again shortly');
    expect(translated?.headers).toEqual({ 'retry-after': '2' });
  });

  it.each([
    ['a unique violation', withCode('23505'), 'CONFLICT'],
    ['a malformed uuid', withCode('22P02'), 'NOT_FOUND'],
    ['a serialization failure', withCode('40001'), 'UNAVAILABLE'],
    ['a statement cancelled by statement_timeout', withCode('57014'), null],
    ['an undefined table', withCode('42P01'), null],
    ['disk full', withCode('53100'), null],
    ['a plain error', new Error('boom'), null],
    ['a file error', withCode('ENOENT'), null],
    [
      'a failed fetch whose cause is a refused socket',
      Object.assign(new TypeError('fetch failed'), { cause: withCode('ECONNREFUSED') }),
      null,
    ],
    ['nothing', undefined, null],
  ])('%s keeps its translation', (_name, err, code) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(translateDbError(err)?.code ?? null).toBe(code);
  });

  it('SERVICE_UNAVAILABLE is in the closed list, mapped to 503', () => {
    expect(ERROR_CODES.SERVICE_UNAVAILABLE).toBe(503);
  });
});

describe('the timeouts are configuration', () => {
  it('default to 2 s to connect and 3 s per statement, the values the pool uses by default', () => {
    const config = loadConfig(TEST_ENV);
    expect(config.databaseConnectTimeoutMs).toBe(2_000);
    expect(config.databaseQueryTimeoutMs).toBe(3_000);
    expect(DATABASE_TIMEOUTS).toEqual({ connectMs: 2_000, queryMs: 3_000 });
  });

  it('are read from DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS, and refused out of range', () => {
    const config = loadConfig({ ...TEST_ENV, DATABASE_CONNECT_TIMEOUT_MS: '1500', DATABASE_QUERY_TIMEOUT_MS: '10000' });
    expect([config.databaseConnectTimeoutMs, config.databaseQueryTimeoutMs]).toEqual([1_500, 10_000]);
    expect(() => loadConfig({ ...TEST_ENV, DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS/);
    expect(() => loadConfig({ ...TEST_ENV, DATABASE_QUERY_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_QUERY_TIMEOUT_MS/);
  });

  it('the pool size is DATABASE_POOL_MAX (10 by default, 1 to 1000), and SHUTDOWN_DELAY_MS 0 by default (0 to 60000)', () => {
    expect([loadConfig(TEST_ENV).databasePoolMax, loadConfig(TEST_ENV).shutdownDelayMs]).toEqual([10, 0]);
    const config = loadConfig({ ...TEST_ENV, DATABASE_POOL_MAX: '25', SHUTDOWN_DELAY_MS: '3000' });
    expect([config.databasePoolMax, config.shutdownDelayMs]).toEqual([25, 3_000]);
    expect(() => loadConfig({ ...TEST_ENV, DATABASE_POOL_MAX: '0' })).toThrow(/DATABASE_POOL_MAX/);
    expect(() => loadConfig({ ...TEST_ENV, SHUTDOWN_DELAY_MS: '61000' })).toThrow(/SHUTDOWN_DELAY_MS/);
  });
});

describe('a full pool on a PostgreSQL server', () => {
  it.runIf(process.env.DATABASE_URL)(
    'waiting past the connect timeout while every connection works is "busy": 503 with Retry-After, not "unavailable"',
    async () => {
      const small = await openPostgres(process.env.DATABASE_URL!, { max: 1, connectTimeoutMs: 200 });
      try {
        const holding = small.query('select pg_sleep(0.8)');
        const err = await small.query('select 1').then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DatabaseBusyError);
        expect(isDatabaseUnavailable(err)).toBe(true); // the worker's outage handling still applies
        expect(translateDbError(err)).toMatchObject({
          code: 'SERVICE_UNAVAILABLE',
          message: 'The service is busy; try again shortly',
          headers: { 'retry-after': '2' },
        });
        await holding;
        // a transaction waiting for the one connection: the same
        const tx = small.transaction((t) => t.query('select pg_sleep(0.8)'));
        const txErr = await small
          .transaction((t) => t.query('select 1'))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(txErr).toBeInstanceOf(DatabaseBusyError);
        await tx;
        expect((await small.query('select 1 as n')).rows).toEqual([{ n: 1 }]);
      } finally {
        await small.close();
      }
    },
  );

  it('a database that is gone still says so (the pool was not full)', () => {
    expect(translateDbError(new Error('timeout exceeded when trying to connect'))?.message).toBe(
      'The database is unavailable; try again shortly',
    );
  });
});

describe('the worker during an outage', () => {
  it('logs one line for the outage, skips the rest of a pass, and says when the database is back', async () => {
    const lines: { msg?: string; task?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let away = true;
    const runs: string[] = [];
    const task = (name: string) => ({
      name,
      async run() {
        runs.push(name);
        if (away) throw new Error('Connection terminated unexpectedly');
        return name;
      },
    });
    const broken = { name: 'broken', run: async () => Promise.reject(new Error('a bug, not an outage')) };
    const tasks = quietDuringOutages([broken, task('first'), task('second')], isDatabaseUnavailable, log);
    const worker = createWorker({ intervalMs: 60_000, tasks, log });

    for (let i = 0; i < 3; i++) await worker.runOnce();
    const failed = lines.filter((l) => l.msg === 'task failed');
    // the bug is logged every pass; the outage once, by the first task that met it
    expect(failed.filter((l) => l.task === 'broken')).toHaveLength(3);
    expect(failed.filter((l) => l.task !== 'broken').map((l) => l.task)).toEqual(['first']);
    // the task after it in each pass did not ask a database that had just been found away
    expect(runs.filter((r) => r !== 'broken')).toEqual(['first', 'first', 'first']);

    away = false;
    await worker.runOnce();
    expect(runs.slice(-2)).toEqual(['first', 'second']);
    expect(lines.filter((l) => l.msg === 'the database is back: the worker runs its tasks again')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'task failed' && l.task !== 'broken')).toHaveLength(1);
  });
});

describe.runIf(!process.env.DATABASE_URL)('a closed embedded database (shutdown under way)', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, not 500, and /readyz 503', async () => {
    const h = await Harness.create({ testDb: await Harness.database() });
    try {
      const user = await h.registerUser();
      await h.db.close();
      for (const res of [
        await h.get('/api/v1/profile', user.token),
        await h.put('/api/profile', { name: 'After Close' }, user.token),
        await h.post('/api/v1/auth/login', { email: user.email, password: user.password }),
        await h.post('/api/v1/auth/register', { name: 'Too Late', email: 'late@example.com', password: 'correct horse battery' }),
        // the catalogue, never read before: from the database, which is gone
        await h.get('/api/v1/subscription/plans'),
        await h.get('/api/v1/subscription'),
      ]) {
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json()).toEqual({
          status: false,
          message: 'The database is unavailable; try again shortly',
          code: 'SERVICE_UNAVAILABLE',
        });
        expect(res.headers['retry-after']).toBe('2');
      }
      expect((await h.get('/readyz')).statusCode).toBe(503);
    } finally {
      await h.close();
    }
  });
});
