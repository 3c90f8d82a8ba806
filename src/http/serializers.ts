import fastJsonStringify from 'fast-json-stringify';
import { lazyCompiled } from './lazy-compile.js';

type ExternalSchemas = Record<string, unknown>;
type Serializer = (data: unknown) => string;
type RouteSchema = { schema: { $id?: string } & Record<string, unknown> };

/** process-wide: the shared schemas (and options) → a response schema's JSON → its serializer */
const pool = new Map<string, Map<string, Serializer>>();

/**
 * `schemaController.compilersFactory.buildSerializer`: what @fastify/fast-json-stringify-compiler
 * does, with each distinct response schema compiled once per process. Every route answers the same
 * few error envelopes (400, 401, 403, 404, 422…), which the default compiles again for each route
 * and status: compiling them was 0.4 s of a 1.5 s start, and the largest CPU cost of the tests
 * (each builds apps). A serializer is a pure function of its schema, so sharing it is safe.
 */
export function memoizedSerializerBuilder() {
  return (externalSchemas: ExternalSchemas, serializerOpts: Record<string, unknown> = {}) => {
    const poolKey = JSON.stringify([externalSchemas, serializerOpts]);
    let compiled = pool.get(poolKey);
    if (!compiled) {
      compiled = new Map();
      pool.set(poolKey, compiled);
    }
    const cache = compiled;
    return ({ schema }: RouteSchema): Serializer => {
      const key = JSON.stringify(schema);
      let serialize = cache.get(key);
      if (!serialize) {
        // as the default compiler: a schema that is itself a shared one is not also passed as external
        let external = externalSchemas;
        if (schema.$id && external[schema.$id]) {
          external = { ...external };
          delete external[schema.$id];
        }
        // compiled on first use, or after the port is open (./lazy-compile.ts)
        serialize = lazyCompiled(() => fastJsonStringify(schema as never, { ...serializerOpts, schema: external as never }) as Serializer);
        cache.set(key, serialize);
      }
      return serialize;
    };
  };
}
