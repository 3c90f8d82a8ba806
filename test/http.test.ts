import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { DOCUMENTED_ROUTES } from '../src/http/aliases.js';
import { API_HEADERS, DOCUMENT_HEADERS } from '../src/http/security-headers.js';
import { MemoryMailer } from '../src/modules/email/mailer.js';
import { buildServices } from '../src/services.js';
import { Harness } from './helpers/harness.js';

let h: Harness;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  h = await Harness.create({
    logger: pino({ level: 'info' }, sink),
    beforeReady: (app) => {
      app.get('/test/boom', async () => {
        throw new Error('secret internal detail: select * from users');
      });
      app.get('/test/db-boom', async () => (await h.db.query('select 1 / 0 as x, $1::text as secret', ['hash-like-secret-value'])).rows);
    },
  });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

describe('the envelope and errors (contract §3)', () => {
  it('answers an unknown route with a 404 envelope', async () => {
    const res = await h.get('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: false, code: 'NOT_FOUND' });
    expect(res.json().message).toContain('/api/v1/nothing-here');
  });

  it('answers malformed JSON with 400', async () => {
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: false, code: 'BAD_REQUEST' });
  });

  it('answers a wrong content type with 400', async () => {
    const res = await h.request('POST', '/api/v1/auth/login', { body: 'email=a', headers: { 'content-type': 'text/xml' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: false, code: 'BAD_REQUEST' });
  });

  it('answers a body over 1 MiB with 413', async () => {
    const res = await h.post('/api/v1/auth/register', { email: 'big@example.com', password: 'x'.repeat(1024 * 1024 + 10), name: 'Big' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ status: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers validation failures with 422 naming every field', async () => {
    const res = await h.post('/api/v1/auth/register', { email: 'not-an-email', password: 'short' });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    const fields = body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['email', 'password']);
    expect(body.errors.find((e: { field: string }) => e.field === 'password').message).toMatch(/at least 8/);
  });

  it('answers a NUL character anywhere in the body or query with 422 naming the field, never 500', async () => {
    const res = await h.post('/api/v1/auth/register', { email: 'nul@example.com', password: 'password123', name: 'a\u0000b' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    const query = await h.get('/api/v1/subscription/plans?category=%00x');
    expect(query.statusCode).toBe(422);
    expect(query.json().errors[0].field).toBe('category');
  });

  it('never logs the parameter values of a failed statement (a password hash, an email)', async () => {
    const res = await h.get('/test/db-boom');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hash-like-secret-value');
    const log = logLines.join('');
    expect(log).toContain('division by zero');
    expect(log).not.toContain('hash-like-secret-value');
  });

  it('answers an unexpected error with a generic 500 and keeps the detail in the log', async () => {
    const res = await h.get('/test/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ status: false, message: 'Something went wrong, please try again later', code: 'INTERNAL' });
    expect(res.body).not.toContain('secret internal detail');
    expect(logLines.join('')).toContain('secret internal detail');
  });

  it('never writes passwords, tokens or the Authorization header to the log', async () => {
    const user = await h.registerUser({ password: 'a-very-secret-password' });
    await h.get('/api/users/details', user.token);
    await h.post('/api/v1/auth/login', { email: user.email, password: 'a-very-secret-password' });
    const log = logLines.join('');
    expect(log).toContain('/api/users/details');
    expect(log).not.toContain('a-very-secret-password');
    expect(log).not.toContain(user.token);
  });

  it('never writes a reset code (OTP) or an emailed link token to the log', async () => {
    const from = logLines.length;
    const user = await h.registerUser();
    expect((await h.post('/api/auth/forgot-password', { email: user.email })).statusCode).toBe(200);
    const otp = await h.otpFor(user.email);
    const reset = await h.post('/api/auth/reset-password', { email: user.email, otp, newPassword: 'a brand new password' });
    expect(reset.statusCode, reset.body).toBe(200);

    // the reset revoked the old token: sign in again, then ask for and confirm a deletion
    const login = await h.post('/api/v1/auth/login', { email: user.email, password: 'a brand new password' });
    expect(login.statusCode, login.body).toBe(200);
    expect((await h.post('/api/v1/users/delete', {}, login.json().token)).statusCode).toBe(200);
    await h.deliver();
    const link = h.mailer.last(user.email)?.text.match(/\S+\/confirm-delete\?token=\S+/)?.[0];
    expect(link, 'deletion link emailed').toBeDefined();
    const token = new URL(link!).searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await h.post('/api/users/confirm-delete', { token })).statusCode).toBe(200);

    const log = logLines.slice(from).join('');
    // the log did capture these requests
    expect(log).toContain('/api/auth/reset-password');
    expect(log).toContain('/api/users/confirm-delete');
    // six digits on their own (a millisecond timestamp may hold the same digits by chance)
    expect(log).not.toMatch(new RegExp(`(?<!\\d)${otp}(?!\\d)`));
    expect(log).not.toContain(token);
    expect(log).not.toContain(encodeURIComponent(token));
  });

  it('carries a request id in the log, taken from X-Request-Id when given', async () => {
    // (not /healthz: a public read is logged only when it fails, test/logging.test.ts)
    await h.request('GET', '/api/v1/users/me', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(logLines.some((l) => l.includes('"reqId":"trace-abc-123"'))).toBe(true);
  });

  it('logs one line per request: method, path, status and time, never the Authorization header', async () => {
    const user = await h.registerUser();
    const from = logLines.length;
    await h.request('GET', '/api/v1/profile', { token: user.token, headers: { 'x-request-id': 'one-line-check' } });
    const mine = logLines
      .slice(from)
      .map((l) => JSON.parse(l))
      .filter((l) => l.reqId === 'one-line-check');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/api/v1/profile' },
      res: { statusCode: 200 },
    });
    expect(typeof mine[0].responseTime).toBe('number');
    expect(JSON.stringify(mine)).not.toContain(user.token);
  });

  it('sets the API security headers on every JSON answer and the document headers on the /docs page, the strictest CSP except there', async () => {
    const user = await h.registerUser();
    for (const [url, token] of [
      ['/healthz', undefined],
      ['/api/v1/nothing-here', undefined],
      ['/api/v1/profile', undefined],
      ['/api/v1/profile', user.token],
    ] as const) {
      const res = await h.get(url, token);
      for (const [name, value] of Object.entries(API_HEADERS)) expect(res.headers[name], `${url} ${name}`).toBe(value);
    }
    // what only a document heeds is not sent with JSON
    const json = await h.get('/healthz');
    for (const name of ['x-xss-protection', 'x-download-options', 'x-dns-prefetch-control', 'origin-agent-cluster']) {
      expect(json.headers[name], name).toBeUndefined();
    }
    expect(json.headers['x-frame-options']).toBe('DENY');
    const docs = await h.get('/docs');
    for (const [name, value] of Object.entries(DOCUMENT_HEADERS)) expect(docs.headers[name], name).toBe(value);
    expect(docs.headers['content-security-policy']).toBeUndefined();
  });

  it('sets security headers', async () => {
    const res = await h.get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('health', () => {
  it('/healthz says the process is up', async () => {
    const res = await h.get('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'ok' });
  });

  it('/readyz checks the database', async () => {
    const res = await h.get('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'ready' });
  });
});

describe('readiness when the database is gone', () => {
  it('/readyz answers 503 while /healthz still answers 200', async () => {
    const gone = await Harness.database();
    await gone.drop();
    const app = await buildApp(
      buildServices({ config: h.config, db: gone.db, clock: h.clock, mailer: new MemoryMailer(), log: pino({ level: 'silent' }) }),
    );
    try {
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: false, message: 'database unavailable' });
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('OpenAPI', () => {
  it('serves the document generated from the route schemas, aliases marked', async () => {
    const res = await h.get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/v1/auth/register'].post.responses).toHaveProperty('201');
    expect(doc.paths['/api/v1/auth/register'].post.responses).toHaveProperty('422');
    expect(doc.paths['/api/users/details'].get.description).toContain('alias');
    expect(doc.paths['/api/v1/users/me'].get.security).toEqual([{ bearerAuth: [] }]);
    for (const r of DOCUMENTED_ROUTES) {
      const path = r.documented.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.documented}`).toBeDefined();
    }
  });

  it('says which request bodies may be left out (the seeds send none) and keeps the others required', async () => {
    const doc = (await h.get('/openapi.json')).json();
    expect(doc.paths['/api/subscribe/{plan_id}'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/v1/users/cancel-subscription'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/organisation'].delete.requestBody.required).toBe(false);
    expect(doc.paths['/api/v1/auth/register'].post.requestBody.required).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('x-optional-body');
  });

  it('serves a reference UI at /docs', async () => {
    const res = await h.get('/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    // served from the package, not a CDN: the reference works on a machine without internet
    const script = res.body.match(/<script src="([^"]+)"/)?.[1];
    expect(script).toBe('js/scalar.js');
    expect(res.body).toContain(`Scalar.createApiReference('#app', {"url":"/openapi.json",`);
    // nothing to a third party (test/browser/docs.test.ts checks it in Chromium): no toolbar, no fonts, no telemetry
    expect(res.body).toContain('"showDeveloperTools":"never","hideClientButton":true,"withDefaultFonts":false,"telemetry":false');
    const js = await h.get('/docs/js/scalar.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('application/javascript; charset=utf-8');
    // the whole bundle, streamed from the package
    const bundle = readFileSync(new URL('./js/standalone.js', import.meta.resolve('@scalar/fastify-api-reference')), 'utf8');
    expect(js.body.length).toBe(bundle.length);
    expect(js.body).toContain('createApiReference');
    const bare = await h.get('/docs');
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/docs/');
  });
});

describe('the documented spellings', () => {
  it.each(DOCUMENTED_ROUTES.map((r) => [r.method, r.documented]))('%s %s is routed', async (method, path) => {
    const res = await h.request(method, path.replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000'), { body: {} });
    expect(res.json().message ?? '').not.toMatch(/^Route .* not found$/);
  });
});
