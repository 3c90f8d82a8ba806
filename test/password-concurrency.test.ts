/**
 * Password hashing runs at most PASSWORD_HASH_CONCURRENCY at a time (a core stays free for the
 * event loop); the rest wait in arrival order and none is lost, whatever fails.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPasswordHasher, type HashEngine } from '../src/modules/auth/passwords.js';
import { TEST_ENV } from './helpers/harness.js';

/** A fake argon2 whose calls finish when the test says, recording how many ran at once. */
function engine() {
  const pending: { name: string; finish: (ok: boolean) => void }[] = [];
  let running = 0;
  let peak = 0;
  const call = (name: string) =>
    new Promise<boolean>((resolve, reject) => {
      running++;
      peak = Math.max(peak, running);
      pending.push({
        name,
        finish: (ok) => {
          running--;
          if (ok) resolve(true);
          else reject(new Error('argon2 failed'));
        },
      });
    });
  const fake: HashEngine = {
    hash: ((password: string) => call(`hash:${password}`).then(() => `$argon2id$fake$${password}`)) as HashEngine['hash'],
    verify: ((_hash: string, password: string) => call(`verify:${password}`)) as HashEngine['verify'],
  };
  return { fake, pending, peak: () => peak, running: () => running };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('the password hasher’s concurrency bound', () => {
  it('runs at most `concurrency` hashes and verifies at once, the others in arrival order', async () => {
    const e = engine();
    const hasher = createPasswordHasher({ memoryKib: 8, iterations: 1, concurrency: 2 }, e.fake);
    const results = [hasher.hash('a'), hasher.verify('h', 'b'), hasher.hash('c'), hasher.verify('h', 'd'), hasher.hash('e')];
    await turn();
    expect(e.pending.map((p) => p.name)).toEqual(['hash:a', 'verify:b']);
    e.pending.shift()!.finish(true);
    await turn();
    expect(e.pending.map((p) => p.name)).toEqual(['verify:b', 'hash:c']);
    // a failure frees its slot too (verify answers false, never throws)
    e.pending.shift()!.finish(false);
    await turn();
    expect(e.pending.map((p) => p.name)).toEqual(['hash:c', 'verify:d']);
    while (e.pending.length) {
      e.pending.shift()!.finish(true);
      await turn();
    }
    expect(await Promise.all(results)).toEqual(['$argon2id$fake$a', false, '$argon2id$fake$c', true, '$argon2id$fake$e']);
    expect(e.peak()).toBe(2);
    expect(e.running()).toBe(0);
  });

  it('PASSWORD_HASH_CONCURRENCY is configuration: one core left free by default, 1 to 64', () => {
    expect(loadConfig({ ...TEST_ENV }).passwordHashConcurrency).toBeGreaterThanOrEqual(1);
    expect(loadConfig({ ...TEST_ENV, PASSWORD_HASH_CONCURRENCY: '3' }).passwordHashConcurrency).toBe(3);
    expect(() => loadConfig({ ...TEST_ENV, PASSWORD_HASH_CONCURRENCY: '0' })).toThrow(/PASSWORD_HASH_CONCURRENCY/);
    expect(() => loadConfig({ ...TEST_ENV, PASSWORD_HASH_CONCURRENCY: '65' })).toThrow(/PASSWORD_HASH_CONCURRENCY/);
  });
});
