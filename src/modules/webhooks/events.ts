/** Every event a webhook endpoint may subscribe to (issue 12), and the test event. */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'user.password_changed',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'subscription.renewed',
  'subscription.expired',
  'plan.created',
  'plan.updated',
  'plan.deleted',
  'organisation.created',
  'organisation.updated',
  'organisation.deleted',
  'organisation.member_added',
  'organisation.member_removed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'webhook.test';

/** What another module needs to report a change: in the change's transaction. */
export interface EventSink {
  emit(tx: import('../../db/index.js').Queryable, type: WebhookEventType, data: unknown): Promise<void>;
  /** Many events of one type (a worker's batch): `load` runs only when an endpoint listens to `type`. */
  emitMany(tx: import('../../db/index.js').Queryable, type: WebhookEventType, load: () => Promise<unknown[]>): Promise<void>;
}

/**
 * Retry schedule after a failed attempt (the first is immediate): the example (5 s … 10 h,
 * 10 h: about 28 hours) and two daily retries after it, so a delivery is retried over about three
 * days (75.6 h) before it is failed. Each wait gets ±20% jitter so that retries of one outage
 * spread out.
 */
const HOUR = 3600_000;
export const RETRY_DELAYS_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR, 24 * HOUR, 24 * HOUR];
