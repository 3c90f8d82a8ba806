import type { Queryable } from '../../db/index.js';

/**
 * How many reset codes an account may be sent, and how many wrong guesses it may make, across
 * every code it is sent (a new code must not bring a fresh set of guesses).
 */
export interface ResetBudgetPolicy {
  sends: { max: number; windowMs: number };
  wrongGuesses: { max: number; windowMs: number };
}

/** The only SQL for password_reset_budget; each statement runs in the caller's transaction. */
export function resetBudgetRepository(policy: ResetBudgetPolicy) {
  const sendWindow = policy.sends.windowMs / 1000;
  const guessWindow = policy.wrongGuesses.windowMs / 1000;
  // true while the window that started at `column` is still open at $2
  const open = (column: string, secs: number) => `b.${column} > $2::timestamptz - make_interval(secs => ${secs})`;

  return {
    /**
     * Takes one send from the budget; false (and nothing taken) when the hourly sends are used
     * up or the guesses are: a code that could not be tried is not worth an email.
     */
    async takeSend(q: Queryable, userId: string, now: Date): Promise<boolean> {
      const { rows } = await q.query(
        `insert into password_reset_budget as b (user_id, sent, sent_window_start) values ($1, 1, $2)
         on conflict (user_id) do update set
           sent = case when ${open('sent_window_start', sendWindow)} then b.sent + 1 else 1 end,
           sent_window_start = case when ${open('sent_window_start', sendWindow)} then b.sent_window_start else $2 end
         where not (${open('sent_window_start', sendWindow)} and b.sent >= $3)
           and not (${open('wrong_window_start', guessWindow)} and b.wrong >= $4)
         returning user_id`,
        [userId, now, policy.sends.max, policy.wrongGuesses.max],
      );
      return rows.length === 1;
    },

    /** Row-locked with the OTP, so concurrent guesses are counted one after the other. */
    async guessesLeft(q: Queryable, userId: string, now: Date): Promise<boolean> {
      const { rows } = await q.query(
        `select 1 from password_reset_budget b where b.user_id = $1 and ${open('wrong_window_start', guessWindow)} and b.wrong >= $3 for update`,
        [userId, now, policy.wrongGuesses.max],
      );
      return rows.length === 0;
    },

    async countWrongGuess(q: Queryable, userId: string, now: Date): Promise<void> {
      await q.query(
        `insert into password_reset_budget as b (user_id, wrong, wrong_window_start) values ($1, 1, $2)
         on conflict (user_id) do update set
           wrong = case when ${open('wrong_window_start', guessWindow)} then b.wrong + 1 else 1 end,
           wrong_window_start = case when ${open('wrong_window_start', guessWindow)} then b.wrong_window_start else $2 end`,
        [userId, now],
      );
    },

    /** The right code: the guesses start afresh (the hourly sends do not). */
    async clearGuesses(q: Queryable, userId: string): Promise<void> {
      await q.query('update password_reset_budget set wrong = 0, wrong_window_start = null where user_id = $1', [userId]);
    },
  };
}
