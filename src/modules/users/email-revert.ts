import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Tx } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import { generateLinkToken, hashLinkToken } from '../auth/tokens.js';
import type { Outbox } from '../email/outbox.js';
import { emails } from '../email/templates.js';
import type { AccountCache } from './account-cache.js';
import { usersRepository as users } from './repository.js';
import { linkTokensRepository as links } from './tokens-repository.js';

/** Long enough for an owner who reads email weekly to notice a change nobody asked them about. */
export const REVERT_LINK_TTL_DAYS = 7;

export const REVERT_MESSAGES = {
  reverted:
    'Your previous email address has been restored and every session signed out. Reset your password with forgot-password, then log in',
  invalid: 'Invalid or expired token',
  taken: 'This address is now used by another account, so it cannot be restored. Contact support',
} as const;

/**
 * Undoing an email change. Each change emails the address it replaces a link of its own, which
 * restores that address. Redeeming a link undoes its change and every later one (their links are
 * void), while links of earlier changes keep working: whoever held the account before a change can
 * always take it back, even from someone who took it over and then changed the email again.
 */
export function createEmailRevert(deps: { db: Db; clock: Clock; outbox: Outbox; config: Pick<Config, 'appUrl'>; cache: AccountCache }) {
  const { db, clock, outbox, config, cache } = deps;

  return {
    /** In the change's own transaction, so the email exists exactly when the change does. */
    async sendLink(tx: Tx, userId: string, oldEmail: string, newEmail: string): Promise<void> {
      const { token, hash } = generateLinkToken();
      const now = clock.now();
      await links.insertRevert(tx, userId, hash, oldEmail, new Date(now.getTime() + REVERT_LINK_TTL_DAYS * 86_400_000), now);
      const link = `${config.appUrl}/revert-email?token=${encodeURIComponent(token)}`;
      await outbox.enqueue(tx, emails.emailChanged(oldEmail, newEmail, link, REVERT_LINK_TTL_DAYS));
    },

    /**
     * Restores the address, revokes every token and requires a password reset before the next login:
     * whoever made the change may know the password. If another account took the address meanwhile,
     * nothing changes and the link stays usable.
     */
    async revert(token: string): Promise<void> {
      const now = clock.now();
      try {
        await db.transaction(async (tx) => {
          const link = await links.consumeRevert(tx, hashLinkToken(token), now);
          if (!link) throw new AppError('INVALID_TOKEN', REVERT_MESSAGES.invalid, [{ field: 'token', message: 'is invalid or expired' }]);
          await links.deleteRevertsSince(tx, link.userId, link.issuedAt);
          // a deleted account's links went with it (foreign key cascade), so the account is there
          cache.changed(tx, link.userId, { revokes: true });
          await users.restoreEmail(tx, link.userId, link.restoreEmail, now);
        });
      } catch (err) {
        if ((err as { constraint?: string }).constraint === 'users_email_key') throw new AppError('CONFLICT', REVERT_MESSAGES.taken);
        throw err;
      }
    },
  };
}

export type EmailRevert = ReturnType<typeof createEmailRevert>;
