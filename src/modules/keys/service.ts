import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { ChangeFeed } from '../../db/changes.js';
import { exactReads } from '../../db/exact-reads.js';
import type { Db, Queryable } from '../../db/index.js';
import { signingKeysRepository as repo, type SigningKeyRow } from './repository.js';
import { sealer } from './sealed.js';

/** A key's public half as /.well-known/jwks.json publishes it. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

interface LiveKey {
  kid: string;
  createdAt: Date;
  supersededAt: Date | null;
  jwk: PublicJwk;
  publicKey: KeyObject;
  /** opened only for the key that signs */
  privateKey: () => KeyObject;
}

/** Even with no change announced, the keys are read again after this long. */
const MAX_AGE_MS = 60_000;
/** A token naming a kid this instance does not know reads the keys again at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

/**
 * The signing keys module owns `signing_keys`: the Ed25519 key that signs access tokens (the
 * newest), the public keys that may still verify one (the newest, and each superseded one until
 * the longest-lived token it signed has expired), and rotation. The keys are held in memory while
 * the change feed listens (a rotation on any instance is announced, so every instance signs with
 * the new key within the feed's delay); with the feed down they are read from the database each time.
 */
export function createSigningKeys(deps: {
  db: Db;
  clock: Clock;
  changes: ChangeFeed;
  /** KEY_ENCRYPTION_SECRET */
  secret: string;
  /** how long a superseded key stays published: the longest access-token life, plus clock skew */
  publishedForMs: number;
}) {
  const { db, clock, changes } = deps;
  const sealed = sealer(deps.secret);
  const reads = exactReads(changes);
  let cached: { keys: LiveKey[]; at: number } | null = null;
  let firstKeyAt: Date | null = null;
  let lastForcedReload = 0;

  changes.on('signing_keys', () => {
    cached = null;
    firstKeyAt = null;
    reads.invalidate();
  });

  function toLive(row: SigningKeyRow): LiveKey {
    let opened: KeyObject | null = null;
    return {
      kid: row.kid,
      createdAt: row.created_at,
      supersededAt: row.superseded_at,
      jwk: { ...row.public_jwk, kid: row.kid, alg: 'EdDSA', use: 'sig' },
      publicKey: createPublicKey({ key: row.public_jwk, format: 'jwk' }),
      privateKey: () => {
        opened ??= createPrivateKey({ key: sealed.open(row.private_key), format: 'der', type: 'pkcs8' });
        return opened;
      },
    };
  }

  async function load(): Promise<LiveKey[]> {
    const rows = await repo.live(db, clock.now(), deps.publishedForMs);
    return rows.map(toLive);
  }

  function keys(): Promise<LiveKey[]> {
    return reads.read(
      () => (cached && performance.now() - cached.at < MAX_AGE_MS ? cached.keys : undefined),
      load,
      (keys) => {
        cached = { keys, at: performance.now() };
      },
    );
  }

  /** still verifying at `now`: the signing key, or superseded less than publishedForMs ago */
  const published = (k: LiveKey, now: number) => k.supersededAt === null || k.supersededAt.getTime() > now - deps.publishedForMs;

  function newKeyRow(now: Date): Omit<SigningKeyRow, 'superseded_at'> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
    return {
      kid: `${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(6).toString('base64url')}`,
      algorithm: 'EdDSA',
      public_jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
      private_key: sealed.seal(privateKey.export({ format: 'der', type: 'pkcs8' })),
      created_at: now,
    };
  }

  /** Makes a new signing key; the previous one stays published until its tokens have expired. */
  async function rotate(q?: Queryable): Promise<{ kid: string }> {
    const run = async (tx: Queryable) => {
      await repo.lock(tx);
      const row = newKeyRow(clock.now());
      await repo.insertCurrent(tx, row);
      reads.changed(tx, () => {
        cached = null;
      });
      return { kid: row.kid };
    };
    return q ? run(q) : db.transaction(run);
  }

  /** The key that signs; the first one is made on first use (one per database, whichever instance is first). */
  async function signingKey(): Promise<LiveKey> {
    const current = (await keys())[0];
    if (current && current.supersededAt === null) return current;
    await db.transaction(async (tx) => {
      await repo.lock(tx);
      if ((await repo.count(tx)) === 0) await rotate(tx);
    });
    cached = null;
    reads.invalidate();
    const made = (await load())[0];
    if (!made) throw new Error('no signing key after creating one');
    return made;
  }

  return {
    /** The kid and private key that sign now. */
    async current(): Promise<{ kid: string; privateKey: KeyObject }> {
      const key = await signingKey();
      return { kid: key.kid, privateKey: key.privateKey() };
    },

    /** The public key of a kid that may still verify a token, or null. */
    async publicKey(kid: string): Promise<KeyObject | null> {
      const now = clock.now().getTime();
      let key = (await keys()).find((k) => k.kid === kid);
      // a key made a moment ago on another instance, not yet announced here: read again, at most once a second
      if (!key && performance.now() - lastForcedReload > UNKNOWN_KID_RELOAD_MS) {
        lastForcedReload = performance.now();
        key = (await load()).find((k) => k.kid === kid);
      }
      return key && published(key, now) ? key.publicKey : null;
    },

    /** What /.well-known/jwks.json publishes: public keys only, the signing key first. */
    async jwks(): Promise<PublicJwk[]> {
      await signingKey();
      const now = clock.now().getTime();
      return (await keys()).filter((k) => published(k, now)).map((k) => k.jwk);
    },

    /** When this service first signed with a key of its own (null before): the end of HS256 tokens' issuing. */
    async firstKeyAt(): Promise<Date | null> {
      firstKeyAt ??= await repo.firstCreatedAt(db);
      return firstKeyAt;
    },

    rotate,
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
