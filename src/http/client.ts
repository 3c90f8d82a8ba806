import type { FastifyRequest } from 'fastify';

/** Where a request comes from, as a sign-in records it with its session (the IP as TRUST_PROXY makes it). */
export function clientOf(request: FastifyRequest): { ip: string; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' && ua ? ua : null };
}
