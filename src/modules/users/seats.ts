import type { Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import { usersRepository } from './repository.js';

/**
 * The one place that decides whether a parent may add another child user.
 * It locks the parent row and counts inside the caller's transaction, so two concurrent
 * creations cannot both take the last seat. `limitFor` is the subscriptions service's answer:
 * the live plan's `teamMembers`, or DEFAULT_TEAM_MEMBERS (null would mean unlimited).
 */
export type SeatLimit = (q: Queryable, parentId: string) => Promise<number | null>;

export async function reserveSeat(q: Queryable, parentId: string, limitFor: SeatLimit): Promise<{ used: number; limit: number | null }> {
  const used = await usersRepository.lockAndCountChildren(q, parentId);
  const limit = await limitFor(q, parentId);
  if (limit !== null && used >= limit) {
    throw new AppError(
      'PLAN_LIMIT_REACHED',
      `Your plan allows ${limit} team member${limit === 1 ? '' : 's'}; remove one or upgrade to add more`,
    );
  }
  return { used, limit };
}
