/**
 * Bad request bodies for one operation, derived from its body schema: each field missing, of the
 * wrong type, huge, odd Unicode, deeply nested; extra members; invalid JSON; wrong content types;
 * bodies near and over the 1 MiB limit.
 */

import { BAD_UTF8, CONTENT_TYPES, HUGE_NUMBERS, INVALID_JSON, NESTING, ROOT_VALUES, UNICODE, WRONG_TYPES } from './catalogue.js';
import { fieldPaths, mainBranch, type Schema, typesOf } from './openapi.js';
import { suspicious, violation } from './oracle.js';
import { BODY_LIMIT } from './server.js';
import { encode, label, Raw, type Rng, withRawMember } from './values.js';

export interface BodyCase {
  kind: string;
  note: string;
  /** null: no body at all */
  body: Buffer | null;
  /** null: no Content-Type header; undefined: application/json */
  contentType?: string | null;
  chunked?: boolean;
  /** why the service must refuse it (a 2xx is worth a warning) */
  reject?: string;
}

type Path = (string | number)[];

function setAt(base: unknown, path: Path, value: unknown): unknown {
  const root = structuredClone(base) as any;
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (cur[key] === null || typeof cur[key] !== 'object') cur[key] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[key];
  }
  cur[path[path.length - 1]!] = value;
  return root;
}

function getAt(base: unknown, path: Path): unknown {
  let cur = base as any;
  for (const key of path) cur = cur?.[key];
  return cur;
}

function deleteAt(base: unknown, path: Path): unknown {
  const root = structuredClone(base) as any;
  let cur = root;
  for (const key of path.slice(0, -1)) cur = cur?.[key];
  if (cur && typeof cur === 'object') delete cur[path[path.length - 1]!];
  return root;
}

function accepts(types: Set<string>, v: unknown): boolean {
  if (v instanceof Raw) return false;
  if (v === null) return types.has('null');
  if (Array.isArray(v)) return types.has('array');
  if (typeof v === 'number') return types.has('number') || (types.has('integer') && Number.isInteger(v));
  return types.has(typeof v);
}

/** Too long, too big, too many: boundaries first, then the absurd. */
function hugeFor(s: Schema, base: unknown): unknown[] {
  s = mainBranch(s);
  const types = typesOf(s);
  if (types.has('string')) {
    const max = s.maxLength;
    return [
      ...(max !== undefined ? ['a'.repeat(max), 'a'.repeat(max + 1), '😀'.repeat(max), '😀'.repeat(max + 1)] : []),
      'a'.repeat(10_000),
      'a'.repeat(300_000),
      '\u0301'.repeat(50_000),
      new Raw('1e308'),
    ];
  }
  if (types.has('number') || types.has('integer')) {
    const edges: unknown[] = [];
    if (s.maximum !== undefined) edges.push(s.maximum, s.maximum + 1, s.maximum + 0.5);
    if (s.minimum !== undefined) edges.push(s.minimum - 1, s.minimum - 0.000001);
    if (types.has('integer')) edges.push(0.5, 2 ** 31, 2 ** 63);
    return [...edges, ...HUGE_NUMBERS];
  }
  if (types.has('array')) {
    const item = Array.isArray(base) && base.length ? base[0] : 'x';
    return [
      ...(s.maxItems !== undefined ? [Array.from({ length: s.maxItems + 1 }, () => item)] : []),
      Array.from({ length: 10_000 }, () => item),
      Array.from({ length: 20_000 }, (_, i) => i),
    ];
  }
  if (types.has('object'))
    return [
      Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])),
      Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'v'.repeat(100)])),
    ];
  return [new Raw('1e308'), 'a'.repeat(300_000)];
}

/** A JSON text of exactly `size` bytes: `base` plus a padding member (or, without an object, a long string). */
function padded(base: unknown, size: number, key = 'fuzzPadding'): Buffer {
  const prefix = encode(base && typeof base === 'object' && !Array.isArray(base) ? base : {}).toString('utf8');
  const head = prefix.length > 2 ? `${prefix.slice(0, -1)},"${key}":"` : `{"${key}":"`;
  const fill = Math.max(0, size - head.length - 2);
  return Buffer.from(`${head}${'x'.repeat(fill)}"}`);
}

