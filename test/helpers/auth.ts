/** What the auth*.test.ts files share: the paths and the assertions on what an answer may carry. */
import { expect } from 'vitest';
import type { Response } from './harness.js';

export const REGISTER = '/api/v1/auth/register';
export const LOGIN = '/api/v1/auth/login';
export const CHANGE = '/api/v1/auth/change-password';
export const DETAILS = '/api/users/details';
export const MISSING = 'One or more required fields missing';

/** Nothing secret in a response body. */
export function expectNoSecrets(res: Response, password: string): void {
  expect(res.body).not.toContain(password);
  expect(res.body).not.toContain('$argon2');
  expect(res.body).not.toMatch(/password_hash|passwordHash|token_version|failed_logins/);
}

export function expectUnauthenticated(res: Response): void {
  expect(res.statusCode).toBe(401);
  expect(res.json()).toMatchObject({ status: false, code: 'UNAUTHENTICATED' });
  expect(typeof res.json().message).toBe('string');
}
