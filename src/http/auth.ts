import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import type { TokenService } from '../modules/auth/tokens.js';
import { usersRepository } from '../modules/users/repository.js';
import { AppError } from './errors.js';
import type { AuthUser } from './types.js';

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * Verifies the signature, then asks the database: a token whose account is gone, deactivated,
 * or whose token_version was bumped (password change/reset, deactivation) is refused at once.
 */
export function createUserAuthenticator(deps: { db: Db; tokens: TokenService }) {
  return async function authenticateUser(request: FastifyRequest): Promise<AuthUser> {
    const token = bearerToken(request);
    if (!token) throw new AppError('UNAUTHENTICATED', 'Authentication required: send Authorization: Bearer <token>');
    const result = await deps.tokens.verify(token);
    if (!result.ok) {
      throw new AppError('UNAUTHENTICATED', result.reason === 'expired' ? 'Token has expired' : 'Invalid token');
    }
    const { claims } = result;
    if (claims.typ !== 'user') throw new AppError('FORBIDDEN', 'This endpoint needs a user token, not an admin token');
    const user = await usersRepository.findById(deps.db, claims.sub).catch(() => null);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The account of this token no longer exists');
    if (user.token_version !== claims.ver) throw new AppError('UNAUTHENTICATED', 'Token has been revoked, please log in again');
    if (user.status !== 'active') throw new AppError('UNAUTHENTICATED', 'Your account has been deactivated');
    return {
      id: user.id,
      email: user.email,
      role: user.role,
      parentId: user.parent_id,
      permissions: user.permissions,
      tokenVersion: user.token_version,
    };
  };
}

export type UserAuthenticator = ReturnType<typeof createUserAuthenticator>;

/** For handlers behind `auth: 'user'`: the hook has already set it. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED', 'Authentication required');
  return request.user;
}
