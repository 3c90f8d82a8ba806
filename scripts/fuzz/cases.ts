/**
 * Every request the fuzzer sends for one operation: bad path ids, bad query values and shapes,
 * bad headers, bad bodies (./body-cases.ts), wrong methods and spellings of the path, and every
 * authorization variant (./tokens.ts).
 */

import { type BodyCase, bodyCases, unexpectedBodyCases } from './body-cases.js';
import { badIds, UNICODE } from './catalogue.js';
import type { WireRequest } from './http.js';
import { mainBranch, type Operation, type Param, type SampleContext, sample, typesOf } from './openapi.js';
import { type AuthKind, authVariants, type Principals, rightAuth } from './tokens.js';
import { encode, type Rng } from './values.js';

export interface Case {
  kind: string;
  note: string;
  req: WireRequest;
  /** why the service must refuse it: a 2xx is reported as a warning */
  reject?: string;
}

export interface OpInput {
  op: Operation;
  auth: AuthKind;
  principals: Principals;
  /** a real id for this path parameter, and a real id of something else (the wrong kind of record) */
  realId(param: string): string | undefined;
  otherId: string;
  rng: Rng;
  sampleCtx: SampleContext;
  /** methods the document lists for this path; set on the first operation of a path only */
  pathMethods: string[] | null;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A long value named by its length, so a 101- and a 5,000-character id read differently in a report. */
const short = (v: string) => (v.length > 50 ? `${v.slice(0, 20)}…(${v.length} chars)` : v);

/** Query values for one parameter, percent-encoded (node sends the path as given). */
function queryValues(p: Param, rng: Rng): string[] {
  const s = mainBranch(p.schema);
  const types = typesOf(p.schema);
  const values: string[] = [];
  if (types.has('integer') || types.has('number')) {
    values.push(
      'abc',
      '1.5',
      '-1',
      '0',
      '1e30',
      '99999999999999999999',
      '',
      'NaN',
      'Infinity',
      '0x10',
      '%201',
      '1e308',
      '-0',
      '9007199254740993',
      '1,2',
      '%2B1',
    );
    if (s.maximum !== undefined) values.push(String(s.maximum), String(s.maximum + 1));
  } else if (types.has('boolean')) {
    values.push('maybe', '2', 'TRUE', 'yes', '', '1', '0', 'null', '%00');
  } else {
    const enums = (p.schema.anyOf ?? [p.schema]).flatMap((b) => b.enum ?? []);
    if (enums.length) values.push('nope', String(enums[0]).toUpperCase(), `${String(enums[0])}%00`, `${String(enums[0])}%20`);
    if (s.maxLength !== undefined) values.push('a'.repeat(s.maxLength), 'a'.repeat(s.maxLength + 1));
    values.push(
      'a'.repeat(5000),
      '',
      '99999999999999999999',
      '-1',
      '1e30',
      'not-a-uuid',
      '00000000-0000-0000-0000-000000000000',
      'eyJpZCI6MX0',
      '%7B%22id%22%3A1%7D',
      '%25',
      '..%2F..%2F',
    );
  }
  values.push('%00', 'a%00b', '%ff', '%zz', '%', '%C0%AF', '%E2%80%AE', '%F0%9F%98%80', '%ED%A0%80', "'%20OR%201=1--");
  const unicode = UNICODE.filter((v): v is string => typeof v === 'string').map((v) => encodeURIComponent(v));
  return [...rng.some(values, 16), ...rng.some(unicode, 4)];
}

function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'missing');
}

