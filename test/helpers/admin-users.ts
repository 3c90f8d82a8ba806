/** What the admin-users*.test.ts files share: the seed's body, the paths, and what an admin must never be shown. */
import { expect } from 'vitest';
import type { Harness, Response } from './harness.js';

/** the body the seed sends on most of these endpoints; it must be ignored */
export const SEED_BODY = { name: 'Nikunja', email: 'xnikunja@gmail.com', picture: 'dsafsd' };
export const NEW_PASSWORD = 'a brand new password';
export const MINUTE = 60 * 1000;
export const UNKNOWN_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

export const LIST = '/api/v1/admin/users';
export const SEND_LINK = '/api/admin/users/sendPasswordResetLink';
export const SEND_LINK_CANONICAL = '/api/v1/admin/users/password-reset-link';
export const RESET = '/api/admin/users/reset-password';
export const RESET_CANONICAL = '/api/v1/auth/reset-password-link';

/** Never a password hash in anything an admin is shown (contract §3, §4). */
export function expectNoSecrets(res: Response): void {
  expect(res.body).not.toContain('password_hash');
  expect(res.body).not.toContain('$argon2');
  expect(res.body).not.toMatch(/"[a-z_]*(password|hash|token_version)[a-z_]*"\s*:/i);
}

export function ids(res: Response): string[] {
  return (res.json().data as { id: string }[]).map((u) => u.id);
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function adminUserHelpers(harness: () => Harness) {
  return {
    /** the status GET /api/v1/users/me answers the token with */
    async me(token: string): Promise<number> {
      return (await harness().get('/api/v1/users/me', token)).statusCode;
    },
  };
}
