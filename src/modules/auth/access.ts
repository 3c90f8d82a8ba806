import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../../http/bearer.js';
import { AppError } from '../../http/errors.js';
import type { CallerGuards } from '../../http/routing.js';
import { allows, type RoutePermission } from '../admins/permissions.js';
import type { AdminRow } from '../admins/repository.js';
import type { Sessions } from '../sessions/service.js';
import type { AuthRow } from '../users/repository.js';
import type { AuthAdmin, AuthUser } from './access-types.js';
import type { TokenKind, TokenService, VerifiedClaims } from './tokens.js';

const KIND_NAMES: Record<TokenKind, string> = { user: 'a user token', admin: 'an admin token' };

/** Every admin route as registered (aliases included): the shared admin guard suite walks this list. */
export type AdminRouteRegistry = { method: string; url: string; permission: RoutePermission }[];
/** Every user route as registered (aliases included): the shared user guard suite walks this list. */
export type UserRouteRegistry = { method: string; url: string }[];

/**
 * Who the caller is, injected into the routing policy (src/http/routing.ts) as one guard per
 * kind of caller. Verifies the signature and the token's kind, then asks the database: a token
 * whose account is gone, deactivated, or whose token_version was bumped (password change/reset,
 * deactivation, permission change) is refused at once.
 */
export function createAccess(deps: {
  tokens: TokenService;
  /** the sessions module: is the token's session still alive */
  sessions: Pick<Sessions, 'alive'>;
  /** the users module: the account, its status, token_version and parent's status */
  users: { forAuth(id: string): Promise<AuthRow | null> };
  /** the admins module: the admin, its token_version and permissions */
  admins: { forAuth(id: string): Promise<AdminRow | null> };
}) {
  async function claimsOf(request: FastifyRequest, kind: TokenKind) {
    const token = bearerToken(request);
    if (!token) throw new AppError('UNAUTHENTICATED', 'Authentication required: send Authorization: Bearer <token>');
    const result = await deps.tokens.verify(token);
    if (!result.ok) throw new AppError('UNAUTHENTICATED', result.reason === 'expired' ? 'Token has expired' : 'Invalid token');
    if (result.claims.typ !== kind) {
      throw new AppError('FORBIDDEN', `This endpoint needs ${KIND_NAMES[kind]}, not ${KIND_NAMES[result.claims.typ]}`);
    }
    return result.claims;
  }

  /** A token of an ended session (logout, ended by its owner or an admin, a reused refresh token) is refused. */
  async function checkSession(claims: VerifiedClaims): Promise<void> {
    if (!claims.sid) return; // an HS256 token from before sessions, accepted until it expires
    const session = await deps.sessions.alive(claims.sid);
    if (!session || session.kind !== claims.typ || session.accountId !== claims.sub) {
      throw new AppError('UNAUTHENTICATED', 'This session has ended, please log in again');
    }
  }

  async function user(request: FastifyRequest): Promise<AuthUser> {
    const claims = await claimsOf(request, 'user');
    const user = await deps.users.forAuth(claims.sub);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The account of this token no longer exists');
    if (user.token_version !== claims.ver) throw new AppError('UNAUTHENTICATED', 'Token has been revoked, please log in again');
    if (user.status !== 'active') throw new AppError('UNAUTHENTICATED', 'Your account has been deactivated');
    // a child acts for its parent: while the parent is deactivated, so is the child (reactivation restores both)
    if (user.parent_status === 'deactivated')
      throw new AppError('UNAUTHENTICATED', 'The parent account of this account has been deactivated');
    await checkSession(claims);
    return {
      id: user.id,
      email: user.email,
      role: user.role,
      parentId: user.parent_id,
      permissions: user.permissions,
      tokenVersion: user.token_version,
      // when the password was last typed for this session; a refresh never moves it
      authTime: new Date((claims.auth_time ?? claims.iat) * 1000),
      sessionId: claims.sid ?? null,
    };
  }

  async function admin(request: FastifyRequest, needed: RoutePermission): Promise<AuthAdmin> {
    const claims = await claimsOf(request, 'admin');
    const admin = await deps.admins.forAuth(claims.sub);
    if (!admin) throw new AppError('UNAUTHENTICATED', 'The admin of this token no longer exists');
    if (admin.token_version !== claims.ver) throw new AppError('UNAUTHENTICATED', 'Token has been revoked, please log in again');
    await checkSession(claims);
    if (!allows(admin, needed)) {
      throw new AppError(
        'FORBIDDEN',
        needed === 'superadmin' ? 'Only a superadmin can do this' : `This needs the ${String(needed)} permission`,
      );
    }
    return { id: admin.id, email: admin.email, role: admin.role, permissions: admin.permissions, sessionId: claims.sid ?? null };
  }

  const adminRoutes: AdminRouteRegistry = [];
  const userRoutes: UserRouteRegistry = [];
  const guards: CallerGuards = {
    user: {
      requiresPermission: false,
      async check(request) {
        request.user = await user(request);
      },
      registered: ({ method, url }) => userRoutes.push({ method, url }),
    },
    admin: {
      // the routing policy refuses to register an admin route without a permission, so it is set here
      requiresPermission: true,
      async check(request, permission) {
        request.admin = await admin(request, permission!);
      },
      registered: (route) => adminRoutes.push({ ...route, permission: route.permission! }),
    },
  };
  return { guards, adminRoutes, userRoutes };
}

/** For handlers behind `auth: 'user'`: the guard has already set it. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED', 'Authentication required');
  return request.user;
}

/** For handlers behind `auth: 'admin'`: who acts, and from where (for the audit log). */
export function currentAdmin(request: FastifyRequest): AuthAdmin & { ip: string } {
  if (!request.admin) throw new AppError('UNAUTHENTICATED', 'Authentication required');
  return { ...request.admin, ip: request.ip };
}
