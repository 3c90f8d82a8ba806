/** What the admins*.test.ts files share: the login path, the answers' assertions and admin counts. */
import { expect } from 'vitest';
import { type Admin, adminLogin, countRows } from './fixtures.js';
import { type Harness, type Response, uniqueEmail } from './harness.js';

export const LOGIN = '/api/v1/admin/login';
export const INVALID = 'Invalid credentials provided';

export function expectNoSecrets(res: Response, ...passwords: string[]): void {
  expect(res.body).not.toContain('$argon2');
  expect(res.body).not.toMatch(/password|hash|token_version|failed_login/i);
  for (const p of passwords) expect(res.body).not.toContain(p);
}

export function expectError(res: Response, status: number, code?: string, message?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().status).toBe(false);
  if (code) expect(res.json().code).toBe(code);
  if (message) expect(res.json().message).toBe(message);
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function adminHelpers(harness: () => Harness) {
  const countAdmins = (where = 'true', params: unknown[] = []) => countRows(harness(), 'admins', where, params);
  return {
    countAdmins,
    countSuperadmins: () => countAdmins("role = 'superadmin'"),

    /** Another superadmin, made the way the operator command makes one, logged in. */
    async extraSuperadmin(): Promise<Admin> {
      const h = harness();
      const email = uniqueEmail('root2');
      const password = 'root password 2';
      const created = await h.app.services.admins.createSuperadmin(email, password);
      return { id: created.id, email: created.email, password, token: await adminLogin(h, email, password), permissions: [] };
    },
  };
}
