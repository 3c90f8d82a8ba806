import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Queryable, Tx } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../admins/service.js';
import type { AuditService } from '../audit/service.js';
import type { AuthUser } from '../auth/access-types.js';
import type { NotificationsService } from '../notifications/service.js';
import type { PlanRow } from '../plans/repository.js';
import { PLAN_NOT_FOUND, type PlansService } from '../plans/service.js';
import type { Accounts } from '../users/accounts.js';
import type { SeatLimit } from '../users/seats.js';
import type { EventSink } from '../webhooks/events.js';
import { runIdempotent } from './idempotency.js';
import { actorName, createLifecycle, type SubscriptionActor } from './lifecycle.js';
import { presentWith, priceFor } from './present.js';
import { type Cycle, type SubscriptionRow, subscriptionsRepository as subs } from './repository.js';

/** renewals and expiries run in batches of this many rows per statement (bench/renewals.ts: larger batches
 * amortise the join over the table; each batch holds its row locks for about a quarter of a second) */
const BATCH = 5000;
/** batches run on this many connections at once: the database does the work, on every core it has */
const LANES = 2;

export const NO_SUBSCRIPTION = 'You have no active subscription';

export type { SubscriptionActor } from './lifecycle.js';

/**
 * Whose subscription a request is about: the signed-in user's billing account, or the account an
 * admin names. Resolved inside the command's transaction (the parent-only and manage_billing rules).
 */
export type BillingCaller = { kind: 'user'; user: AuthUser } | { kind: 'admin'; admin: Actor; userId: string };

export interface SubscribeInput {
  planId: string;
  billingCycle?: Cycle;
}

/**
 * The subscriptions module owns `subscriptions`, `subscription_events` and `idempotency_keys`:
 * the commands users and admins send (subscribe, change, cancel), the worker's renewal and expiry
 * passes, and the seat limit a plan gives. The transitions themselves are in lifecycle.ts. Plans
 * come from the plans module, accounts from the users module.
 */
