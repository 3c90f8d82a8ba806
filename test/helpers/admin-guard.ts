/**
 * What the admin-guard*.test.ts files share: tokens that must be refused, the status check every
 * refusal makes, and filling a registered route's path.
 */
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { ADMIN_PERMISSIONS } from '../../src/modules/admins/permissions.js';
import type { Harness, Response } from './harness.js';

export const ADMIN_LOGIN = '/api/v1/admin/login';

export function expectStatus(res: Response, status: number, label: string, code?: string): void {
  expect(res.statusCode, `${label} → ${res.body}`).toBe(status);
  if (status >= 400 && res.body !== '') {
    const body = res.json();
    expect(body.status, label).toBe(false);
    expect(typeof body.message, label).toBe('string');
    if (code) expect(body.code, label).toBe(code);
  }
}

export function keyOf(r: { method: string; url: string }): string {
  return `${r.method} ${r.url}`;
}

/** `/x/:id` with params → `/x/<id>`; every parameter must be given. */
export function fill(url: string, params: Record<string, string> = {}): string {
  const filled = url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`fixture for ${url} gives no :${name}`);
    return encodeURIComponent(value);
  });
  return filled;
}

/** Any path parameter set to a well-formed uuid: enough for the token checks, which come first. */
export function fillWithRandomIds(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, () => crypto.randomUUID());
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function adminGuardHelpers(harness: () => Harness) {
  return {
    /** A token signed with another secret for a real admin (claims as the service would write them). */
    async forgedAdminToken(adminId: string): Promise<string> {
      const now = Math.floor(harness().clock.now().getTime() / 1000);
      return new SignJWT({ typ: 'admin', ver: 1, role: 'superadmin', perms: [...ADMIN_PERMISSIONS] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(adminId)
        .setIssuer('sociox-accounts')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(new TextEncoder().encode('a-completely-different-secret-0123456789-abcdef'));
    },

    /** An unsigned token (`alg: none`) claiming to be a superadmin. */
    unsignedAdminToken(adminId: string): string {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(harness().clock.now().getTime() / 1000);
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: adminId, typ: 'admin', ver: 1, role: 'superadmin', iss: 'sociox-accounts', iat: now, exp: now + 3600 })}.`;
    },

    send(method: string, url: string, body: unknown, token?: string): Promise<Response> {
      return harness().request(method, url, { token, ...(method === 'GET' || method === 'HEAD' || body === undefined ? {} : { body }) });
    },

    async userStatus(id: string): Promise<string | undefined> {
      const { rows } = await harness().db.query<{ status: string }>('select status from users where id = $1', [id]);
      return rows[0]?.status;
    },
  };
}
