import type { FastifyRequest } from 'fastify';

/** The token of `Authorization: Bearer <token>`, or null; what the token means is the guard's business. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
