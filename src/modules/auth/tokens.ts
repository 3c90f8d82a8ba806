import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes, randomInt, sign, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { Clock } from '../../clock.js';
import { isDatabaseUnavailable } from '../../db/index.js';
import type { SigningKeys } from '../keys/service.js';

/** What kind of principal a token speaks for; a user token never opens an admin route, nor the reverse. */
export type TokenKind = 'user' | 'admin';

export interface AccessClaims {
  sub: string;
  typ: TokenKind;
  /** the principal's token_version when issued; a bump revokes every earlier token */
  ver: number;
  role: string;
  perms: string[];
  /** the session the token belongs to (absent only from HS256 tokens issued before sessions) */
  sid?: string;
  /** seconds since the epoch: when the password was last typed for this session */
  auth_time?: number;
}

/** What a verified token says: the claims it was signed with, and when it was issued. */
export interface VerifiedClaims extends AccessClaims {
  /** issued at, in seconds since the epoch (every token this service signs carries it) */
  iat: number;
  exp: number;
}

export type VerifyResult = { ok: true; claims: VerifiedClaims } | { ok: false; reason: 'expired' | 'invalid' };

/** The issuer of the HS256 tokens made before signing keys (issue 11). */
const LEGACY_ISSUER = 'sociox-accounts';
/** Every account id is a UUID; a token naming anything else was not made by this service. */
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Verified tokens kept (a token verified once is not verified again until it expires). */
const VERIFIED_MAX = 20_000;

function parseClaims(payload: Record<string, unknown>): VerifiedClaims | null {
  const { sub, typ, ver, role, perms, iat, exp, sid, auth_time } = payload;
  if (
    typeof sub !== 'string' ||
    !ID.test(sub) ||
    (typ !== 'user' && typ !== 'admin') ||
    typeof ver !== 'number' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    (sid !== undefined && (typeof sid !== 'string' || !ID.test(sid))) ||
    (auth_time !== undefined && typeof auth_time !== 'number')
  ) {
    return null;
  }
  return {
    sub,
    typ,
    ver,
    iat,
    exp,
    role: String(role ?? ''),
    perms: Array.isArray(perms) ? perms.map(String) : [],
    ...(sid !== undefined ? { sid } : {}),
    ...(auth_time !== undefined ? { auth_time } : {}),
  };
}

/**
 * A compact JWS (RFC 7515) signed with Ed25519 by node:crypto, synchronously: ~0.04 ms, where
 * jose's SignJWT goes through WebCrypto, whose every sign is a job on the libuv pool and a wake-up
 * of this thread after it (0.12 ms warm, 0.41–0.46 ms when the machine has been idle, as after a
 * login's argon2; node:crypto 0.18–0.21 then). Verifying stays with jose (`jwtVerify`).
 */
function signEd25519(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Access tokens: EdDSA (Ed25519) under the signing keys module's current key, with `kid`, `iss`
 * (APP_URL) and `aud` (TOKEN_AUDIENCE), verifiable by any service from /.well-known/jwks.json.
 * HS256 tokens signed with JWT_SECRET before the first signing key existed are accepted until they
 * expire; an HS256 token issued after that moment is refused. A token verified once is remembered
 * (by its exact text) until it expires: a signature is a property of the text, so the check is
 * the same, and the revocation checks that follow (account, session) still run on every request.
 */
export function createTokenService(deps: {
  secret: string;
  ttlSeconds: number;
  clock: Clock;
  keys: Pick<SigningKeys, 'current' | 'publicKey' | 'firstKeyAt'>;
  issuer: string;
  audience: string;
}) {
  const { secret, ttlSeconds, clock, keys, issuer, audience } = deps;
  // imported once: every legacy verify reuses the same KeyObject
  const legacyKey = createSecretKey(Buffer.from(secret, 'utf8'));
  // a separate key for hashing OTPs, derived so the JWT secret itself never touches them
  const otpKey = createHmac('sha256', secret).update('otp-pepper').digest();
  const verified = new Map<string, VerifiedClaims>();

  async function verifySignature(token: string): Promise<VerifiedClaims | null> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return null;
    }
    const currentDate = clock.now();
    // expiry is checked below, on every use of a remembered token too
    const common = { currentDate, requiredClaims: ['exp', 'iat', 'sub'], clockTolerance: Number.MAX_SAFE_INTEGER };
    if (header.alg === 'EdDSA' && typeof header.kid === 'string') {
      const key = await keys.publicKey(header.kid);
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, { ...common, algorithms: ['EdDSA'], issuer, audience });
      return parseClaims(payload as Record<string, unknown>);
    }
    if (header.alg === 'HS256') {
      const { payload } = await jwtVerify(token, legacyKey, { ...common, algorithms: ['HS256'], issuer: LEGACY_ISSUER });
      const claims = parseClaims(payload as Record<string, unknown>);
      const upgradedAt = await keys.firstKeyAt();
      // made with the shared secret after the upgrade: not one of ours
      if (!claims || (upgradedAt && claims.iat * 1000 >= upgradedAt.getTime())) return null;
      return claims;
    }
    return null;
  }

  return {
    ttlSeconds,

    /**
     * Signs an access token. `issuedAt` (default now) makes the same claims give the same token
     * (Ed25519 signatures are deterministic): a refresh retried within its grace gets the same pair.
     * `notAfter` caps the expiry (a session's absolute end).
     */
    async sign(claims: AccessClaims, options: { issuedAt?: Date; notAfter?: Date } = {}): Promise<{ token: string; expiresIn: number }> {
      const iat = Math.floor((options.issuedAt ?? clock.now()).getTime() / 1000);
      const cap = options.notAfter ? Math.floor(options.notAfter.getTime() / 1000) : Number.POSITIVE_INFINITY;
      const exp = Math.min(iat + ttlSeconds, cap);
      const { kid, privateKey } = await keys.current();
      const body: Record<string, unknown> = { typ: claims.typ, ver: claims.ver, role: claims.role, perms: claims.perms };
      if (claims.sid) body.sid = claims.sid;
      if (claims.auth_time !== undefined) body.auth_time = claims.auth_time;
      const token = signEd25519(
        { alg: 'EdDSA', typ: 'JWT', kid },
        { ...body, sub: claims.sub, iss: issuer, aud: audience, iat, exp },
        privateKey,
      );
      return { token, expiresIn: Math.max(0, exp - Math.floor(clock.now().getTime() / 1000)) };
    },

    async verify(token: string): Promise<VerifyResult> {
      let claims = verified.get(token);
      if (!claims) {
        try {
          claims = (await verifySignature(token)) ?? undefined;
        } catch (err) {
          // the signing keys could not be read: the token is not known to be bad, the request is a 503
          if (isDatabaseUnavailable(err)) throw err;
          claims = undefined;
        }
        if (!claims) return { ok: false, reason: 'invalid' };
        if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
        verified.set(token, claims);
      }
      if (claims.exp * 1000 <= clock.now().getTime()) {
        verified.delete(token);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, claims };
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
