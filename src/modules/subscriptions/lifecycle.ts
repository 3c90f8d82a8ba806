import type { Clock } from '../../clock.js';
import type { Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../admins/service.js';
import type { AuditAction } from '../audit/actions.js';
import type { AuditService } from '../audit/service.js';
import type { NotificationKind } from '../notifications/kinds.js';
import type { NotificationsService } from '../notifications/service.js';
import type { PlanRow } from '../plans/repository.js';
import type { EventSink } from '../webhooks/events.js';
import { type ActorName, type Cycle, type SubscriptionRow, subscriptionsRepository as subs } from './repository.js';

/** Who acts: the user themself (or a child with manage_billing), or an admin on their behalf. */
export type SubscriptionActor = { kind: 'user'; id: string } | { kind: 'admin'; admin: Actor };

export function actorName(a: SubscriptionActor): ActorName {
  return a.kind === 'user' ? `user:${a.id}` : `admin:${a.admin.id}`;
}

export const ALREADY_SUBSCRIBED = 'There is already a live subscription; change it with the update endpoint';
export const ALREADY_CANCELLED = 'The subscription is already cancelled';

/** The words for this module's unique constraints: a concurrent twin of subscribe meets the partial unique index. */
export const SUBSCRIPTIONS_CONFLICTS = { subscriptions_one_live_key: ALREADY_SUBSCRIBED } as const;

/** What a command tells the account (one notification) and the audit log (one row, when an admin acted). */
export interface Announcement {
  kind: NotificationKind;
  message: string;
  action: AuditAction;
  detail: Record<string, unknown>;
}

/**
 * The subscription lifecycle, one function per transition. Each checks the state it starts from
 * and writes the row and its event, in the caller's transaction:
 *
 *   (none) ─subscribe─▶ active ─cancelAtPeriodEnd─▶ canceled ─expire (period ended)─▶ expired
 *   active ─renew (period ended)─▶ active           canceled ─resume─▶ active
 *   active|canceled ─changePlan / changeCycle─▶ same state       active|canceled ─endNow─▶ expired
 *
 * A command (service.ts) runs one or more transitions in one transaction, then `announce`s the
 * result once: a change of plan and cycle in one request is one notification and one audit row,
 * as it was one decision of the user's. The worker's renew and expire are set-based and announce
 * a whole batch in one statement.
 */
export function createLifecycle(deps: {
  clock: Clock;
  notifications: NotificationsService;
  audit: AuditService;
  /** webhook events, in the change's transaction */
  events: EventSink;
  /** subscriptions as the API presents them (without their history), for a batch's events */
  presentMany: (q: Queryable, rows: SubscriptionRow[]) => Promise<unknown[]>;
}) {
  const { clock, notifications, audit } = deps;
  const LIVE = new Set(['active', 'canceled']);

  function mustBeLive(s: SubscriptionRow): void {
    if (!LIVE.has(s.status)) throw new AppError('CONFLICT', `The subscription has ${s.status}`);
  }

  return {
    /** From no live subscription (an ended one is expired first). The unique index guards a concurrent twin. */
    async subscribe(tx: Queryable, accountId: string, plan: PlanRow, cycle: Cycle, actor: SubscriptionActor): Promise<SubscriptionRow> {
      if (await subs.lockLive(tx, accountId)) throw new AppError('CONFLICT', ALREADY_SUBSCRIBED);
      const now = clock.now();
      const s = await subs.insert(tx, accountId, plan.id, cycle, now);
      await subs.addEvent(tx, s.id, 'subscribed', actorName(actor), { planId: plan.id, plan: plan.name, billingCycle: cycle }, now);
      return s;
    },

    /** From a live subscription, to another available plan; the period runs on. */
    async changePlan(tx: Queryable, s: SubscriptionRow, plan: PlanRow, actor: SubscriptionActor): Promise<SubscriptionRow> {
      mustBeLive(s);
      if (plan.id === s.plan_id) return s;
      const now = clock.now();
      const updated = await subs.setPlan(tx, s.id, plan.id, now);
      await subs.addEvent(tx, s.id, 'plan_changed', actorName(actor), { from: s.plan_id, to: plan.id, plan: plan.name }, now);
      return updated;
    },

    /** From a live subscription, to the other cycle: a new period starts now. */
    async changeCycle(tx: Queryable, s: SubscriptionRow, cycle: Cycle, actor: SubscriptionActor): Promise<SubscriptionRow> {
      mustBeLive(s);
      if (cycle === s.billing_cycle) return s;
      const now = clock.now();
      const updated = await subs.restartPeriod(tx, s.id, cycle, now);
      await subs.addEvent(tx, s.id, 'cycle_changed', actorName(actor), { from: s.billing_cycle, to: cycle }, now);
      return updated;
    },

    /** From cancelled (period not ended) back to active. */
    async resume(tx: Queryable, s: SubscriptionRow, actor: SubscriptionActor): Promise<SubscriptionRow> {
      if (s.status !== 'canceled') return s;
      const now = clock.now();
      const updated = await subs.resume(tx, s.id, now);
      await subs.addEvent(tx, s.id, 'resumed', actorName(actor), {}, now);
      return updated;
    },

    /** From active: usable until the period ends. A cancelled one cannot be cancelled again. */
    async cancelAtPeriodEnd(tx: Queryable, s: SubscriptionRow, reason: string | null, actor: SubscriptionActor): Promise<SubscriptionRow> {
      if (s.status === 'canceled') throw new AppError('CONFLICT', ALREADY_CANCELLED);
      mustBeLive(s);
      const now = clock.now();
      const updated = await subs.cancelAtPeriodEnd(tx, s.id, reason, now);
      await subs.addEvent(tx, s.id, 'cancelled', actorName(actor), { reason, immediately: false }, now);
      return updated;
    },

    /** From active or cancelled: ended now. */
    async endNow(tx: Queryable, s: SubscriptionRow, reason: string | null, actor: SubscriptionActor): Promise<SubscriptionRow> {
      mustBeLive(s);
      const now = clock.now();
      const updated = await subs.endNow(tx, s.id, reason, now);
      await subs.addEvent(tx, s.id, 'cancelled', actorName(actor), { reason, immediately: true }, now);
      await subs.addEvent(tx, s.id, 'expired', actorName(actor), {}, now);
      return updated;
    },

    /** The worker: one batch of due active subscriptions moved to the period containing now; each account told. */
    async renew(tx: Queryable, batch: number): Promise<number> {
      const now = clock.now();
      const accounts = await subs.renewDue(tx, now, batch);
      await notifications.notifyMany(tx, accounts, 'subscription.renewed', 'Your subscription has been renewed');
      await deps.events.emitMany(tx, 'subscription.renewed', async () => deps.presentMany(tx, await subs.changedAt(tx, accounts, now)));
      return accounts.length;
    },

    /**
     * From cancelled whose period has ended, to expired: a batch (the worker), or one account's
     * (`accountId`: every command runs it first, so an ended subscription is never changed nor blocks a new one).
     */
    async expire(tx: Queryable, batch: number, accountId: string | null = null): Promise<number> {
      const now = clock.now();
      const accounts = await subs.expireEnded(tx, now, batch, accountId);
      await notifications.notifyMany(tx, accounts, 'subscription.expired', 'Your subscription has expired');
      await deps.events.emitMany(tx, 'subscription.expired', async () => deps.presentMany(tx, await subs.changedAt(tx, accounts, now)));
      return accounts.length;
    },

    /** One notification for the account, and one audit row when an admin acted. */
    async announce(tx: Queryable, actor: SubscriptionActor, s: SubscriptionRow, a: Announcement): Promise<void> {
      await notifications.notify(tx, s.user_id, a.kind, a.message);
      if (actor.kind !== 'admin') return;
      await audit.record(tx, {
        admin: actor.admin,
        action: a.action,
        targetType: 'user',
        targetId: s.user_id,
        ip: actor.admin.ip,
        detail: { subscriptionId: s.id, ...a.detail },
      });
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
