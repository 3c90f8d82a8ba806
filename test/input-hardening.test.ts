/**
 * Bad input that costs the server (issue 8): deeply nested JSON, coerced body types and
 * unbounded query integers (control characters in text: input-text.test.ts; an oversized body
 * on a reused connection: keepalive-413.test.ts). Each block fails without its fix.
 */
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FIELD_ERRORS, unstorableText } from '../src/http/error-handler.js';
import { MAX_JSON_DEPTH, MAX_JSON_ITEMS } from '../src/http/json-body.js';
import { adminWith, countRows, createPlan, fieldsOf, rootToken } from './helpers/fixtures.js';
import { Harness, type Response } from './helpers/harness.js';

let h: Harness;
/** what registering a route with an unbounded query integer threw */
let unboundedRoute: unknown = null;

beforeAll(async () => {
  h = await Harness.create({
    beforeReady: (app) => {
      app.get('/test/items/:n', { schema: { params: Type.Object({ n: Type.Integer({ minimum: 1, maximum: 1000 }) }) } }, async () => ({
        status: true,
      }));
      try {
        app.get(
          '/test/unbounded',
          { schema: { querystring: Type.Object({ n: Type.Optional(Type.Integer({ minimum: 1 })) }) } },
          async () => ({}),
        );
      } catch (err) {
        unboundedRoute = err;
      }
    },
  });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const json = { 'content-type': 'application/json' };
const nested = (depth: number, inner = '') => '['.repeat(depth) + inner + ']'.repeat(depth);

function expectEnvelope(res: Response, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json()).toMatchObject({ status: false, code });
}

describe('deeply nested JSON', () => {
  it('answers 5,000 nested [ with a 4xx envelope at an unknown route, OPTIONS /, login and an authenticated body route', async () => {
    const user = await h.registerUser();
    const body = nested(5000);
    const targets: [string, string, string | undefined][] = [
      ['POST', '/api/v1/nothing-here', undefined],
      ['OPTIONS', '/', undefined],
      ['POST', '/api/v1/auth/login', undefined],
      ['POST', '/api/v1/organisations', user.token],
      ['PUT', '/api/profile', user.token],
    ];
    for (const [method, url, token] of targets) {
      const res = await h.request(method, url, { body, token, headers: json });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json()).toMatchObject({ status: false, code: 'BAD_REQUEST' });
      expect(res.json().message).toContain(String(MAX_JSON_DEPTH));
    }
    // the same bytes inside a string are not nesting
    const inString = await h.request('POST', '/api/v1/auth/login', {
      body: JSON.stringify({ email: 'a@b.co', password: nested(60) }),
      headers: json,
    });
    expect(inString.statusCode).toBe(401);
  });

  it(`refuses depth ${MAX_JSON_DEPTH + 1} with 400 and lets depth ${MAX_JSON_DEPTH} through to the schema`, async () => {
    const user = await h.registerUser();
    const over = await h.request('POST', '/api/v1/organisations', {
      body: `{"name": ${nested(MAX_JSON_DEPTH)}}`,
      token: user.token,
      headers: json,
    });
    expectEnvelope(over, 400, 'BAD_REQUEST');
    const at = await h.request('POST', '/api/v1/organisations', {
      body: `{"name": ${nested(MAX_JSON_DEPTH - 1)}}`,
      token: user.token,
      headers: json,
    });
    expectEnvelope(at, 422, 'VALIDATION_FAILED');
    // escaped quotes and brackets inside strings do not count
    const tricky = JSON.stringify({ name: `a "quoted" \\ ${'['.repeat(40)}`, description: '{'.repeat(40) });
    const ok = await h.request('POST', '/api/v1/organisations', { body: tricky, token: user.token, headers: json });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it(`refuses an array or object of more than ${MAX_JSON_ITEMS} items with 400, before the validator reports every one`, async () => {
    const root = await rootToken(h);
    const items = (n: number) => JSON.stringify({ name: 'wide', price: {}, customFeatures: new Array(n).fill(1) });
    const over = await h.request('POST', '/api/admin/subscription/plans', { body: items(MAX_JSON_ITEMS + 1), token: root, headers: json });
    expectEnvelope(over, 400, 'BAD_REQUEST');
    expect(over.json().message).toContain(String(MAX_JSON_ITEMS));
    const at = await h.request('POST', '/api/admin/subscription/plans', { body: items(MAX_JSON_ITEMS), token: root, headers: json });
    expectEnvelope(at, 422, 'VALIDATION_FAILED');
    // a 422 names a bounded number of fields, however many items are wrong
    expect(at.json().errors.length).toBeLessThanOrEqual(MAX_FIELD_ERRORS);
    const members = Object.fromEntries(Array.from({ length: MAX_JSON_ITEMS + 1 }, (_, i) => [`k${i}`, true]));
    const wideObject = await h.request('POST', '/api/v1/auth/login', { body: JSON.stringify(members), headers: json });
    expectEnvelope(wideObject, 400, 'BAD_REQUEST');
  });

  it("keeps Fastify's JSON behaviours: empty body, malformed JSON, prototype poisoning", async () => {
    expectEnvelope(await h.request('POST', '/api/v1/auth/login', { body: '', headers: json }), 400, 'BAD_REQUEST');
    expect((await h.request('POST', '/api/v1/auth/login', { body: '', headers: json })).json().message).toBe('The JSON body is empty');
    expectEnvelope(await h.request('POST', '/api/v1/auth/login', { body: '{"email": ', headers: json }), 400, 'BAD_REQUEST');
    expectEnvelope(await h.request('POST', '/api/v1/auth/login', { body: ']]]]', headers: json }), 400, 'BAD_REQUEST');
    const proto = '{"email": "a@b.co", "password": "x", "__proto__": {"admin": true}}';
    expectEnvelope(await h.request('POST', '/api/v1/auth/login', { body: proto, headers: json }), 400, 'BAD_REQUEST');
    const ctor = '{"email": "a@b.co", "password": "x", "constructor": {"prototype": {"admin": true}}}';
    expectEnvelope(await h.request('POST', '/api/v1/auth/login', { body: ctor, headers: json }), 400, 'BAD_REQUEST');
  });

  it('walks a body for NUL characters without recursion, however deep', () => {
    let deep: unknown = ['a\u0000b'];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unstorableText(deep)?.field).toBe(`${'0.'.repeat(100_000)}0`);
    expect(unstorableText({ a: [{ b: 'fine' }], c: 'x\u0000' })?.field).toBe('c');
  });

  it('refuses an unpaired surrogate in any string (UTF-8 cannot hold it; it would be stored as U+FFFD), accepts paired ones', async () => {
    for (const [body, field] of [
      ['{"email":"a@example.com","password":"password123","name":"x\\ud800y"}', 'name'],
      ['{"email":"a@example.com","password":"pass\\udc00word123","name":"Emoji \\ud83d\\ude00"}', 'password'],
    ] as const) {
      const res = await h.request('POST', '/api/v1/auth/register', { body, headers: json });
      expectEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(res.json().errors).toEqual([{ field, message: expect.stringMatching(/unpaired surrogate/) }]);
    }
    const ok = await h.request('POST', '/api/v1/auth/register', {
      body: '{"email":"b@example.com","password":"password123","name":"Emoji \\ud83d\\ude00"}',
      headers: json,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().data.user.name).toBe('Emoji \u{1F600}');
  });

  it('refuses a body that is not valid UTF-8 with a 400 envelope, rather than storing U+FFFD in its place', async () => {
    for (const bytes of [[0xff, 0xfe], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0x80]]) {
      const payload = Buffer.concat([
        Buffer.from('{"email":"a@example.com","password":"password123","name":"x'),
        Buffer.from(bytes),
        Buffer.from('"}'),
      ]);
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload });
      expect(res.statusCode, bytes.join(',')).toBe(400);
      expect(res.json()).toEqual({ status: false, code: 'BAD_REQUEST', message: 'The JSON body is not valid UTF-8' });
    }
    const accented = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: Buffer.from('{"email":"c@example.com","password":"password123","name":"Zoë Łukasz 山田"}', 'utf8'),
    });
    expect(accented.statusCode, accented.body).toBe(201);
    expect(accented.json().data.user.name).toBe('Zoë Łukasz 山田');
  });

  it('names the field holding a NUL at any depth without recursion', async () => {
    const root = await rootToken(h);
    const res = await h.post(
      '/api/admin/subscription/plans',
      { name: 'p', price: {}, features: { analytics: { reportTypes: ['ok', 'a\u0000b'] } } },
      root,
    );
    expectEnvelope(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toEqual(['features.analytics.reportTypes.1']);
  });
});

