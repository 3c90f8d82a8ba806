/**
 * Signing keys (src/modules/keys): the public keys at /.well-known/jwks.json, verification of an
 * access token by another process from that key set alone, rotation (superadmin only, audited, the
 * previous key verifying until its tokens have expired), two instances agreeing after a rotation,
 * the HS256 upgrade window, tokens this service did not sign, and the private keys encrypted at rest.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS } from '../src/modules/admins/permissions.js';
import { sealer } from '../src/modules/keys/sealed.js';
import { twoInstances } from './helpers/caches.js';
import { adminWith, bootstrapSuperadmin, countRows, decodeJwt, relogin } from './helpers/fixtures.js';
import type { Harness, TestUser } from './helpers/harness.js';

// A is the file's harness; B another instance on the same database (own caches, own change feed)
const instances = twoInstances();
const A = instances.a;
const B = instances.b;

const JWKS = '/.well-known/jwks.json';
const ROTATE = '/api/v1/admin/keys/rotate';
const PROFILE = '/api/v1/profile';
const ISSUER = 'https://app.example.test';
const AUDIENCE = 'sociox';

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
  [member: string]: unknown;
}

const kidOf = (token: string): string => {
  const { kid } = decodeProtectedHeader(token);
  if (typeof kid !== 'string') throw new Error(`no kid in ${token}`);
  return kid;
};

async function jwksOf(h: Harness): Promise<Jwk[]> {
  const res = await h.get(JWKS);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().keys as Jwk[];
}

const kidsOf = async (h: Harness) => (await jwksOf(h)).map((k) => k.kid);

async function login(h: Harness, user: TestUser): Promise<string> {
  return (await relogin(h, user)).token;
}

async function profileStatus(h: Harness, token: string): Promise<number> {
  return (await h.get(PROFILE, token)).statusCode;
}

/** The user's claims re-signed with `key` (as `kid`), with the given changes: what a forger, or a careless service, would make. */
async function resign(
  token: string,
  key: KeyObject,
  kid: string,
  changes: { issuer?: string; audience?: string; expiresAt?: number; issuedAt?: number } = {},
): Promise<string> {
  const claims = decodeJwt(token);
  const { sub, iss, aud, iat, exp, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
    .setSubject(String(sub))
    .setIssuer(changes.issuer ?? String(iss))
    .setAudience(changes.audience ?? String(aud))
    .setIssuedAt(changes.issuedAt ?? Number(iat))
    .setExpirationTime(changes.expiresAt ?? Number(exp))
    .sign(key);
}

// ---------------------------------------------------------------------------------------------
// a verifier in another process: jose alone, from the published key set

const VERIFIER = `
import { createRemoteJWKSet, jwtVerify } from 'jose';
const JWKS = createRemoteJWKSet(new URL(process.env.JWKS_URL));
try {
  const { payload, protectedHeader } = await jwtVerify(process.env.TOKEN, JWKS, { issuer: ${JSON.stringify(ISSUER)}, audience: ${JSON.stringify(AUDIENCE)} });
  process.stdout.write(JSON.stringify({ ok: true, payload, kid: protectedHeader.kid }));
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, code: err.code ?? null, message: String(err.message) }));
  process.exitCode = 2;
}
`;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function verifyInChild(jwksUrl: string, token: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', VERIFIER], {
      // the repository: `jose` resolves from its node_modules
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, JWKS_URL: jwksUrl, TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('GET /.well-known/jwks.json', () => {
  it('publishes Ed25519 public keys only (no private member), cacheable, including the kid of a fresh login token', async () => {
    const h = A();
    const user = await h.registerUser();
    const token = await login(h, user);
    const res = await h.get(JWKS);
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['cache-control'])).toMatch(/(^|[ ,])max-age=\d+/);
    const keys = res.json().keys as Jwk[];
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toEqual({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String), x: expect.any(String) });
      expect(key).not.toHaveProperty('d');
      // x is a 32-byte Ed25519 public key that imports as one
      expect(Buffer.from(key.x, 'base64url')).toHaveLength(32);
      expect(createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' }).asymmetricKeyType).toBe('ed25519');
    }
    expect(res.body).not.toMatch(/"d"\s*:/);
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('EdDSA');
    expect(keys.map((k) => k.kid)).toContain(header.kid);
  });
});

