/**
 * What the subscriptions-*.test.ts files share: the paths, the clock constants and the helpers
 * that subscribe, update and count rows through the file's Harness.
 */
import { countRows } from './fixtures.js';
import type { Harness, Response, TestUser } from './harness.js';

export const UNKNOWN_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const SECOND = 1000;
export const DAY = 24 * 60 * 60 * SECOND;

export const GET_SUB = '/api/v1/users/subscription';
export const SUBSCRIBE = '/api/v1/users/subscribe';
export const UPDATE = '/api/v1/users/subscription/update';
export const CANCEL = '/api/v1/users/cancel-subscription';
export const ENTITLEMENTS = '/api/v1/users/entitlements';
export const NOTIFICATIONS = '/api/notifications';
export const CHILDREN = '/api/users/child-users';

export const START = '2026-03-10T09:30:00.000Z';

export function historyTypes(sub: { history: { type: string }[] }): string[] {
  return sub.history.map((e) => e.type);
}

export function statuses(responses: Response[]): number[] {
  return responses.map((r) => r.statusCode).sort((a, b) => a - b);
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function subscriptionHelpers(harness: () => Harness) {
  return {
    subscribe(user: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
      return harness().request('POST', SUBSCRIBE, { body, token: user.token, headers });
    },

    update(user: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
      return harness().request('PUT', UPDATE, { body, token: user.token, headers });
    },

    liveRows(userId: string): Promise<number> {
      return countRows(harness(), 'subscriptions', `user_id = $1 and status in ('active', 'canceled')`, [userId]);
    },

    allRows(userId: string): Promise<number> {
      return countRows(harness(), 'subscriptions', 'user_id = $1', [userId]);
    },

    eventCount(userId: string, type: string): Promise<number> {
      return countRows(
        harness(),
        'subscription_events e join subscriptions s on s.id = e.subscription_id',
        's.user_id = $1 and e.type = $2',
        [userId, type],
      );
    },
  };
}
