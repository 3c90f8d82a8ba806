import { createHash, createHmac, createSecretKey, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../../clock.js';

/** What kind of principal a token speaks for; a user token never opens an admin route, nor the reverse. */
export type TokenKind = 'user' | 'admin';

export interface AccessClaims {
  sub: string;
  typ: TokenKind;
  /** the principal's token_version when issued; a bump revokes every earlier token */
  ver: number;
  role: string;
  perms: string[];
}

/** What a verified token says: the claims it was signed with, and when it was issued. */
export interface VerifiedClaims extends AccessClaims {
  /** issued at, in seconds since the epoch (every token this service signs carries it) */
  iat: number;
}

export type VerifyResult = { ok: true; claims: VerifiedClaims } | { ok: false; reason: 'expired' | 'invalid' };

const ISSUER = 'sociox-accounts';
/** Every account id is a UUID; a token naming anything else was not made by this service. */
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createTokenService(secret: string, ttlSeconds: number, clock: Clock) {
  // imported once: every sign and verify reuses the same KeyObject
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  // a separate key for hashing OTPs, derived so the JWT secret itself never touches them
  const otpKey = createHmac('sha256', secret).update('otp-pepper').digest();

  return {
    ttlSeconds,
    async sign(claims: AccessClaims): Promise<string> {
      const now = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT({ typ: claims.typ, ver: claims.ver, role: claims.role, perms: claims.perms })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(ISSUER)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key);
    },

    async verify(token: string): Promise<VerifyResult> {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          currentDate: clock.now(),
          // a token without an expiry would be valid forever: refused, whoever signed it
          requiredClaims: ['exp', 'iat', 'sub'],
        });
        const { sub, typ, ver, role, perms, iat } = payload as Record<string, unknown>;
        if (
          typeof sub !== 'string' ||
          !ID.test(sub) ||
          (typ !== 'user' && typ !== 'admin') ||
          typeof ver !== 'number' ||
          typeof iat !== 'number'
        ) {
          return { ok: false, reason: 'invalid' };
        }
        return {
          ok: true,
          claims: { sub, typ, ver, iat, role: String(role ?? ''), perms: Array.isArray(perms) ? perms.map(String) : [] },
        };
      } catch (err) {
        return { ok: false, reason: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
      }
    },

    /** HMAC, not a bare hash: six digits are a million guesses, the pepper keeps a leaked table useless. */
    hashOtp(userId: string, otp: string): string {
      return createHmac('sha256', otpKey).update(`${userId}:${otp}`).digest('hex');
    },

    otpMatches(expectedHash: string, userId: string, otp: string): boolean {
      const a = Buffer.from(expectedHash, 'hex');
      const b = Buffer.from(this.hashOtp(userId, otp), 'hex');
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;

/** Six digits from a cryptographic source (contract §4). */
export function generateOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** 256 random bits for links sent by email; only the SHA-256 is stored. */
export function generateLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