describe('verification by another service, from the key set alone', () => {
  it('a child process with jose createRemoteJWKSet + jwtVerify accepts a login token and refuses it tampered with', async () => {
    // an instance of its own that listens on a port (A stays an in-process app for the other tests)
    const server = await A().sibling();
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = server.app.server.address() as AddressInfo;
      const jwksUrl = `http://127.0.0.1:${port}${JWKS}`;

      const user = await server.registerUser();
      const token = await login(server, user);

      const good = await verifyInChild(jwksUrl, token);
      expect(good.code, `${good.stdout} ${good.stderr}`).toBe(0);
      const out = JSON.parse(good.stdout);
      expect(out.ok).toBe(true);
      expect(out.payload).toMatchObject({ sub: user.id, typ: 'user', iss: ISSUER, aud: AUDIENCE });
      expect(out.kid).toBe(kidOf(token));

      // the payload changed (another subject, an admin), the signature kept
      const [head, body, signature] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000', typ: 'admin' })).toString(
        'base64url',
      );
      const tampered = await verifyInChild(jwksUrl, `${head}.${forged}.${signature}`);
      expect(tampered.code, `${tampered.stdout} ${tampered.stderr}`).not.toBe(0);
      expect(tampered.signal).toBeNull();
      const refusal = JSON.parse(tampered.stdout);
      expect(refusal.ok).toBe(false);
      expect(refusal.code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    } finally {
      await server.app.close();
    }
  });
});

describe('rotation (POST /api/v1/admin/keys/rotate)', () => {
  it('superadmin only and audited; the new key signs, the old one verifies until its tokens have expired, then is gone', async () => {
    const h = A();
    const ttlMs = h.config.tokenTtlSeconds * 1000;
    const root = await bootstrapSuperadmin(h);
    const staff = await adminWith(h, ADMIN_PERMISSIONS, { by: root });
    const user = await h.registerUser();
    // issued before the rotation and not presented before it (a token verified once is remembered)
    const before = await login(h, user);
    const oldKid = kidOf(before);
    const keysBefore = await countRows(h, 'signing_keys');
    // the old private key, to sign a long-lived token with it later (the service never would)
    const oldKey = await h.app.keys.current();
    expect(oldKey.kid).toBe(oldKid);

    // a plain admin, even with every permission, may not
    const refused = await h.post(ROTATE, undefined, staff.token);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(await countRows(h, 'signing_keys')).toBe(keysBefore);
    expect(await countRows(h, 'audit_log', "action = 'keys.rotate'")).toBe(0);
    // nor a user, nor nobody
    expect((await h.post(ROTATE, undefined, await login(h, user))).statusCode).toBe(403);
    expect((await h.post(ROTATE)).statusCode).toBe(401);

    // time passes between the last signature with the old key and the rotation
    h.clock.advance(1_000);
    const rotated = await h.post(ROTATE, undefined, root.token);
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json()).toMatchObject({ status: true, message: expect.any(String), data: { kid: expect.any(String) } });
    const newKid = rotated.json().data.kid as string;
    expect(newKid).not.toBe(oldKid);
    expect(await countRows(h, 'signing_keys')).toBe(keysBefore + 1);
    expect(await countRows(h, 'audit_log', "action = 'keys.rotate' and admin_id = $1 and target_id = $2", [root.id, newKid])).toBe(1);

    // the token issued before still works; a login now is signed with the new key; both are published
    expect(await profileStatus(h, before)).toBe(200);
    const after = await login(h, user);
    expect(kidOf(after)).toBe(newKid);
    expect(await profileStatus(h, after)).toBe(200);
    expect((await kidsOf(h)).sort()).toEqual([oldKid, newKid].sort());
    expect((await jwksOf(h))[0]?.kid).toBe(newKid);

    // just before the end of the window the old key is still published
    h.clock.advance(ttlMs + 60_000 - 2_000);
    expect(await kidsOf(h)).toContain(oldKid);

    // past ACCESS_TOKEN_TTL + 60 s after the rotation: the old kid is gone, its tokens refused
    h.clock.advance(3_000);
    expect(await kidsOf(h)).toEqual([newKid]);
    expect(await profileStatus(h, before)).toBe(401);
    // refused for its key, not only for its age: the same claims valid for two more hours, presented
    // for the first time now, are refused under the old key and accepted under the new one
    const fresh = await login(h, user);
    const exp = Math.floor(h.clock.now().getTime() / 1000) + 7200;
    const underOld = await resign(fresh, oldKey.privateKey, oldKid, { expiresAt: exp });
    const underNew = await resign(fresh, (await h.app.keys.current()).privateKey, newKid, { expiresAt: exp });
    expect(await profileStatus(h, underNew)).toBe(200);
    expect(await profileStatus(h, underOld)).toBe(401);
  });

  it('the rotated key signs even when rotations happen at the same instant as the previous key was made', async () => {
    const h = A();
    const user = await h.registerUser();
    // the test clock does not move: every key below is made at the same instant
    const seen = new Set([kidOf(await login(h, user))]);
    for (let i = 0; i < 6; i++) {
      const { kid } = await h.app.keys.rotate();
      expect(seen.has(kid)).toBe(false);
      seen.add(kid);
      expect((await h.app.keys.current()).kid, `after rotation ${i + 1}`).toBe(kid);
      expect(kidOf(await login(h, user)), `after rotation ${i + 1}`).toBe(kid);
    }
  });
});

