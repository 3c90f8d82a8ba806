import type { Queryable } from '../../db/index.js';
import type { UserRow } from '../users/repository.js';

export interface SignupDayRow {
  /** a UTC day, YYYY-MM-DD */
  day: string;
  parents: number;
  children: number;
}

export interface AccountCountRow {
  status: UserRow['status'];
  role: UserRow['role'];
  n: number;
}

export interface PlanCountRow {
  plan_id: string;
  name: string;
  active: number;
  canceled: number;
}

export interface CurrencyRow {
  currency: string;
  subscriptions: number;
  /** integer minor units: the exact sum (yearly prices ÷ 12) rounded once, half away from zero (int8: a number with either driver) */
  mrr_minor: number;
}

export interface PeriodEndDayRow {
  /** a UTC day, YYYY-MM-DD */
  day: string;
  renewals: number;
  expiries: number;
}

/**
 * The only SQL of the analytics module: read-only aggregates, one statement each, over tables
 * other modules own (set-based reads, docs/ARCHITECTURE.md "Reads across tables"). It writes no
 * table. Days are UTC (`at time zone 'UTC'`), whatever the server's TimeZone; "now" and the day
 * bounds come from the caller (the injected clock), never SQL now().
 */
export const analyticsRepository = {
  /**
   * Reads `users`. Accounts created in [from, to), counted per UTC day and role. Days without
   * any are not returned. An index-only scan of users_role_created_idx (role, created_at): one
   * range per role, no heap rows read.
   */
  async signupsByDay(q: Queryable, from: Date, to: Date): Promise<SignupDayRow[]> {
    const { rows } = await q.query<SignupDayRow>(
      `select to_char(d.day, 'YYYY-MM-DD') as day, d.parents, d.children
       from (
         select (created_at at time zone 'UTC')::date as day,
           count(*) filter (where role = 'parent')::int as parents,
           count(*) filter (where role = 'child')::int as children
         from users
         where role in ('parent', 'child') and created_at >= $1 and created_at < $2
         group by 1
       ) d`,
      [from, to],
    );
    return rows;
  },

  /**
   * Reads `users`. Every account, counted per status and role (at most one row per pair). One
   * pass over the table (a parallel sequential scan: every row is counted, so no index narrows it).
   */
  async accountCounts(q: Queryable): Promise<AccountCountRow[]> {
    const { rows } = await q.query<AccountCountRow>('select status, role, count(*)::int as n from users group by status, role');
    return rows;
  },

  /**
   * Reads `subscriptions`, `plans`. The live subscriptions as of `now` (active, or cancelled with
   * their period not yet ended: the same rule as the subscriptions module's findLive) counted per
   * plan, soft-deleted plans included (their subscriptions keep running); largest first, then by name.
   */
  async livePerPlan(q: Queryable, now: Date): Promise<PlanCountRow[]> {
    const { rows } = await q.query<PlanCountRow>(
      `select p.id as plan_id, p.name, c.active, c.canceled
       from (
         select plan_id,
           count(*) filter (where status = 'active')::int as active,
           count(*) filter (where status = 'canceled')::int as canceled
         from subscriptions
         where status in ('active', 'canceled') and not (status = 'canceled' and current_period_end <= $1)
         group by plan_id
       ) c
       join plans p on p.id = c.plan_id
       order by c.active + c.canceled desc, p.name, p.id`,
      [now],
    );
    return rows;
  },

  /**
   * Reads `subscriptions`, `plans`. Monthly recurring revenue per currency: each active
   * subscription adds its plan's current price for its cycle (a yearly one, ÷ 12), in minor units,
   * in that price's currency. The subscriptions are first counted per plan and cycle, so the join
   * and the sums run over a handful of rows. A subscription whose plan has since lost the price of
   * its cycle has no currency and is left out.
   */
  async recurringRevenue(q: Queryable): Promise<CurrencyRow[]> {
    const { rows } = await q.query<CurrencyRow>(
      `with counts as (
         select plan_id, billing_cycle, count(*) as n from subscriptions where status = 'active' group by plan_id, billing_cycle
       ),
       priced as (
         select c.n,
           case when c.billing_cycle = 'yearly' then p.yearly_currency else p.monthly_currency end as currency,
           -- twelfths of a minor unit, so the one division below is exact until its rounding
           case when c.billing_cycle = 'yearly' then p.yearly_amount else p.monthly_amount * 12 end as yearly_minor
         from counts c join plans p on p.id = c.plan_id
       )
       select currency, sum(n)::int as subscriptions, round(sum(n * yearly_minor)::numeric / 12)::bigint as mrr_minor
       from priced where currency is not null
       group by currency order by currency`,
    );
    return rows;
  },

  /**
   * Reads `subscriptions`. Live subscriptions whose current period ends in [from, to), per UTC day
   * of that end: active ones (the renewal pass renews them) and cancelled ones (the expiry pass
   * expires them). The range scan of subscriptions_due_idx, the index of the worker's own scan.
   */
  async periodEndsByDay(q: Queryable, from: Date, to: Date): Promise<PeriodEndDayRow[]> {
    const { rows } = await q.query<PeriodEndDayRow>(
      `select to_char(d.day, 'YYYY-MM-DD') as day, d.renewals, d.expiries
       from (
         select (current_period_end at time zone 'UTC')::date as day,
           count(*) filter (where status = 'active')::int as renewals,
           count(*) filter (where status = 'canceled')::int as expiries
         from subscriptions
         where status in ('active', 'canceled') and current_period_end >= $1 and current_period_end < $2
         group by 1
       ) d`,
      [from, to],
    );
    return rows;
  },
};
