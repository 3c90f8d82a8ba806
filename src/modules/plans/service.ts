import type { Clock } from '../../clock.js';
import type { ChangeFeed } from '../../db/changes.js';
import { exactReads } from '../../db/exact-reads.js';
import type { Db, Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../admins/service.js';
import type { AuditAction } from '../audit/actions.js';
import type { AuditService } from '../audit/service.js';
import type { EventSink } from '../webhooks/events.js';
import { fromMinor, toMinor } from './money.js';
import { type PlanRow, type PlanValues, plansRepository as plans } from './repository.js';
import type { Features, PlanInput, PublicPlan } from './schemas.js';

export const PLAN_NOT_FOUND = 'Subscription plan not found';

/** The words for this module's unique constraints (the error handler answers 409 with them). */
export const PLANS_CONFLICTS = { plans_name_key: 'A plan with this name already exists' } as const;

export function presentPlan(p: PlanRow): PublicPlan {
  return {
    id: p.id,
    name: p.name,
    displayName: p.display_name,
    price: {
      monthly: p.monthly_amount === null ? null : { amount: fromMinor(p.monthly_amount)!, currency: p.monthly_currency! },
      yearly:
        p.yearly_amount === null
          ? null
          : { amount: fromMinor(p.yearly_amount)!, currency: p.yearly_currency!, savings: fromMinor(p.yearly_savings) },
    },
    features: p.features,
    customFeatures: p.custom_features,
    recommended: p.recommended,
    category: p.category,
    status: p.status,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  };
}

export function presentSimplePlan(p: PlanRow) {
  return { id: p.id, name: p.name, price: fromMinor(p.monthly_amount) };
}

export type SimplePlan = ReturnType<typeof presentSimplePlan>;

function toValues(input: PlanInput): PlanValues {
  const { monthly, yearly } = input.price;
  if (!monthly && !yearly) {
    throw new AppError('VALIDATION_FAILED', 'price needs a monthly or a yearly price', [
      { field: 'price', message: 'needs monthly or yearly' },
    ]);
  }
  return {
    name: input.name.trim(),
    displayName: input.displayName?.trim() || input.name.trim(),
    monthlyAmount: monthly ? toMinor(monthly.amount, 'price.monthly.amount') : null,
    monthlyCurrency: monthly ? monthly.currency.toUpperCase() : null,
    yearlyAmount: yearly ? toMinor(yearly.amount, 'price.yearly.amount') : null,
    yearlyCurrency: yearly ? yearly.currency.toUpperCase() : null,
    yearlySavings: yearly?.savings !== undefined ? toMinor(yearly.savings, 'price.yearly.savings') : null,
    features: input.features ?? {},
    customFeatures: input.customFeatures ?? [],
    recommended: input.recommended ?? false,
    category: input.category?.trim() || 'general',
    status: input.status ?? 'active',
  };
}

function rowToValues(p: PlanRow): PlanValues {
  return {
    name: p.name,
    displayName: p.display_name,
    monthlyAmount: p.monthly_amount,
    monthlyCurrency: p.monthly_currency,
    yearlyAmount: p.yearly_amount,
    yearlyCurrency: p.yearly_currency,
    yearlySavings: p.yearly_savings,
    features: p.features,
    customFeatures: p.custom_features,
    recommended: p.recommended,
    category: p.category,
    status: p.status,
  };
}

/**
 * The plans module owns `plans`: the catalogue, prices in minor units, features. Admins write it
 * (each write audited in its transaction); subscriptions read a plan through `find`.
 */
export function createPlansService(deps: { db: Db; clock: Clock; audit: AuditService; changes: ChangeFeed; events: EventSink }) {
  const { db, clock, audit, changes } = deps;

  /**
   * The active catalogue, read on every pricing page, kept in memory while that is exact: any
   * committed change of plans on any instance is announced on the change feed (migration 0009),
   * this instance's own writes drop it at commit, and nothing is kept while the feed is down.
   * The value is a new object whenever it changes, so the route can keep its JSON and ETag by it.
   */
  type Catalogue = { plans: PublicPlan[]; simple: SimplePlan[] };
  let catalogue: Catalogue | undefined;
  const reads = exactReads(changes);
  changes.on('plans', () => {
    reads.invalidate();
    catalogue = undefined;
  });

  const activeCatalogue = () =>
    reads.read(
      () => catalogue,
      async (): Promise<Catalogue> => {
        const rows = await plans.list(db, { status: 'active' });
        return { plans: rows.map(presentPlan), simple: rows.map(presentSimplePlan) };
      },
      (value) => {
        catalogue = value;
      },
    );

  /** Every plan write: in one transaction with its audit row. */
  async function write(
    actor: Actor,
    action: AuditAction,
    planId: string | null,
    fn: (tx: Parameters<typeof plans.insert>[0]) => Promise<PlanRow | null>,
    detail: Record<string, unknown> = {},
  ) {
    const row = await db.transaction(async (tx) => {
      reads.changed(tx, () => {
        catalogue = undefined;
      });
      const result = await fn(tx);
      if (!result) throw new AppError('NOT_FOUND', PLAN_NOT_FOUND);
      await audit.record(tx, {
        admin: actor,
        action,
        targetType: 'plan',
        targetId: result.id ?? planId,
        ip: actor.ip,
        detail: { name: result.name, ...detail },
      });
      const event = action === 'plan.create' ? 'plan.created' : action === 'plan.delete' ? 'plan.deleted' : 'plan.updated';
      await deps.events.emit(tx, event, presentPlan(result));
      return result;
    });
    return presentPlan(row);
  }

  /** Read-modify-write under the plan's row lock. */
  function modify(
    actor: Actor,
    action: AuditAction,
    id: string,
    change: (current: PlanValues) => PlanValues,
    detail: Record<string, unknown> = {},
  ) {
    return write(
      actor,
      action,
      id,
      async (tx) => {
        const current = await plans.findForUpdate(tx, id);
        return current ? plans.replace(tx, id, change(rowToValues(current)), clock.now()) : null;
      },
      detail,
    );
  }

  return {
    /** A plan by id for another module, in its transaction: deleted ones only with `includeDeleted` (a subscription keeps its plan). */
    find: (q: Queryable, id: string, options: { includeDeleted?: boolean } = {}): Promise<PlanRow | null> =>
      options.includeDeleted ? plans.findAnyById(q, id) : plans.findById(q, id),

    create: (actor: Actor, input: PlanInput) => write(actor, 'plan.create', null, (tx) => plans.insert(tx, toValues(input), clock.now())),

    /** A full update; a status left out keeps the stored one (status has its own endpoint). */
    replace: (actor: Actor, id: string, input: PlanInput) =>
      modify(actor, 'plan.update', id, (current) => ({ ...toValues(input), status: input.status ?? current.status })),

    async get(id: string): Promise<PublicPlan> {
      const plan = await plans.findById(db, id);
      if (!plan) throw new AppError('NOT_FOUND', PLAN_NOT_FOUND);
      return presentPlan(plan);
    },

    async list(filter: { category?: string; status?: 'active' | 'inactive'; name?: string }): Promise<PublicPlan[]> {
      return (await plans.list(db, filter)).map(presentPlan);
    },

    setCustomFeatures: (actor: Actor, id: string, customFeatures: string[]) =>
      modify(actor, 'plan.custom_features', id, (v) => ({ ...v, customFeatures }), { customFeatures }),

    /** `features` keys given replace the stored ones, keys not given stay; `customFeatures` replaces the list. */
    mergeFeatures: (actor: Actor, id: string, change: { features?: Features; customFeatures?: string[] }) =>
      modify(
        actor,
        'plan.features',
        id,
        (v) => ({
          ...v,
          features: { ...v.features, ...(change.features ?? {}) },
          customFeatures: change.customFeatures ?? v.customFeatures,
        }),
        change,
      ),

    setStatus: (actor: Actor, id: string, status: 'active' | 'inactive') =>
      write(actor, 'plan.status', id, (tx) => plans.setStatus(tx, id, status, clock.now()), { status }),

    softDelete: (actor: Actor, id: string) => write(actor, 'plan.delete', id, (tx) => plans.softDelete(tx, id, clock.now())),

    /** HNG's simple view: `{name, price}` with price the monthly amount (USD when created here). */
    createSimple: (actor: Actor, input: { name: string; price: number }) =>
      write(actor, 'plan.create', null, (tx) =>
        plans.insert(tx, toValues({ name: input.name, price: { monthly: { amount: input.price, currency: 'USD' } } }), clock.now()),
      ),

    updateSimple: (actor: Actor, id: string, input: { name?: string; price?: number }) => {
      if (input.name === undefined && input.price === undefined) {
        throw new AppError('VALIDATION_FAILED', 'Enter name or price to update plan.', [{ field: 'body', message: 'give name or price' }]);
      }
      return modify(
        actor,
        'plan.update',
        id,
        (v) => ({
          ...v,
          name: input.name?.trim() ?? v.name,
          monthlyAmount: input.price !== undefined ? toMinor(input.price, 'price') : v.monthlyAmount,
          monthlyCurrency: input.price !== undefined ? (v.monthlyCurrency ?? 'USD') : v.monthlyCurrency,
        }),
        input,
      );
    },

    /** The active plans, for the public pricing page (the same array while nothing changed). */
    publicCatalogue: async (): Promise<PublicPlan[]> => (await activeCatalogue()).plans,

    /** HNG's simple view of the active plans (the same array while nothing changed). */
    listSimple: async () => (await activeCatalogue()).simple,

    /**
     * The catalogue when memory holds it exactly, else undefined (then ask `publicCatalogue` or
     * `listSimple`): the pricing page's hot path answers without a promise (DECISIONS "The request
     * pipeline").
     */
    cachedCatalogue: () => reads.peek(() => catalogue),
  };
}

export type PlansService = ReturnType<typeof createPlansService>;