describe('two instances after a rotation', () => {
  it('a rotation on A is heard by B: a login on B is signed with the new key, and a token from A verifies on B', async () => {
    expect(A().app.changes.live).toBe(true);
    expect(B().app.changes.live).toBe(true);
    const root = await bootstrapSuperadmin(A());
    const user = await A().registerUser();
    // B holds the current key in memory: it has signed with it
    const oldKid = kidOf(await login(B(), user));
    expect(kidOf(await login(A(), user))).toBe(oldKid);

    A().clock.advance(1_000);
    const rotated = await A().post(ROTATE, undefined, root.token);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newKid = rotated.json().data.kid as string;
    expect(newKid).not.toBe(oldKid);
    await B().settle();

    const onB = await login(B(), user);
    expect(kidOf(onB)).toBe(newKid);
    expect(await profileStatus(B(), onB)).toBe(200);
    const onA = await login(A(), user);
    expect(kidOf(onA)).toBe(newKid);
    expect(await profileStatus(B(), onA)).toBe(200);
    expect(await profileStatus(A(), onB)).toBe(200);
    expect(await kidsOf(B())).toContain(newKid);
  });
});

describe('HS256 tokens from before signing keys', () => {
  async function legacyToken(h: Harness, user: TestUser, iat: number, issuer = 'sociox-accounts'): Promise<string> {
    const { rows } = await h.db.query<{ token_version: number }>('select token_version from users where id = $1', [user.id]);
    const ver = rows[0]!.token_version;
    return new SignJWT({ typ: 'user', ver, role: 'parent', perms: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(new TextEncoder().encode(h.config.jwtSecret));
  }

  it('accepted if issued before the first signing key and until it expires; refused if issued after it', async () => {
    const h = A();
    // registering signs a token: the first key exists
    const user = await h.registerUser();
    const first = await h.app.keys.firstKeyAt();
    expect(first).toBeInstanceOf(Date);
    const firstSec = Math.floor(first!.getTime() / 1000);

    const early = await legacyToken(h, user, firstSec - 60);
    expect(await profileStatus(h, early)).toBe(200);
    // the same, but not with the legacy issuer
    expect(await profileStatus(h, await legacyToken(h, user, firstSec - 60, ISSUER))).toBe(401);

    const late = await legacyToken(h, user, firstSec + 1);
    expect(await profileStatus(h, late)).toBe(401);
    // made with the shared secret a minute after the upgrade, presented at once
    h.clock.advance(60_000);
    const minuteLater = await legacyToken(h, user, Math.floor(h.clock.now().getTime() / 1000));
    expect(await profileStatus(h, minuteLater)).toBe(401);
    expect(await profileStatus(h, early)).toBe(200);

    // the accepted one, once the clock passes its exp (an hour after its iat)
    h.clock.set(new Date((firstSec - 60 + 3600) * 1000 + 1_000));
    expect(await profileStatus(h, early)).toBe(401);
  });
});

describe('tokens this service did not sign', () => {
  it('refuses a key it never had, a forged signature under its kid, another audience and another issuer; the same claims under its key work', async () => {
    const h = A();
    const user = await h.registerUser();
    const token = await login(h, user);
    const ours = await h.app.keys.current();

    // control: the claims re-signed with the service's own key are accepted
    expect(await profileStatus(h, await resign(token, ours.privateKey, ours.kid, { issuedAt: Number(decodeJwt(token).iat) + 1 }))).toBe(
      200,
    );

    const stranger = generateKeyPairSync('ed25519').privateKey;
    expect(await profileStatus(h, await resign(token, stranger, 'not-ours'))).toBe(401);
    expect(await profileStatus(h, await resign(token, stranger, ours.kid))).toBe(401);
    expect(await profileStatus(h, await resign(token, ours.privateKey, ours.kid, { audience: 'another-service' }))).toBe(401);
    expect(await profileStatus(h, await resign(token, ours.privateKey, ours.kid, { issuer: 'https://evil.example.test' }))).toBe(401);
    expect(await profileStatus(h, await resign(token, ours.privateKey, ours.kid, { issuer: 'sociox-accounts' }))).toBe(401);
  });
});

describe('private keys at rest', () => {
  it('are stored encrypted: no PEM, not a DER key, opened only with KEY_ENCRYPTION_SECRET into the published public key', async () => {
    const h = A();
    const root = await bootstrapSuperadmin(h);
    h.clock.advance(1_000);
    expect((await h.post(ROTATE, undefined, root.token)).statusCode).toBe(200);
    const { rows } = await h.db.query<{ kid: string; private_key: string; public_jwk: { x: string } }>(
      'select kid, private_key, public_jwk from signing_keys',
    );
    expect(rows.length).toBe(2);
    const published = new Map((await jwksOf(h)).map((k) => [k.kid, k.x]));
    for (const row of rows) {
      expect(typeof row.private_key).toBe('string');
      expect(row.private_key).not.toContain('BEGIN');
      expect(row.private_key).not.toMatch(/"d"/);
      expect(() => createPrivateKey(row.private_key)).toThrow();
      for (const encoding of ['base64url', 'base64', 'hex'] as const) {
        const raw = Buffer.from(row.private_key, encoding);
        expect(() => createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' }), encoding).toThrow();
        expect(() => createPrivateKey({ key: raw, format: 'der', type: 'sec1' }), encoding).toThrow();
      }
      // under the right secret it opens into the private half of the published key; under another it does not open
      const opened = createPrivateKey({ key: sealer(h.config.keyEncryptionSecret).open(row.private_key), format: 'der', type: 'pkcs8' });
      const jwk = createPublicKey(opened).export({ format: 'jwk' }) as { x: string };
      expect(jwk.x).toBe(row.public_jwk.x);
      expect(published.get(row.kid)).toBe(jwk.x);
      expect(() => sealer(`${h.config.keyEncryptionSecret}-other`).open(row.private_key)).toThrow();
    }
  });
});
