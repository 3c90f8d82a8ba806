/**
 * Every kind of notification the service writes: the one list code and SQL both use (the renewal
 * and expiry statements take theirs as parameters), and what `kind` in GET /api/notifications can be.
 */
export const NOTIFICATION_KINDS = [
  'password.changed',
  'subscription.subscribed',
  'subscription.changed',
  'subscription.cancelled',
  'subscription.renewed',
  'subscription.expired',
  'organisation.member_added',
  'organisation.member_removed',
  'organisation.deleted',
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
