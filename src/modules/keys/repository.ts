import type { Queryable } from '../../db/index.js';

export interface SigningKeyRow {
  kid: string;
  algorithm: 'EdDSA';
  public_jwk: { kty: string; crv: string; x: string };
  private_key: string;
  created_at: Date;
  superseded_at: Date | null;
}

/** The signing keys module owns `signing_keys`. */
export const signingKeysRepository = {
  /** Every key that may still verify a token, the signing one (never superseded) first, then those superseded less than `lifeMs` ago. */
  async live(q: Queryable, now: Date, lifeMs: number): Promise<SigningKeyRow[]> {
    const { rows } = await q.query<SigningKeyRow>(
      `select kid, algorithm, public_jwk, private_key, created_at, superseded_at from signing_keys
        where superseded_at is null or superseded_at > $1
        order by (superseded_at is null) desc, created_at desc, superseded_at desc`,
      [new Date(now.getTime() - lifeMs)],
    );
    return rows;
  },

  /** When this service first signed with a key of its own: HS256 tokens issued before stay valid until they expire. */
  async firstCreatedAt(q: Queryable): Promise<Date | null> {
    const { rows } = await q.query<{ at: Date | null }>('select min(created_at) as at from signing_keys');
    return rows[0]?.at ?? null;
  },

  /** Serialises key creation across instances for the rest of `tx`. */
  async lock(q: Queryable): Promise<void> {
    await q.query('select pg_advisory_xact_lock(727002)');
  },

  async count(q: Queryable): Promise<number> {
    const { rows } = await q.query<{ n: number }>('select count(*)::int as n from signing_keys');
    return rows[0]?.n ?? 0;
  },

  /** The new key signs from now on; the one that signed until now is superseded at the same instant. */
  async insertCurrent(q: Queryable, key: Omit<SigningKeyRow, 'superseded_at'>): Promise<void> {
    await q.query('update signing_keys set superseded_at = $1 where superseded_at is null', [key.created_at]);
    await q.query(`insert into signing_keys (kid, algorithm, public_jwk, private_key, created_at) values ($1, $2, $3, $4, $5)`, [
      key.kid,
      key.algorithm,
      JSON.stringify(key.public_jwk),
      key.private_key,
      key.created_at,
    ]);
  },
};
