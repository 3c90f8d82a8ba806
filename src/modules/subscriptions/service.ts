import type { Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { ServiceDeps } from '../../services.js';
import type { Actor } from '../admins/service.js';
import type { AuditAction } from '../audit/actions.js';
import { auditRepository as audit } from '../audit/repository.js';
import type { AuthUser } from '../auth/access-types.js';
import { notificationsRepository as notifications } from '../notifications/repository.js';
import { fromMinor } from '../plans/money.js';
import { type PlanRow, plansRepository as plans } from '../plans/repository.js';
import { PLAN_NOT_FOUND } from '../plans/service.js';
import { usersRepository as users } from '../users/repository.js';
import type { SeatLimit } from '../users/seats.js';
import { runIdempotent } from './idempotency.js';
import { type ActorName, type Cycle, type SubscriptionRow, subscriptionsRepository as subs } from './repository.js';

/** renewals and expiries run in batches of this many rows per statement (bench/renewals.ts: larger batches
 * amortise the join over the table; each batch holds its row locks for about a quarter of a second) */
const BATCH = 5000;
/** batches run on this many connections at once: the database does the work, on every core it has */
const LANES = 2;

export const NO_SUBSCRIPTION = 'You have no active subscription';

/** Who acts: the user themself (or a child with manage_billing), or an admin on their behalf. */
export type SubscriptionActor = { kind: 'user'; id: string } | { kind: 'admin'; admin: Actor };

export interface SubscribeInput {
  planId: string;
  billingCycle?: Cycle;
}

function actorName(a: SubscriptionActor): ActorName {
  return a.kind === 'user' ? `user:${a.id}` : `admin:${a.admin.id}`;
}

function priceFor(plan: PlanRow, cycle: Cycle) {
  const amount = cycle === 'monthly' ? plan.monthly_amount : plan.yearly_amount;
  const currency = cycle === 'monthly' ? plan.monthly_currency : plan.yearly_currency;
  return amount === null ? null : { amount: fromMinor(amount)!, currency: currency! };
}

export function createSubscriptionsService(deps: ServiceDeps) {
  const { db, clock, config } = deps;

  /** The plan a subscription may move to: exists, not deleted, active, priced for the cycle. */
  async function availablePlan(q: Queryable, planId: string, cycle: Cycle): Promise<PlanRow> {
    const plan = await plans.findById(q, planId);
    if (!plan) throw new AppError('NOT_FOUND', PLAN_NOT_FOUND);
    if (plan.status !== 'active') {
      throw new AppError('VALIDATION_FAILED', 'This plan is not open for subscriptions', [
        { field: 'planId', message: 'is not an active plan' },
      ]);
    }
    if (!priceFor(plan, cycle)) {
      throw new AppError('VALIDATION_FAILED', `This plan has no ${cycle} price`, [
        { field: 'billingCycle', message: `the plan has no ${cycle} price` },
      ]);
    }
    return plan;
  }

  async function present(q: Queryable, s: SubscriptionRow) {
    const [plan, events] = await Promise.all([plans.findAnyById(q, s.plan_id), subs.events(q, s.id)]);
    return {
      id: s.id,
      userId: s.user_id,
      planId: s.plan_id,
      plan: plan ? { id: plan.id, name: plan.name, displayName: plan.display_name, category: plan.category } : null,
      billingCycle: s.billing_cycle,
      price: plan ? priceFor(plan, s.billing_cycle) : null,
      status: s.status,
      currentPeriodStart: s.current_period_start.toISOString(),
      currentPeriodEnd: s.current_period_end.toISOString(),
      cancelAtPeriodEnd: s.status === 'canceled',
      cancelReason: s.cancel_reason,
      canceledAt: s.canceled_at?.toISOString() ?? null,
      endedAt: s.ended_at?.toISOString() ?? null,
      createdAt: s.created_at.toISOString(),
      updatedAt: s.updated_at.toISOString(),
      history: events.map((e) => ({ type: e.type, actor: e.actor, detail: e.detail, at: e.created_at.toISOString() })),
    };
  }

  async function recordAudit(
    q: Queryable,
    actor: SubscriptionActor,
    action: AuditAction,
    s: SubscriptionRow,
    detail: Record<string, unknown>,
  ) {
    if (actor.kind !== 'admin') return;
    await audit.record(
      q,
      {
        admin: actor.admin,
        action,
        targetType: 'user',
        targetId: s.user_id,
        ip: actor.admin.ip,
        detail: { subscriptionId: s.id, ...detail },
      },
      clock.now(),
    );
  }

  async function mustBeParent(userId: string): Promise<void> {
    const user = await users.findById(db, userId);
    if (!user) throw new AppError('NOT_FOUND', 'User not found');
    if (user.role !== 'parent') {
      throw new AppError('VALIDATION_FAILED', 'Subscriptions belong to parent accounts; this user is a child user', [
        { field: 'userId', message: 'is a child user' },
      ]);
    }
  }

  const service = {
    /**
     * The billing account a user acts on: a parent's own; a child's parent's, and only with
     * manage_billing (contract §1: children belong to exactly one parent).
     */
    billingAccount(user: AuthUser): string {
      if (user.role === 'parent') return user.id;
      if (!user.permissions.includes('manage_billing'))
        throw new AppError('FORBIDDEN', 'Managing the subscription needs the manage_billing permission');
      return user.parentId!;
    },

    async assertParent(userId: string) {
      await mustBeParent(userId);
    },

    async current(accountId: string) {
      const s = await subs.findLive(db, accountId, clock.now());
      if (!s) throw new AppError('NOT_FOUND', NO_SUBSCRIPTION);
      return present(db, s);
    },

    async subscribe(accountId: string, input: SubscribeInput, actor: SubscriptionActor, idempotencyKey?: string) {
      const cycle = input.billingCycle ?? 'monthly';
      const scope = idempotencyKey
        ? { principal: actorName(actor), key: idempotencyKey, request: { op: 'subscribe', accountId, planId: input.planId, cycle } }
        : null;
      const { result } = await runIdempotent(db, scope, clock.now(), async (tx) => {
        const plan = await availablePlan(tx, input.planId, cycle);
        const now = clock.now();
        await subs.expireEnded(tx, accountId, now);
        const s = await subs.insert(tx, accountId, plan.id, cycle, now);
        await subs.addEvent(tx, s.id, 'subscribed', actorName(actor), { planId: plan.id, plan: plan.name, billingCycle: cycle }, now);
        await notifications.create(
          tx,
          accountId,
          'subscription.subscribed',
          `You are now subscribed to the ${plan.display_name} plan (${cycle})`,
          now,
        );
        await recordAudit(tx, actor, 'subscription.subscribe', s, { planId: plan.id, billingCycle: cycle });
        return present(tx, s);
      });
      return result;
    },

    /** Change plan and/or cycle; a cancelled (not yet ended) subscription is resumed by a change. */
    async change(accountId: string, input: { planId?: string; billingCycle?: Cycle }, actor: SubscriptionActor, idempotencyKey?: string) {
      if (!input.planId && !input.billingCycle) {
        throw new AppError('VALIDATION_FAILED', 'Give planId and/or billingCycle', [
          { field: 'planId', message: 'or billingCycle is required' },
        ]);
      }
      const scope = idempotencyKey
        ? { principal: actorName(actor), key: idempotencyKey, request: { op: 'change', accountId, ...input } }
        : null;
      const { result } = await runIdempotent(db, scope, clock.now(), async (tx) => {
        await subs.expireEnded(tx, accountId, clock.now());
        const s = await subs.lockLive(tx, accountId);
        if (!s) throw new AppError('NOT_FOUND', NO_SUBSCRIPTION);
        const cycle = input.billingCycle ?? s.billing_cycle;
        const planId = input.planId ?? s.plan_id;
        const planChanged = planId !== s.plan_id;
        const cycleChanged = cycle !== s.billing_cycle;
        const resumed = s.status === 'canceled';
        if (!planChanged && !cycleChanged && !resumed) return present(tx, s);
        // resuming alone keeps the plan it runs on, even one since withdrawn (existing subscriptions keep running)
        const plan = planChanged || cycleChanged ? await availablePlan(tx, planId, cycle) : (await plans.findAnyById(tx, planId))!;
        const now = clock.now();
        const updated = await subs.change(tx, s.id, plan.id, cycle, cycleChanged, now);
        const who = actorName(actor);
        if (planChanged) await subs.addEvent(tx, s.id, 'plan_changed', who, { from: s.plan_id, to: plan.id, plan: plan.name }, now);
        if (cycleChanged) await subs.addEvent(tx, s.id, 'cycle_changed', who, { from: s.billing_cycle, to: cycle }, now);
        if (resumed) await subs.addEvent(tx, s.id, 'resumed', who, {}, now);
        await notifications.create(
          tx,
          accountId,
          'subscription.changed',
          `Your subscription now runs on the ${plan.display_name} plan (${cycle})`,
          now,
        );
        await recordAudit(tx, actor, 'subscription.update', updated, { planId: plan.id, billingCycle: cycle });
        return present(tx, updated);
      });
      return result;
    },

    async cancel(accountId: string, input: { reason?: string; immediately?: boolean }, actor: SubscriptionActor) {
      return db.transaction(async (tx) => {
        await subs.expireEnded(tx, accountId, clock.now());
        const s = await subs.lockLive(tx, accountId);
        if (!s) throw new AppError('NOT_FOUND', NO_SUBSCRIPTION);
        const immediately = input.immediately === true;
        if (s.status === 'canceled' && !immediately) throw new AppError('CONFLICT', 'The subscription is already cancelled');
        const now = clock.now();
        const reason = input.reason?.trim() || s.cancel_reason || null;
        const updated = await subs.cancel(tx, s.id, reason, immediately, now);
        await subs.addEvent(tx, s.id, 'cancelled', actorName(actor), { reason, immediately }, now);
        if (immediately) await subs.addEvent(tx, s.id, 'expired', actorName(actor), {}, now);
        await notifications.create(
          tx,
          accountId,
          'subscription.cancelled',
          immediately
            ? 'Your subscription has been cancelled and has ended'
            : `Your subscription has been cancelled; it stays active until ${updated.current_period_end.toISOString().slice(0, 10)}`,
          now,
        );
        await recordAudit(tx, actor, 'subscription.cancel', updated, { reason, immediately });
        return present(tx, updated);
      });
    },

    /**
     * The worker's pass: renew what is due, expire what was cancelled. Exactly once per due row,
     * across instances and across the parallel lanes here (SKIP LOCKED hands each batch to one lane).
     */
    async runDue(): Promise<{ renewed: number; expired: number }> {
      const drain = async (step: (q: Queryable, now: Date, batch: number) => Promise<number>) => {
        let total = 0;
        const lane = async () => {
          for (;;) {
            const n = await step(db, clock.now(), BATCH);
            total += n;
            if (n < BATCH) return;
          }
        };
        await Promise.all(Array.from({ length: LANES }, lane));
        return total;
      };
      const renewed = await drain(subs.renewDue);
      const expired = await drain(subs.expireDue);
      return { renewed, expired };
    },

    /** The seat limit of a parent: its live plan's teamMembers, else the default allowance. */
    seatLimit: (async (q, parentId) => {
      const live = await subs.liveFeatures(q, parentId, clock.now());
      const planLimit = live?.features?.teamMembers;
      return typeof planLimit === 'number' ? planLimit : config.defaultTeamMembers;
    }) satisfies SeatLimit,

    /** Effective limits of the caller's billing account, and the usage the service knows. */
    async entitlements(user: AuthUser) {
      const accountId = user.role === 'parent' ? user.id : user.parentId!;
      const [live, used] = await Promise.all([subs.liveFeatures(db, accountId, clock.now()), users.countChildren(db, accountId)]);
      const plan = live ? await plans.findAnyById(db, live.plan_id) : null;
      const features = (live?.features ?? { teamMembers: config.defaultTeamMembers }) as Record<string, unknown>;
      const teamMembers = typeof features.teamMembers === 'number' ? features.teamMembers : config.defaultTeamMembers;
      return {
        accountId,
        source: live ? ('plan' as const) : ('default' as const),
        plan: plan ? { id: plan.id, name: plan.name, displayName: plan.display_name } : null,
        limits: { ...features, teamMembers },
        usage: { teamMembers: used },
        remaining: { teamMembers: Math.max(0, teamMembers - used) },
      };
    },
  };
  return service;
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
