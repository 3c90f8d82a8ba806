/**
 * Route validators and serializers compiled on first use instead of while the app starts.
 *
 * Compiling every route's schemas (Ajv and fast-json-stringify, ~100 routes) was the largest part
 * of a start: about 240 ms of CPU and much of the garbage collected before the port opened
 * (a profile of `node dist/main.js` on this 2-core machine: Ajv 192 ms, fast-json-stringify 44 ms,
 * GC 139 ms of 1.3 s). Now Fastify is handed a wrapper that compiles on its first call; after the
 * port is open `compilePendingInBackground()` (src/main.ts) compiles the rest one at a time between
 * requests, so a restarted instance is ready sooner and its first requests do not pay either. A
 * schema that does not compile is found by `compilePending()` in test/lazy-compile.test.ts.
 */

type Compiled = ((data: never) => unknown) & { errors?: unknown };

/** what has not been compiled yet, process-wide (the compiled functions are shared by apps) */
const pending = new Set<() => unknown>();

/**
 * A function that compiles `compile()` on its first call and then delegates to it. With
 * `withErrors`, the compiled validator's `errors` (which Fastify reads from the function it was
 * given, right after the call) are copied onto the wrapper after each call.
 */
export function lazyCompiled<F extends Compiled>(compile: () => F, withErrors = false): F {
  let compiled: F | null = null;
  const ensure = (): F => {
    if (!compiled) {
      compiled = compile();
      pending.delete(ensure);
    }
    return compiled;
  };
  pending.add(ensure);
  const call = (data: never) => ensure()(data);
  if (!withErrors) return call as F;
  const validate = ((data: never) => {
    const fn = ensure();
    const result = fn(data);
    validate.errors = fn.errors;
    return result;
  }) as F;
  return validate;
}

/** How many are waiting to be compiled. */
export function pendingCount(): number {
  return pending.size;
}

/** Compiles everything still waiting, now (throws what a schema's compiler throws). */
export function compilePending(): number {
  const all = [...pending];
  for (const ensure of all) ensure();
  return all.length;
}

/**
 * Compiles what is waiting one at a time, yielding to the event loop between two, so requests are
 * served meanwhile. A schema that fails is reported to `onError` (its route will fail the same way).
 */
export async function compilePendingInBackground(onError: (err: unknown) => void): Promise<number> {
  let done = 0;
  for (const ensure of [...pending]) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      ensure();
      done++;
    } catch (err) {
      pending.delete(ensure);
      onError(err);
    }
  }
  return done;
}
