import 'fastify';

export interface AuthUser {
  id: string;
  email: string;
  role: 'parent' | 'child';
  parentId: string | null;
  permissions: string[];
  tokenVersion: number;
  /** when the token was issued: a recent login is what some changes ask for (REAUTH_WINDOW) */
  authTime: Date;
}

export interface AuthAdmin {
  id: string;
  email: string;
  role: 'admin' | 'superadmin';
  permissions: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route: a customer user or a staff admin */
    auth?: 'user' | 'admin';
    /** admin routes: the permission needed ('superadmin' = superadmins only, 'any' = any admin) */
    permission?: import('../modules/admins/permissions.js').RoutePermission;
    /** counts toward the per-IP credential rate limit (contract §4) */
    credential?: boolean;
    /** messages the seeds fix for this route's validation failures */
    messages?: { missing?: string; invalid?: string; notFound?: string; forbidden?: string };
    /** the body may be absent (seed clients send none): validated as `{}` */
    optionalBody?: boolean;
    /** set on the routes of documented spellings: the canonical path they alias */
    aliasOf?: string;
  }
  interface FastifyRequest {
    user: AuthUser | null;
    admin: AuthAdmin | null;
  }
}