export function createSubscriptionsService(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'defaultTeamMembers'>;
  plans: Pick<PlansService, 'find'>;
  accounts: Pick<Accounts, 'findById' | 'lockExisting' | 'countChildren'>;
  notifications: NotificationsService;
  audit: AuditService;
  /** webhook events, in the change's transaction */
  events: EventSink;
}) {
  const { db, clock, config, plans, accounts, events } = deps;
  const lifecycle = createLifecycle({ ...deps, presentMany: (q, rows) => presentMany(q, rows) });

  /** The plan a subscription may move to: exists, not deleted, active, priced for the cycle. */
  async function availablePlan(q: Queryable, planId: string, cycle: Cycle): Promise<PlanRow> {
    const plan = await plans.find(q, planId);
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

  /** Subscriptions as the API presents them, without their history (a worker batch's webhook events): one read per plan. */
  async function presentMany(q: Queryable, rows: SubscriptionRow[]): Promise<unknown[]> {
    const planOf = new Map<string, Awaited<ReturnType<typeof plans.find>>>();
    for (const id of new Set(rows.map((r) => r.plan_id))) planOf.set(id, await plans.find(q, id, { includeDeleted: true }));
    return rows.map((s) => {
      const { history: _history, ...rest } = presentWith(s, planOf.get(s.plan_id) ?? null, []);
      return rest;
    });
  }

  async function present(q: Queryable, s: SubscriptionRow) {
    const [plan, history] = await Promise.all([plans.find(q, s.plan_id, { includeDeleted: true }), subs.events(q, s.id)]);
    return presentWith(s, plan, history);
  }

  /**
   * The billing account a caller acts on. A user: their own if a parent; a child's parent's, and
   * only with manage_billing (contract §1). An admin: the named user, who must be a parent
   * (locked against deletion until the command commits).
   */
  async function billingAccount(q: Queryable, caller: BillingCaller, lock: boolean): Promise<string> {
    if (caller.kind === 'user') {
      const { user } = caller;
      if (user.role === 'parent') return user.id;
      if (!user.permissions.includes('manage_billing'))
        throw new AppError('FORBIDDEN', 'Managing the subscription needs the manage_billing permission');
      return user.parentId!;
    }
    const user = lock ? await accounts.lockExisting(q, caller.userId) : await accounts.findById(q, caller.userId);
    if (!user) throw new AppError('NOT_FOUND', 'User not found');
    if (user.role !== 'parent') {
      throw new AppError('VALIDATION_FAILED', 'Subscriptions belong to parent accounts; this user is a child user', [
        { field: 'userId', message: 'is a child user' },
      ]);
    }
    return user.id;
  }

  const actorOf = (caller: BillingCaller): SubscriptionActor =>
    caller.kind === 'user' ? { kind: 'user', id: caller.user.id } : { kind: 'admin', admin: caller.admin };

  /** A command: its account resolved, its ended subscription expired, then `fn`, all in one transaction (idempotent with a key). */
  async function command<T>(
    caller: BillingCaller,
    idempotency: { key: string | undefined; request: (accountId: string) => Record<string, unknown> } | null,
    fn: (tx: Tx, accountId: string, actor: SubscriptionActor) => Promise<T>,
  ): Promise<T> {
    const actor = actorOf(caller);
    // the key space is the actor's; the request names the account it is about (checked again in the transaction)
    const named = caller.kind === 'user' ? (caller.user.parentId ?? caller.user.id) : caller.userId;
    const scope = idempotency?.key ? { principal: actorName(actor), key: idempotency.key, request: idempotency.request(named) } : null;
    const { result } = await runIdempotent(db, scope, clock.now(), async (tx) => {
      const accountId = await billingAccount(tx, caller, true);
      await lifecycle.expire(tx, 1, accountId);
      return fn(tx, accountId, actor);
    });
    return result;
  }

  async function mustLockLive(tx: Queryable, accountId: string): Promise<SubscriptionRow> {
    const s = await subs.lockLive(tx, accountId);
    if (!s) throw new AppError('NOT_FOUND', NO_SUBSCRIPTION);
    return s;
  }

  const service = {
    /** The caller's live subscription with its history. */
    async current(caller: BillingCaller) {
      return service.liveOf(await billingAccount(db, caller, false));
    },

    /** The live subscription of an account (the admin's view of a user); NOT_FOUND when there is none. */
    async liveOf(accountId: string) {
      const s = await subs.findLive(db, accountId, clock.now());
      if (!s) throw new AppError('NOT_FOUND', NO_SUBSCRIPTION);
      return present(db, s);
    },

    subscribe(caller: BillingCaller, input: SubscribeInput, idempotencyKey?: string) {
      const cycle = input.billingCycle ?? 'monthly';
      const request = (accountId: string) => ({ op: 'subscribe', accountId, planId: input.planId, cycle });
      return command(caller, { key: idempotencyKey, request }, async (tx, accountId, actor) => {
        const plan = await availablePlan(tx, input.planId, cycle);
        const s = await lifecycle.subscribe(tx, accountId, plan, cycle, actor);
        await lifecycle.announce(tx, actor, s, {
          kind: 'subscription.subscribed',
          message: `You are now subscribed to the ${plan.display_name} plan (${cycle})`,
          action: 'subscription.subscribe',
          detail: { planId: plan.id, billingCycle: cycle },
        });
        const presented = await present(tx, s);
        await events.emit(tx, 'subscription.created', presented);
        return presented;
      });
    },

    /** Change plan and/or cycle; a cancelled (not yet ended) subscription is resumed by a change. */
    change(caller: BillingCaller, input: { planId?: string; billingCycle?: Cycle }, idempotencyKey?: string) {
      if (!input.planId && !input.billingCycle) {
        throw new AppError('VALIDATION_FAILED', 'Give planId and/or billingCycle', [
          { field: 'planId', message: 'or billingCycle is required' },
        ]);
      }
      return command(
        caller,
        { key: idempotencyKey, request: (accountId) => ({ op: 'change', accountId, ...input }) },
        async (tx, accountId, actor) => {
          const s = await mustLockLive(tx, accountId);
          const cycle = input.billingCycle ?? s.billing_cycle;
          const planId = input.planId ?? s.plan_id;
          if (planId === s.plan_id && cycle === s.billing_cycle && s.status !== 'canceled') return present(tx, s);
          // resuming alone keeps the plan it runs on, even one since withdrawn (existing subscriptions keep running)
          const moves = planId !== s.plan_id || cycle !== s.billing_cycle;
          const plan = moves ? await availablePlan(tx, planId, cycle) : (await plans.find(tx, planId, { includeDeleted: true }))!;
          let updated = await lifecycle.changePlan(tx, s, plan, actor);
          updated = await lifecycle.changeCycle(tx, updated, cycle, actor);
          updated = await lifecycle.resume(tx, updated, actor);
          await lifecycle.announce(tx, actor, updated, {
            kind: 'subscription.changed',
            message: `Your subscription now runs on the ${plan.display_name} plan (${cycle})`,
            action: 'subscription.update',
            detail: { planId: plan.id, billingCycle: cycle },
          });
          const presented = await present(tx, updated);
          await events.emit(tx, 'subscription.updated', presented);
          return presented;
        },
      );
    },

    /** At the period's end by default; `immediately` ends it now (also a cancelled one). */
    cancel(caller: BillingCaller, input: { reason?: string; immediately?: boolean }) {
      return command(caller, null, async (tx, accountId, actor) => {
        const s = await mustLockLive(tx, accountId);
        const immediately = input.immediately === true;
        const reason = input.reason?.trim() || s.cancel_reason || null;
        const updated = immediately
          ? await lifecycle.endNow(tx, s, reason, actor)
          : await lifecycle.cancelAtPeriodEnd(tx, s, reason, actor);
        await lifecycle.announce(tx, actor, updated, {
          kind: 'subscription.cancelled',
          message: immediately
            ? 'Your subscription has been cancelled and has ended'
            : `Your subscription has been cancelled; it stays active until ${updated.current_period_end.toISOString().slice(0, 10)}`,
          action: 'subscription.cancel',
          detail: { reason, immediately },
        });
        const presented = await present(tx, updated);
        await events.emit(tx, 'subscription.canceled', presented);
        if (immediately) await events.emit(tx, 'subscription.expired', presented);
        return presented;
      });
    },

    /**
     * The worker's pass: renew what is due, expire what was cancelled. Exactly once per due row,
     * across instances and across the parallel lanes here (SKIP LOCKED hands each batch to one lane).
     */
    async runDue(): Promise<{ renewed: number; expired: number }> {
      const drain = async (step: (tx: Tx, batch: number) => Promise<number>) => {
        let total = 0;
        const lane = async () => {
          for (;;) {
            const n = await db.transaction((tx) => step(tx, BATCH));
            total += n;
            if (n < BATCH) return;
          }
        };
        await Promise.all(Array.from({ length: LANES }, lane));
        return total;
      };
      const renewed = await drain((tx, batch) => lifecycle.renew(tx, batch));
      const expired = await drain((tx, batch) => lifecycle.expire(tx, batch));
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
      const [live, used] = await Promise.all([subs.liveFeatures(db, accountId, clock.now()), accounts.countChildren(db, accountId)]);
      const plan = live ? await plans.find(db, live.plan_id, { includeDeleted: true }) : null;
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
