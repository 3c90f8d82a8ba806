import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema } from 'fastify';
import { lazyCompiled } from './lazy-compile.js';

/**
 * What @fastify/ajv-compiler 4 would build from our former `ajv.customOptions`: its defaults
 * (`addUsedSchema: false`; fast-uri is Ajv's own resolver) plus allErrors, so `errors[]` names
 * every bad field (its cost grows with the number of bad items, which MAX_JSON_ITEMS in
 * json-body.ts bounds), removeAdditional (unknown fields are dropped: DECISIONS "mass
 * assignment") and useDefaults. strictNumbers: a query's "?days=Infinity" or "?limit=1e400" is
 * coerced to Infinity, which Ajv otherwise takes for an integer inside any maximum and which
 * reached SQL (a 500, or a 404 from the driver's refusal; found by the fuzzer): a number must be
 * finite. strictNumbers covers numbers that arrive as numbers; a coerced one is checked by
 * `finiteOnly` below.
 */
const SHARED_OPTIONS: Options = { allErrors: true, removeAdditional: true, useDefaults: true, addUsedSchema: false, strictNumbers: true };

type ValidatorWithErrors = Validator & { errors?: unknown[] | null };

/**
 * A query, path or header validator that also refuses a coerced number that is not finite: Ajv
 * coerces "Infinity" and "1e400" to Infinity and then takes it for an integer within any range.
 * Those parts are flat (a value or an array of values), so the walk is one level deep.
 */
function finiteOnly(validate: ValidatorWithErrors): Validator {
  const checked: ValidatorWithErrors = (data: unknown) => {
    const ok = validate(data);
    checked.errors = validate.errors;
    if (!ok || !data || typeof data !== 'object') return ok;
    for (const [key, value] of Object.entries(data)) {
      const values: unknown[] = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
        checked.errors = [
          {
            instancePath: `/${key}`,
            schemaPath: '#/strictNumbers',
            keyword: 'type',
            params: { type: 'finite number' },
            message: 'must be a finite number',
          },
        ];
        return false;
      }
    }
    return true;
  };
  return checked;
}

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

function compileWith(ajv: Ajv, cache: Map<string, Validator>, schema: RouteSchema['schema']): Validator {
  // a schema with an $id is compiled once per Ajv instance (Ajv refuses a second $id), as
  // @fastify/ajv-compiler does
  if (schema.$id) {
    const stored = ajv.getSchema(schema.$id);
    if (stored) return stored;
  }
  // and every other distinct schema once per process: many routes share params, queries and
  // headers, and every app the tests build would compile them all again
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (!validate) {
    // compiled on first use, or after the port is open (./lazy-compile.ts)
    validate = lazyCompiled(() => ajv.compile(schema as object) as ValidatorWithErrors, true);
    cache.set(key, validate);
  }
  return validate;
}

/** process-wide, keyed by the set of shared schemas, as @fastify/ajv-compiler pools its Ajv instances */
const pool = new Map<string, (route: RouteSchema) => Validator>();

/**
 * `schemaController.compilersFactory.buildValidator`: one Ajv for bodies (no coercion) and one for
 * every other part. A validator is a pure function of its schema (its `errors` are read at once,
 * synchronously, after each call), so routes and apps share it.
 */
export function bodyStrictValidatorBuilder() {
  return (externalSchemas: ExternalSchemas) => {
    const key = JSON.stringify(externalSchemas);
    const pooled = pool.get(key);
    if (pooled) return pooled;
    const body = buildAjv(OPTIONS_BY_PART.body, externalSchemas);
    const text = buildAjv(OPTIONS_BY_PART.text, externalSchemas);
    const bodyCache = new Map<string, Validator>();
    const textCache = new Map<string, Validator>();
    const compile = ({ schema, httpPart }: RouteSchema) =>
      httpPart === 'body' ? compileWith(body, bodyCache, schema) : finiteOnly(compileWith(text, textCache, schema));
    pool.set(key, compile);
    return compile;
  };
}
