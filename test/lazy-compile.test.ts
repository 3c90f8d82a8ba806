import { describe, expect, it } from 'vitest';
import { compilePending, compilePendingInBackground, lazyCompiled, pendingCount } from '../src/http/lazy-compile.js';
import { Harness } from './helpers/harness.js';

/**
 * Route validators and serializers are compiled on first use, or between requests once the port is
 * open (src/http/lazy-compile.ts: a faster start, issue 10). What an eager compile used to promise
 * at start, that every route's schemas compile, is checked here instead.
 */

describe('lazily compiled validators and serializers', () => {
  it('every schema of every route compiles', async () => {
    const h = await Harness.create();
    try {
      expect(() => compilePending()).not.toThrow();
      expect(pendingCount()).toBe(0);
      // and the app still validates and serialises as before
      const bad = await h.request('POST', '/api/v1/auth/register', { body: { email: 'not-an-email' } });
      expect(bad.statusCode).toBe(422);
      expect(bad.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    } finally {
      await h.close();
    }
  });

  it('compiles on the first call only, and hands on the compiled validator’s errors', () => {
    let compiles = 0;
    const validate = lazyCompiled(() => {
      compiles++;
      const fn = ((data: never) => {
        fn.errors = data === 1 ? null : [{ message: 'must be 1' }];
        return data === 1;
      }) as ((data: never) => boolean) & { errors?: unknown };
      return fn;
    }, true);
    expect(compiles).toBe(0);
    expect(validate(2 as never)).toBe(false);
    expect(validate.errors).toEqual([{ message: 'must be 1' }]);
    expect(validate(1 as never)).toBe(true);
    expect(validate.errors).toBeNull();
    expect(compiles).toBe(1);
  });

  it('in the background: compiles what waits, and reports a schema that does not compile without stopping', async () => {
    compilePending();
    let compiled = 0;
    lazyCompiled(() => {
      compiled++;
      return () => true;
    });
    lazyCompiled(() => {
      throw new Error('strict mode: unknown keyword: "minLenght"');
    });
    lazyCompiled(() => {
      compiled++;
      return () => true;
    });
    const errors: unknown[] = [];
    expect(await compilePendingInBackground((err) => errors.push(err))).toBe(2);
    expect(compiled).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['strict mode: unknown keyword: "minLenght"']);
    expect(pendingCount()).toBe(0);
  });
});
