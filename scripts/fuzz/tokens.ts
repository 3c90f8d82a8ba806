/**
 * Authorization headers, valid and not: the operation's right token, the wrong kind, a child's,
 * forged, expired, unsigned, naming a principal that does not exist, malformed.
 */
import { createHmac } from 'node:crypto';
import { JWT_SECRET } from './server.js';

/** A well-formed id no account has (a fixed one: the same requests on every run). */
const NOBODY = '7d1f0c3e-5a4b-4c2d-9e8f-0a1b2c3d4e5f';

export type AuthKind = 'public' | 'user' | 'admin';

export interface AuthVariant {
  name: string;
  header: string | string[] | null;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function jwt(payload: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const head = `${b64(header)}.${b64(payload)}`;
  if (header.alg === 'none') return `${head}.`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

function claims(typ: 'user' | 'admin', sub: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    typ,
    ver: 0,
    role: typ === 'admin' ? 'superadmin' : 'parent',
    perms: [],
    sub,
    iss: 'sociox-accounts',
    iat: now,
    exp: now + 3600,
    ...overrides,
  };
}

export interface Principals {
  user: string;
  child: string;
  admin: string;
  userId: string;
  adminId: string;
}

/** Every variant for an operation whose right principal is `kind`. */
export function authVariants(kind: AuthKind, p: Principals): AuthVariant[] {
  const typ = kind === 'admin' ? 'admin' : 'user';
  const right = kind === 'admin' ? p.admin : p.user;
  const realSub = kind === 'admin' ? p.adminId : p.userId;
  const now = Math.floor(Date.now() / 1000);
  const list: AuthVariant[] = [
    { name: 'no token', header: null },
    { name: 'garbage bearer', header: 'Bearer not-a-token' },
    { name: 'empty bearer', header: 'Bearer ' },
    { name: 'basic scheme', header: 'Basic ZnV6ejpmdXp6' },
    { name: 'three dots', header: 'Bearer a.b.c' },
    { name: 'forged signature', header: `Bearer ${jwt(claims(typ, realSub), 'not the secret, but 48 characters long, honestly')}` },
    { name: 'expired', header: `Bearer ${jwt(claims(typ, realSub, { iat: now - 7200, exp: now - 3600 }), JWT_SECRET)}` },
    { name: 'alg none', header: `Bearer ${jwt(claims(typ, realSub), JWT_SECRET, { alg: 'none', typ: 'JWT' })}` },
    { name: 'unknown principal', header: `Bearer ${jwt(claims(typ, NOBODY), JWT_SECRET)}` },
    { name: 'sub not a uuid', header: `Bearer ${jwt(claims(typ, "1' or '1'='1"), JWT_SECRET)}` },
    { name: 'no exp', header: `Bearer ${jwt(claims(typ, realSub, { exp: undefined }), JWT_SECRET)}` },
    { name: 'huge ver', header: `Bearer ${jwt(claims(typ, realSub, { ver: 1e308 }), JWT_SECRET)}` },
    { name: 'long token', header: `Bearer ${'a'.repeat(8000)}` },
    { name: 'user token', header: `Bearer ${p.user}` },
    { name: 'child token', header: `Bearer ${p.child}` },
    { name: 'admin token', header: `Bearer ${p.admin}` },
    { name: 'lowercase scheme', header: `bearer ${right}` },
    { name: 'trailing junk', header: `Bearer ${right} junk` },
    { name: 'two headers', header: [`Bearer ${right}`, 'Bearer not-a-token'] },
  ];
  return list;
}

/** The header a request of this kind normally carries. */
export function rightAuth(kind: AuthKind, p: Principals): string | null {
  if (kind === 'public') return null;
  return `Bearer ${kind === 'admin' ? p.admin : p.user}`;
}
