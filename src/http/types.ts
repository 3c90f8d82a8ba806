import 'fastify';

export interface AuthUser {
  id: string;
  email: string;
  role: 'parent' | 'child';
  parentId: string | null;
  permissions: string[];
  tokenVersion: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route: a customer user, or (later) an admin */
    auth?: 'user';
    /** counts toward the per-IP credential rate limit (contract §4) */
    credential?: boolean;
    /** messages the seeds fix for this route's validation failures */
    messages?: { missing?: string; invalid?: string; notFound?: string };
    /** set on the routes of documented spellings: the canonical path they alias */
    aliasOf?: string;
  }
  interface FastifyRequest {
    user: AuthUser | null;
  }
}
