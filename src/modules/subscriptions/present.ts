import { fromMinor } from '../plans/money.js';
import type { PlanRow } from '../plans/repository.js';
import type { Cycle, EventRow, SubscriptionRow } from './repository.js';

export function priceFor(plan: PlanRow, cycle: Cycle) {
  const amount = cycle === 'monthly' ? plan.monthly_amount : plan.yearly_amount;
  const currency = cycle === 'monthly' ? plan.monthly_currency : plan.yearly_currency;
  return amount === null ? null : { amount: fromMinor(amount)!, currency: currency! };
}

/** A subscription as the API presents it: its plan in short, the price of its cycle, its history. */
export function presentWith(s: SubscriptionRow, plan: PlanRow | null, events: EventRow[]) {
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