describe('bodies are validated as typed', () => {
  const wrongPrices: [string, unknown][] = [
    ['null', null],
    ['true', true],
    ['[5]', [5]],
    ['"0x10"', '0x10'],
    ['"5"', '5'],
  ];

  it.each(wrongPrices)('refuses a rich plan price of %s with 422 naming price.monthly.amount, storing nothing', async (_label, amount) => {
    const root = await rootToken(h);
    const res = await h.post('/api/admin/subscription/plans', { name: 'typed', price: { monthly: { amount, currency: 'USD' } } }, root);
    expectEnvelope(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toContain('price.monthly.amount');
    expect(res.json().message).toBe('price.monthly.amount must be a number');
    expect(await countRows(h, 'plans')).toBe(0);
  });

  it.each(wrongPrices)('refuses an HNG plan price of %s with 422 naming price, storing nothing', async (_label, price) => {
    const root = await rootToken(h);
    const res = await h.post('/api/subscription', { name: 'typed', price }, root);
    expectEnvelope(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toEqual(['price']);
    expect(res.json().message).toBe('price must be a number');
    expect(await countRows(h, 'plans')).toBe(0);
  });

  it('refuses other wrong types in bodies too: a boolean as a string, a name as a number', async () => {
    const root = await rootToken(h);
    const plan = await h.post('/api/admin/subscription/plans', { name: 'typed', price: {}, recommended: 'true' }, root);
    expectEnvelope(plan, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(plan)).toEqual(['recommended']);
    const user = await h.registerUser();
    const org = await h.post('/api/organisation', { name: 12345 }, user.token);
    expectEnvelope(org, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(org)).toEqual(['name']);
    expect(org.json().message).toBe('name must be a string');
    const created = await createPlan(h, root);
    const status = await h.post(`/api/v1/admin/plans/${created.id}/status`, { status: 1 }, root);
    expectEnvelope(status, 422, 'VALIDATION_FAILED');
    expect(status.json().message).toBe('status must be one of: active, inactive');
  });

  it('still coerces query strings: ?limit=5 is the integer 5, ?unread=true the boolean', async () => {
    const user = await h.registerUser();
    const res = await h.get('/api/notifications?limit=5&page=1&unread=true', user.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().meta).toMatchObject({ page: 1, limit: 5 });
    const root = await rootToken(h);
    await createPlan(h, root);
    const staff = await adminWith(h, ['view_user_details'], { by: root });
    const users = await h.get('/api/v1/admin/users?limit=5', staff.token);
    expect(users.statusCode, users.body).toBe(200);
    expect(users.json().meta.limit).toBe(5);
  });
});

describe('integers in query strings and paths are bounded', () => {
  it('answers an audit-log cursor past any id with 422 naming cursor, not a database error', async () => {
    const auditor = await adminWith(h, ['view_audit_log']);
    for (const cursor of ['99999999999999999999', '9007199254740993', '0', '-1']) {
      const res = await h.get(`/api/v1/admin/audit-log?cursor=${cursor}`, auditor.token);
      expectEnvelope(res, 422, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['cursor']);
      expect(res.json().message).toMatch(/^cursor must be at (most|least) /);
    }
    expect((await h.get('/api/v1/admin/audit-log?cursor=9007199254740991', auditor.token)).statusCode).toBe(200);
  });

  it('answers Infinity, -Infinity and 1e400 (coerced to a number that is not finite) with 422 naming the field', async () => {
    const staff = await adminWith(h, ['view_audit_log', 'view_analytics', 'view_user_details']);
    for (const value of ['Infinity', '-Infinity', '1e400', '%2BInfinity']) {
      for (const url of [
        `/api/v1/admin/audit-log?limit=${value}`,
        `/api/v1/admin/audit-log?cursor=${value}`,
        `/api/v1/admin/analytics/upcoming?days=${value}`,
        `/api/v1/admin/analytics/signups?days=${value}`,
        `/api/v1/admin/users?page=${value}`,
      ]) {
        const res = await h.get(url, staff.token);
        expectEnvelope(res, 422, 'VALIDATION_FAILED');
        expect(res.json().message, url).toMatch(/^(limit|cursor|days|page) must be a finite number$/);
      }
    }
    // a path parameter that is no number at all is a 404, as for /test/items/abc below
    expectEnvelope(await h.get('/test/items/Infinity'), 404, 'NOT_FOUND');
  });

  it('answers a page too deep on a list with 422 naming page', async () => {
    const user = await h.registerUser();
    const res = await h.get('/api/organisation?page=99999999999', user.token);
    expectEnvelope(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toEqual(['page']);
    expect(res.json().message).toBe('page must be at most 10000');
    expect((await h.get('/api/organisation?page=10000', user.token)).statusCode).toBe(200);
    const staff = await adminWith(h, ['view_user_details']);
    expectEnvelope(await h.get('/api/v1/admin/users?page=10001', staff.token), 422, 'VALIDATION_FAILED');
  });

  it('answers an integer path parameter out of range with 422 naming it (a malformed one stays 404)', async () => {
    const res = await h.get('/test/items/5000');
    expectEnvelope(res, 422, 'VALIDATION_FAILED');
    expect(fieldsOf(res)).toEqual(['n']);
    expect((await h.get('/test/items/5')).statusCode).toBe(200);
    expectEnvelope(await h.get('/test/items/abc'), 404, 'NOT_FOUND');
    expectEnvelope(await h.get('/api/v1/admin/admins/not-a-uuid', await rootToken(h)), 404, 'NOT_FOUND');
  });

  it('refuses at start-up a route whose query integer has no maximum', () => {
    expect(unboundedRoute).toBeInstanceOf(Error);
    expect(String(unboundedRoute)).toContain('GET /test/unbounded: querystring n declares no minimum and maximum');
  });
});
