/** Who exists in the limit skeleton's table: user i has a fixed id, so the bench can sign its token without asking. */
import { createHash, createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';

/** md5('u' || i) as a uuid: what the skeleton's seed SQL writes (`md5('u' || i)::uuid`). */
export function skeletonUserId(i: number): string {
  const h = createHash('md5').update(`u${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A token shaped like the service's (same claims, same size), signed with the skeleton's secret. */
export function skeletonToken(secret: string, i: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ typ: 'user', ver: 1, role: 'parent', perms: [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(skeletonUserId(i))
    .setIssuer('sociox-accounts')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(createSecretKey(Buffer.from(secret, 'utf8')));
}
