import type { Queryable } from '../../db/index.js';

export type LinkPurpose = 'delete_account' | 'password_reset_link' | 'revert_email';

/** The only SQL for single-use emailed link tokens (stored as SHA-256, never the token itself). */
export const linkTokensRepository = {
  /** A new link replaces the user's earlier links of the same purpose. */
  async replace(q: Queryable, userId: string, purpose: LinkPurpose, tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
    await q.query('delete from user_tokens where user_id = $1 and purpose = $2', [userId, purpose]);
    await q.query('insert into user_tokens (token_hash, user_id, purpose, expires_at, created_at) values ($1, $2, $3, $4, $5)', [
      tokenHash,
      userId,
      purpose,
      expiresAt,
      now,
    ]);
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

  /** Revert links do not replace each other: every email change sends its own, to its own old address. */
  async insertRevert(q: Queryable, userId: string, tokenHash: string, restoreEmail: string, expiresAt: Date, now: Date): Promise<void> {
    await q.query(
      `insert into user_tokens (token_hash, user_id, purpose, restore_email, expires_at, created_at)
       values ($1, $2, 'revert_email', $3, $4, $5)`,
      [tokenHash, userId, restoreEmail, expiresAt, now],
    );
  },

  /** Consumes a revert link; null when unknown, used or expired. */
  async consumeRevert(
    q: Queryable,
    tokenHash: string,
    now: Date,
  ): Promise<{ userId: string; restoreEmail: string; issuedAt: Date } | null> {
    const { rows } = await q.query<{ user_id: string; restore_email: string; created_at: Date; expires_at: Date }>(
      "delete from user_tokens where token_hash = $1 and purpose = 'revert_email' returning user_id, restore_email, created_at, expires_at",
      [tokenHash],
    );
    const row = rows[0];
    if (!row || row.expires_at.getTime() <= now.getTime()) return null;
    return { userId: row.user_id, restoreEmail: row.restore_email, issuedAt: row.created_at };
  },

  /** Voids the revert links issued at or after `since`: they undo changes a revert has already undone. */
  async deleteRevertsSince(q: Queryable, userId: string, since: Date): Promise<void> {
    await q.query("delete from user_tokens where user_id = $1 and purpose = 'revert_email' and created_at >= $2", [userId, since]);
  },
};
