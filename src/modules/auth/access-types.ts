import 'fastify';
import type { RoutePermission } from '../admins/permissions.js';

/** The caller of a route behind `auth: 'user'`, as its guard found it in the database. */
export interface AuthUser {
  id: string;
  email: string;
  role: 'parent' | 'child';
  parentId: string | null;
  permissions: string[];
  tokenVersion: number;
  /** when the password was last typed for the token's session (its auth_time): a recent login is what some changes ask for (REAUTH_WINDOW) */
  authTime: Date;
  /** the token's session (null for an HS256 token from before sessions) */
  sessionId: string | null;
}

/** The caller of a route behind `auth: 'admin'`, already checked against the route's permission. */
export interface AuthAdmin {
  id: string;
  email: string;
  role: 'admin' | 'superadmin';
  permissions: string[];
  /** the token's session (null for an HS256 token from before sessions) */
  sessionId: string | null;
}

/**
 * What the shared HTTP layer leaves open (src/http/types.ts), filled here where the callers are
 * known: the two kinds of caller, the permissions an admin route may declare (a misspelt one is a
 * type error in the route), and where the guards record who called.
 */
declare module '../../http/types.js' {
  interface CallerKinds {
    user: true;
    admin: true;
  }
  interface RoutePermissions extends Record<RoutePermission, true> {}
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
    admin: AuthAdmin | null;
  }
}
