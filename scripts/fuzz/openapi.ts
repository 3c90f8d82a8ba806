/**
 * The service's own /openapi.json turned into the list of operations to fuzz: every path and
 * method, aliases included, with its parameters and its body schema ($refs resolved).
 */

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
  [key: string]: unknown;
}

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. /api/v1/admin/plans/{planId} */
  path: string;
  pathParams: Param[];
  queryParams: Param[];
  headerParams: Param[];
  body: { schema: Schema; required: boolean } | null;
  /** declares bearerAuth */
  secured: boolean;
  /** the canonical route this documented spelling shares a handler with */
  aliasOf: string | null;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Inlines `#/components/schemas/X` references (the document has no cycles). */
function resolver(doc: OpenApiDoc): (s: Schema) => Schema {
  const components = doc.components?.schemas ?? {};
  const resolve = (s: Schema, depth = 0): Schema => {
    if (depth > 20) return {};
    if (s.$ref) {
      const name = s.$ref.replace(/^#\/components\/schemas\//, '');
      const target = components[name];
      if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
      return resolve(target, depth + 1);
    }
    const out: Schema = { ...s };
    if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolve(v, depth + 1)]));
    if (s.items) out.items = resolve(s.items, depth + 1);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      out.additionalProperties = resolve(s.additionalProperties, depth + 1);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = s[key];
      if (list) out[key] = list.map((v) => resolve(v, depth + 1));
    }
    return out;
  };
  return resolve;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const resolve = resolver(doc);
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params: Param[] = ((op.parameters ?? []) as any[]).map((p) => ({
        name: String(p.name),
        in: p.in,
        required: Boolean(p.required),
        schema: resolve((p.schema ?? {}) as Schema),
      }));
      const json = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        headerParams: params.filter((p) => p.in === 'header'),
        body: json ? { schema: resolve(json), required: op.requestBody.required !== false } : null,
        secured: Array.isArray(op.security) && op.security.length > 0,
        aliasOf: typeof op['x-alias-of'] === 'string' ? op['x-alias-of'] : null,
      });
    }
  }
  return ops;
}

/** The JSON type(s) a schema admits, anyOf branches included. */
export function typesOf(s: Schema): Set<string> {
  const out = new Set<string>();
  if (s.anyOf || s.oneOf) for (const b of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) for (const t of typesOf(b)) out.add(t);
  if (Array.isArray(s.type)) for (const t of s.type) out.add(t);
  else if (s.type) out.add(s.type);
  if (s.enum) for (const v of s.enum) out.add(v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (s.properties && !s.type) out.add('object');
  return out;
}

/** The first non-null branch: what a valid value of an anyOf looks like. */
export function mainBranch(s: Schema): Schema {
  const branches = s.anyOf ?? s.oneOf;
  if (!branches) return s;
  return branches.find((b) => !typesOf(b).has('null') || typesOf(b).size > 1) ?? branches[0] ?? s;
}

/** Whether a string schema's pattern accepts `v` (no pattern: yes). */
function fits(s: Schema, v: string): boolean {
  if (s.minLength !== undefined && [...v].length < s.minLength) return false;
  if (s.maxLength !== undefined && [...v].length > s.maxLength) return false;
  return s.pattern ? new RegExp(s.pattern, 'u').test(v) : true;
}

/** Hints for valid strings: a field's name says more than its schema (a password, an email). */
export interface SampleContext {
  /** a fresh token for unique values (emails), stable for the operation whatever else runs */
  unique(): string;
  /** a real id for a path/body field of this name, when the fixtures have one */
  idFor(name: string): string | undefined;
}

/** The key the fuzzer uses in objects whose keys are free (a map such as features.additional). */
export const MAP_KEY = 'fuzzkey';

const STRING_CANDIDATES = ['USD', '+1 555 0100', 'fuzz value', 'fuzz', 'x', 'a1', '1'];

export function sample(s: Schema, name: string, ctx: SampleContext): unknown {
  s = mainBranch(s);
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(v, k, ctx);
      if (s.additionalProperties && typeof s.additionalProperties === 'object') out[MAP_KEY] = sample(s.additionalProperties, MAP_KEY, ctx);
      return out;
    }
    case 'array':
      return s.minItems
        ? Array.from({ length: s.minItems }, () => sample(s.items ?? {}, name, ctx))
        : s.items
          ? [sample(s.items, name, ctx)]
          : [];
    case 'integer':
    case 'number': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined);
      const max = s.maximum ?? s.exclusiveMaximum;
      if ((min === undefined || min <= 1) && (max === undefined || max >= 1)) return 1;
      return min ?? max ?? 1;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const id = ctx.idFor(name);
      if (s.format === 'uuid') return id ?? '00000000-0000-4000-8000-000000000000';
      if (s.format === 'email' || /email/i.test(name)) return `fuzz.${ctx.unique()}@example.com`;
      if (s.format === 'date-time') return '2030-01-01T00:00:00.000Z';
      if (/password/i.test(name)) return 'fuzz password 1';
      if (id && fits(s, id)) return id;
      const found = STRING_CANDIDATES.find((c) => fits(s, c));
      if (found) return found;
      return 'f'.repeat(Math.max(1, s.minLength ?? 1));
    }
  }
}

/** Every field path of an object schema (objects descended into, arrays through their first item). */
export function fieldPaths(s: Schema, prefix: (string | number)[] = [], depth = 0): { path: (string | number)[]; schema: Schema }[] {
  s = mainBranch(s);
  const out: { path: (string | number)[]; schema: Schema }[] = [];
  if (depth > 4) return out;
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const here = [...prefix, k];
    out.push({ path: here, schema: v });
    out.push(...innerPaths(v, here, depth));
  }
  return out;
}

/** What lies under one field: its properties, its first array item, a made-up key of a map. */
function innerPaths(v: Schema, here: (string | number)[], depth: number): { path: (string | number)[]; schema: Schema }[] {
  const inner = mainBranch(v);
  const out: { path: (string | number)[]; schema: Schema }[] = [];
  if (inner.properties) out.push(...fieldPaths(inner, here, depth + 1));
  if (inner.items) {
    out.push({ path: [...here, 0], schema: inner.items });
    out.push(...innerPaths(inner.items, [...here, 0], depth + 1));
  }
  if (inner.additionalProperties && typeof inner.additionalProperties === 'object') {
    out.push({ path: [...here, MAP_KEY], schema: inner.additionalProperties });
  }
  return out;
}
