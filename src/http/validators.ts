import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema } from 'fastify';

/**
 * What @fastify/ajv-compiler 4 would build from our former `ajv.customOptions`: its defaults
 * (`addUsedSchema: false`; fast-uri is Ajv's own resolver) plus allErrors, so `errors[]` names
 * every bad field (its cost grows with the number of bad items, which MAX_JSON_ITEMS in
 * json-body.ts bounds), removeAdditional (unknown fields are dropped: DECISIONS "mass
 * assignment") and useDefaults.
 */
const SHARED_OPTIONS: Options = { allErrors: true, removeAdditional: true, useDefaults: true, addUsedSchema: false };

/**
 * A body is JSON and arrives typed: `null`, `true`, `[5]` or `"0x10"` for a price is a client's
 * mistake to report (422), not a value to guess at. Query strings, path parameters and headers
 * are text on the wire, so they are coerced ("?limit=5" is 5) as Fastify does by default.
 */
const OPTIONS_BY_PART = {
  body: { ...SHARED_OPTIONS, coerceTypes: false },
  text: { ...SHARED_OPTIONS, coerceTypes: 'array' },
} satisfies Record<string, Options>;

type ExternalSchemas = Record<string, unknown>;
type Validator = (data: unknown) => boolean;
type RouteSchema = { schema: FastifySchema & { $id?: string }; httpPart?: string };

// ajv-formats is CommonJS: under NodeNext its default import is the module object
const addFormats = addFormatsModule.default;

function buildAjv(options: Options, externalSchemas: ExternalSchemas): Ajv {
  const ajv = new Ajv(options);
  addFormats(ajv);
  // shared schemas (ErrorEnvelope, User, Plan, …) resolve by $ref in every route of both parts
  for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema as object);
  return ajv;
}

function compileWith(ajv: Ajv, schema: RouteSchema['schema']): Validator {
  // a schema with an $id is compiled once per Ajv instance (Ajv refuses a second $id), as
  // @fastify/ajv-compiler does
  if (schema.$id) {
    const stored = ajv.getSchema(schema.$id);
    if (stored) return stored;
  }
  return ajv.compile(schema as object);
}

/**
 * `schemaController.compilersFactory.buildValidator`: one Ajv for bodies (no coercion) and one for
 * every other part, pooled by the set of shared schemas as @fastify/ajv-compiler pools them.
 */
export function bodyStrictValidatorBuilder() {
  const pool = new Map<string, (route: RouteSchema) => Validator>();
  return (externalSchemas: ExternalSchemas) => {
    const key = JSON.stringify(externalSchemas);
    const pooled = pool.get(key);
    if (pooled) return pooled;
    const body = buildAjv(OPTIONS_BY_PART.body, externalSchemas);
    const text = buildAjv(OPTIONS_BY_PART.text, externalSchemas);
    const compile = ({ schema, httpPart }: RouteSchema) => compileWith(httpPart === 'body' ? body : text, schema);
    pool.set(key, compile);
    return compile;
  };
}
