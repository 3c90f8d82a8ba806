import type { Queryable } from '../../db/index.js';

interface OtpRow {
  otp_hash: string;
  attempts: number;
  expires_at: Date;
}

/** The only SQL for password-reset OTPs: one row per user, replaced by each new request. */
export const otpRepository = {
  async replace(q: Queryable, userId: string, otpHash: string, expiresAt: Date, now: Date): Promise<void> {
    await q.query(
      `insert into password_reset_otps (user_id, otp_hash, attempts, expires_at, created_at) values ($1, $2, 0, $3, $4)
       on conflict (user_id) do update set otp_hash = excluded.otp_hash, attempts = 0, expires_at = excluded.expires_at, created_at = excluded.created_at`,
      [userId, otpHash, expiresAt, now],
    );
  },

  /** Row-locked, so two concurrent guesses are counted one after the other. */
  async lock(q: Queryable, userId: string): Promise<OtpRow | null> {
    const { rows } = await q.query<OtpRow>('select otp_hash, attempts, expires_at from password_reset_otps where user_id = $1 for update', [
      userId,
    ]);
    return rows[0] ?? null;
  },

  /** A wrong guess; the last allowed one burns the OTP. */
  async countWrongTry(q: Queryable, userId: string, maxAttempts: number): Promise<void> {
    await q.query('update password_reset_otps set attempts = attempts + 1 where user_id = $1', [userId]);
    await q.query('delete from password_reset_otps where user_id = $1 and attempts >= $2', [userId, maxAttempts]);
  },

  async delete(q: Queryable, userId: string): Promise<void> {
    await q.query('delete from password_reset_otps where user_id = $1', [userId]);
  },
};