export function casesFor(input: OpInput): Case[] {
  const { op, rng } = input;
  const right = rightAuth(input.auth, input.principals);
  const variants = authVariants(input.auth, input.principals);
  const realValues: Record<string, string> = {};
  for (const p of op.pathParams)
    realValues[p.name] = encodeURIComponent(input.realId(p.name) ?? String(sample(p.schema, p.name, input.sampleCtx)));
  const basePath = fillPath(op.path, realValues);
  const baseBody = op.body ? sample(op.body.schema, 'body', input.sampleCtx) : undefined;
  const baseBytes = baseBody === undefined ? null : encode(baseBody);
  const cases: Case[] = [];

  const add = (
    kind: string,
    note: string,
    o: {
      path?: string;
      query?: string;
      headers?: Record<string, string | string[]>;
      body?: BodyCase;
      method?: string;
      auth?: string | string[] | null;
      keepAuth?: boolean;
    } = {},
  ) => {
    const headers: Record<string, string | string[]> = { ...o.headers };
    let auth = o.auth === undefined ? right : o.auth;
    // now and then a mutation goes out with a bad token too: authentication must fail cleanly whatever the body
    if (!o.keepAuth && o.auth === undefined && rng.next() < 0.1) {
      const v = rng.pick(variants.slice(0, 9));
      auth = v.header;
      note += ` [${v.name}]`;
    }
    if (auth !== null) headers.authorization = auth;
    const body = o.body ? o.body.body : baseBytes;
    const contentType = o.body ? o.body.contentType : baseBytes ? undefined : null;
    if (body) {
      if (contentType === undefined) headers['content-type'] = 'application/json';
      else if (contentType !== null) headers['content-type'] = contentType;
    } else if (contentType) headers['content-type'] = contentType;
    const method = o.method ?? op.method;
    const path = (o.path ?? basePath) + (o.query ? `?${o.query}` : '');
    const req: WireRequest = {
      method,
      path,
      headers,
      ...(body && method !== 'HEAD' ? { body } : {}),
      ...(o.body?.chunked ? { chunked: true } : {}),
    };
    cases.push({ kind, note, req, ...(o.body?.reject ? { reject: o.body.reject } : {}) });
  };

  for (const p of op.pathParams) {
    for (const bad of badIds(input.realId(p.name), input.otherId)) {
      add('path-id', `${p.name} = ${short(bad)}`, { path: fillPath(op.path, { ...realValues, [p.name]: bad }) });
    }
  }

  for (const p of op.queryParams) {
    for (const v of queryValues(p, rng)) add('query-value', `${p.name}=${short(v)}`, { query: `${p.name}=${v}` });
    const valid = encodeURIComponent(String(sample(p.schema, p.name, input.sampleCtx)));
    const shapes = [
      `${p.name}=1&${p.name}=2`,
      `${p.name}=${valid}&${p.name}=${valid}`,
      `${p.name}[]=1`,
      `${p.name}[a]=1`,
      p.name,
      `${p.name}=`,
      `${p.name}=${valid}&${p.name}=`,
      `${p.name}=1&`.repeat(200),
    ];
    for (const shape of shapes) add('query-shape', short(shape), { query: shape });
  }
  const opQueries = [
    'limit=1&limit=2',
    'unknown=1',
    Array.from({ length: 500 }, (_, i) => `k${i}=${i}`).join('&'),
    '',
    '&&&',
    '=x',
    '%00=1',
    `x=${'a'.repeat(8000)}`,
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
  ];
  for (const query of opQueries) add('query-shape', `?${short(query)}`, { query });

  for (const h of op.headerParams) {
    const values: (string | string[])[] = ['', ' ', 'a'.repeat(256), 'a'.repeat(8000), '\xff\xfe\xe9', ['key-one', 'key-two'], '%00'];
    for (const v of values) add('header', `${h.name}: ${JSON.stringify(v).slice(0, 40)}`, { headers: { [h.name]: v } });
  }

  const bodies = op.body
    ? bodyCases(op.body.schema, baseBody, rng)
    : op.method === 'GET'
      ? unexpectedBodyCases({}).slice(0, 2)
      : unexpectedBodyCases({});
  for (const b of bodies) add(b.kind, b.note, { body: b });

  if (op.method === 'GET') add('method', 'HEAD', { method: 'HEAD', keepAuth: true });
  if (input.pathMethods) {
    const missing = ALL_METHODS.filter((m) => !input.pathMethods!.includes(m));
    for (const m of [...rng.some(missing, 2), 'OPTIONS', 'TRACE']) add('method', m, { method: m, keepAuth: true });
    const spellings = [
      `${basePath}/`,
      `/${basePath}`,
      basePath.toUpperCase(),
      `${basePath};x=1`,
      `${basePath}%2F`,
      `${basePath}/..`,
      basePath.replace('/api/', '/api/./'),
      `${basePath}#frag`,
    ];
    for (const path of spellings) add('path-spelling', path.slice(0, 80), { path, keepAuth: true });
  }

  const authList =
    input.auth === 'public'
      ? variants.filter((v) => ['no token', 'garbage bearer', 'admin token', 'two headers'].includes(v.name))
      : variants;
  for (const v of authList) add('auth', v.name, { auth: v.header });
  return cases;
}

/** Requests outside any documented operation: unknown routes, the docs, odd request targets, oversized headers. */
export function globalCases(adminToken: string): Case[] {
  const get = (note: string, path: string, headers: Record<string, string | string[]> = {}): Case => ({
    kind: 'global',
    note,
    req: { method: 'GET', path, headers },
  });
  return [
    get('root', '/'),
    get('unknown route', '/api/v1/nope'),
    get('NUL route', '/%00'),
    get('double slash', '//'),
    get('traversal into admin', '/api/v1/users/me/../../admin/admins', { authorization: `Bearer ${adminToken}` }),
    get('encoded traversal', '/api/v1/%2e%2e/%2e%2e/etc/passwd'),
    get('docs', '/docs'),
    get('docs asset traversal', '/docs/..%2f..%2fpackage.json'),
    get('openapi', '/openapi.json'),
    get('openapi with query', '/openapi.json?format=%00'),
    get('absolute-form target', 'http://127.0.0.1/api/v1/nope'),
    get('asterisk target', '*'),
    get('health with body-ish query', `/healthz?${'a=1&'.repeat(1000)}`),
    get('many headers', '/healthz', Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`x-fuzz-${i}`, 'v']))),
    get('headers over 16 KB', '/healthz', { 'x-fuzz-big': 'a'.repeat(20_000) }),
    get('URL over 16 KB', `/api/v1/nope?${'a'.repeat(20_000)}`),
    { kind: 'global', note: 'unknown method', req: { method: 'PROPFIND', path: '/api/v1/users/me', headers: {} } },
    { kind: 'global', note: 'CONNECT-ish method', req: { method: 'SEARCH', path: '/healthz', headers: {} } },
  ];
}
