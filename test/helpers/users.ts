/** What the users*.test.ts files share. */
import { expect } from 'vitest';
import { countRows } from './fixtures.js';
import type { Harness } from './harness.js';

/** No key that names a password, hash or token version, and no argon2 string, anywhere in a body. */
export function expectNoSecrets(body: string): void {
  expect(body).not.toMatch(/"[a-z_]*(password|hash|token_version)[a-z_]*"\s*:/i);
  expect(body).not.toContain('$argon2');
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function userHelpers(harness: () => Harness) {
  return {
    countUsers: (where: string, params: unknown[]) => countRows(harness(), 'users', where, params),
  };
}