export function bodyCases(schema: Schema | null, base: unknown, rng: Rng): BodyCase[] {
  const out: BodyCase[] = [];
  const json = (kind: string, note: string, v: unknown) => out.push({ kind, note, body: encode(v) });

  if (schema) {
    const fields = fieldPaths(schema);
    // missing: every required member at every level, and everything at once
    json('missing-required', 'empty object {}', {});
    out.push({ kind: 'missing-required', note: 'no body, JSON content type', body: null, contentType: 'application/json' });
    out.push({ kind: 'missing-required', note: 'no body, no content type', body: null, contentType: null });
    const requiredPaths: Path[] = (schema.required ?? []).map((k) => [k]);
    for (const f of fields)
      for (const k of mainBranch(f.schema).required ?? [])
        if (typeof f.path[f.path.length - 1] !== 'number') requiredPaths.push([...f.path, k]);
    for (const p of requiredPaths)
      out.push({
        kind: 'missing-required',
        note: `without ${p.join('.')}`,
        body: encode(deleteAt(base, p)),
        reject: `${p.join('.')} missing`,
      });

    for (const f of fields) {
      const name = f.path.join('.');
      const types = typesOf(f.schema);
      const field = (kind: string, v: unknown) => {
        const why = violation(f.schema, v) ?? suspicious(name, v);
        out.push({
          kind,
          note: `${name} = ${label(v)}`,
          body: encode(setAt(base, f.path, v)),
          ...(why ? { reject: `${name}: ${why}` } : {}),
        });
      };
      const wrong = WRONG_TYPES.filter((v) => !accepts(types, v));
      for (const v of rng.some(wrong, 8)) field('wrong-type', v);
      const huge = hugeFor(f.schema, getAt(base, f.path));
      for (const v of [...huge.slice(0, 2), ...rng.some(huge.slice(2), 4)]) field('huge-value', v);
      const odd = types.has('string') ? [...rng.some(UNICODE, 8), rng.pick(BAD_UTF8)] : [rng.pick(UNICODE)];
      for (const v of odd) field('odd-unicode', v);
      for (const v of rng.some(NESTING, 2)) field('deep-nesting', v);
    }

    json('extra-field', 'unknown member', { ...(base as object), fuzzExtra: 'x' });
    json('extra-field', '1,000 unknown members', {
      ...(base as object),
      ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`extra${i}`, i])),
    });
    json('extra-field', 'role/admin escalation members', {
      ...(base as object),
      role: 'superadmin',
      isAdmin: true,
      permissions: ['*'],
      id: '00000000-0000-4000-8000-000000000000',
    });
    out.push({ kind: 'extra-field', note: '__proto__ member', body: withRawMember(base, '__proto__', '{"isAdmin":true}').bytes });
    out.push({
      kind: 'extra-field',
      note: 'constructor.prototype member',
      body: withRawMember(base, 'constructor', '{"prototype":{"isAdmin":true}}').bytes,
    });
    const firstField = fields[0];
    if (firstField) {
      const key = String(firstField.path[0]);
      out.push({
        kind: 'extra-field',
        note: `duplicate key ${key}`,
        body: withRawMember(base, key, JSON.stringify(WRONG_TYPES[rng.int(WRONG_TYPES.length)] ?? null)).bytes,
      });
    }
    for (const f of fields.filter((x) => mainBranch(x.schema).properties))
      json('extra-field', `unknown member in ${f.path.join('.')}`, setAt(base, [...f.path, 'fuzzExtra'], 1));
  }

  // the body as a whole
  for (const v of ROOT_VALUES) json('wrong-type', `body = ${v.label}`, v);
  for (const v of NESTING) json('deep-nesting', `body = ${v.label}`, v);
  for (const text of INVALID_JSON) out.push({ kind: 'invalid-json', note: JSON.stringify(text), body: Buffer.from(text) });
  out.push({ kind: 'invalid-json', note: 'UTF-16LE JSON', body: Buffer.from(encode(base).toString('utf8'), 'utf16le') });
  for (const raw of rng.some(BAD_UTF8, 3))
    out.push({ kind: 'odd-unicode', note: `body member = ${raw.label}`, body: withRawMember(base, 'fuzzText', raw.bytes).bytes });
  for (const ct of CONTENT_TYPES)
    out.push({
      kind: 'content-type',
      note: `Content-Type: ${ct === null ? '(none)' : ct.slice(0, 40)}`,
      body: encode(base),
      contentType: ct,
    });
  out.push({
    kind: 'content-type',
    note: 'form body as urlencoded',
    body: Buffer.from('email=a%40b.c&password=x'),
    contentType: 'application/x-www-form-urlencoded',
  });
  out.push({ kind: 'empty-body', note: 'empty body, JSON content type', body: Buffer.alloc(0) });
  out.push({ kind: 'empty-body', note: 'empty body, text/plain', body: Buffer.alloc(0), contentType: 'text/plain' });

  // sizes around the 1 MiB limit (the last two must be answered 413, not reset)
  out.push({ kind: 'body-size', note: `${BODY_LIMIT - 1024} bytes (padding member)`, body: padded(base, BODY_LIMIT - 1024) });
  out.push({ kind: 'body-size', note: `exactly ${BODY_LIMIT} bytes`, body: padded(base, BODY_LIMIT) });
  out.push({ kind: 'body-size', note: `${BODY_LIMIT + 1} bytes`, body: padded(base, BODY_LIMIT + 1) });
  out.push({ kind: 'body-size', note: '3 MB', body: padded(base, 3_000_000) });
  out.push({ kind: 'body-size', note: '2 MB chunked (no Content-Length)', body: padded(base, 2_000_000), chunked: true });
  return out;
}

/** What operations without a body schema get: a body anyway, which must be ignored or refused cleanly. */
export function unexpectedBodyCases(base: unknown): BodyCase[] {
  return [
    { kind: 'unexpected-body', note: 'JSON object', body: encode({ fuzz: 1 }) },
    { kind: 'unexpected-body', note: 'invalid JSON', body: Buffer.from('{"a":') },
    { kind: 'unexpected-body', note: 'text/plain', body: Buffer.from('hello'), contentType: 'text/plain' },
    { kind: 'unexpected-body', note: 'empty body, JSON content type', body: Buffer.alloc(0) },
    { kind: 'unexpected-body', note: 'arrays nested 5000 deep', body: NESTING[2]!.bytes },
    { kind: 'unexpected-body', note: '3 MB', body: padded(base, 3_000_000) },
  ];
}
