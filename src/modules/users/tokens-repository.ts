import type { Queryable } from '../../db/index.js';

export type LinkPurpose = 'delete_account' | 'password_reset_link';

/** The only SQL for single-use emailed link tokens (stored as SHA-256, never the token itself). */
export const linkTokensRepository = {
  /** A new link replaces the user's earlier links of the same purpose. */
  async replace(q: Queryable, userId: string, purpose: LinkPurpose, tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
    await q.query('delete from user_tokens where user_id = $1 and purpose = $2', [userId, purpose]);
    await q.query(
      'insert into user_tokens (token_hash, user_id, purpose, expires_at, created_at) values ($1, $2, $3, $4, $5)',
      [tokenHash, userId, purpose, expiresAt, now],
    );
  },

  /** Consumes the token: deleted in the same statement that reads it, so it works once. */
  async consume(q: Queryable, tokenHash: string, purpose: LinkPurpose, now: Date): Promise<string | null> {
    const { rows } = await q.query<{ user_id: string; expires_at: Date }>(
      'delete from user_tokens where token_hash = $1 and purpose = $2 returning user_id, expires_at',
      [tokenHash, purpose],
    );
    const row = rows[0];
    return row && row.expires_at.getTime() > now.getTime() ? row.user_id : null;
  },
};
