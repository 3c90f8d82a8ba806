import type { Clock } from '../../clock.js';
import type { Db } from '../../db/index.js';
import { fromMinor } from '../plans/money.js';
import type { UserRow } from '../users/repository.js';
import { analyticsRepository as repo } from './repository.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const SIGNUP_DAYS = { min: 1, max: 366, default: 30 } as const;
export const UPCOMING_DAYS = { min: 1, max: 90, default: 7 } as const;

/** Midnight UTC of the day `at` falls on. */
function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** `YYYY-MM-DD` of a UTC midnight. */
function dayKey(day: Date): string {
  return day.toISOString().slice(0, 10);
}

/** `count` consecutive UTC days from `first`, oldest first, each shaped from its row (undefined for a day without one: zeros). */
function daySeries<R extends { day: string }, T>(first: Date, count: number, rows: R[], shape: (row: R | undefined) => T) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return Array.from({ length: count }, (_, i) => {
    const date = dayKey(new Date(first.getTime() + i * DAY_MS));
    return { date, ...shape(byDay.get(date)) };
  });
}

/**
 * The admins' dashboard figures (issue 13). Owns no table: each figure is one read-only aggregate
 * statement over the tables of users, plans and subscriptions (repository.ts names them). Days are
 * UTC days and "today" is the injected clock's. What is counted (docs/DECISIONS.md "Analytics"):
 * accounts that exist (a deleted account's row is gone, its children and subscriptions with it);
 * live subscriptions as the subscriptions module defines them; MRR from active subscriptions only.
 */
export function createAnalyticsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  return {
    /** Accounts created per UTC day, the last `days` days up to today, oldest first, days without any as zeros. */
    async signups(days: number = SIGNUP_DAYS.default) {
      const today = startOfUtcDay(clock.now());
      const from = new Date(today.getTime() - (days - 1) * DAY_MS);
      const rows = await repo.signupsByDay(db, from, new Date(today.getTime() + DAY_MS));
      return {
        days,
        from: dayKey(from),
        to: dayKey(today),
        series: daySeries(from, days, rows, (r) => ({ signups: r?.parents ?? 0, children: r?.children ?? 0 })),
      };
    },

    /** Every account by status and by role; each status and role present, 0 when none. */
    async accounts() {
      const byStatus: Record<UserRow['status'], number> = { active: 0, deactivated: 0 };
      const byRole: Record<UserRow['role'], number> = { parent: 0, child: 0 };
      let total = 0;
      for (const row of await repo.accountCounts(db)) {
        total += row.n;
        byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
        byRole[row.role] = (byRole[row.role] ?? 0) + row.n;
      }
      return { total, byStatus, byRole };
    },

    /** Live subscriptions (active, or cancelled and still inside the paid period) per plan, largest first. */
    async subscriptions() {
      const rows = await repo.livePerPlan(db, clock.now());
      const plans = rows.map((r) => ({
        planId: r.plan_id,
        name: r.name,
        active: r.active,
        canceled: r.canceled,
        total: r.active + r.canceled,
      }));
      return { total: plans.reduce((sum, p) => sum + p.total, 0), plans };
    },

    /** Monthly recurring revenue per currency, in the currency's major unit as plan prices are shown (29.99). */
    async revenue() {
      const rows = await repo.recurringRevenue(db);
      return {
        currencies: rows.map((r) => ({ currency: r.currency, mrr: fromMinor(r.mrr_minor)!, subscriptions: r.subscriptions })),
      };
    },

    /** Renewals and expiries due per UTC day, `days` days from today, days without any as zeros. */
    async upcoming(days: number = UPCOMING_DAYS.default) {
      const today = startOfUtcDay(clock.now());
      const rows = await repo.periodEndsByDay(db, today, new Date(today.getTime() + days * DAY_MS));
      return { days, series: daySeries(today, days, rows, (r) => ({ renewals: r?.renewals ?? 0, expiries: r?.expiries ?? 0 })) };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
