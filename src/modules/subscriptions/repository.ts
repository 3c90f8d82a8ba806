import type { Queryable } from '../../db/index.js';

export type Cycle = 'monthly' | 'yearly';
export type SubscriptionStatus = 'active' | 'canceled' | 'expired';
/** Who a subscription event (and an idempotency key) belongs to: a user, an admin, or the worker. */
export type ActorName = `user:${string}` | `admin:${string}` | 'system';

export type EventType = 'subscribed' | 'plan_changed' | 'cycle_changed' | 'cancelled' | 'resumed' | 'renewed' | 'expired';

export interface SubscriptionRow {
  id: string;
  user_id: string;
  plan_id: string;
  billing_cycle: Cycle;
  status: SubscriptionStatus;
  current_period_start: Date;
  current_period_end: Date;
  cancel_reason: string | null;
  canceled_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EventRow {
  type: EventType;
  actor: string;
  detail: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS = `id, user_id, plan_id, billing_cycle, status, current_period_start, current_period_end,
  cancel_reason, canceled_at, ended_at, created_at, updated_at`;
const LIVE = `status in ('active', 'canceled')`;

/** The only SQL for subscriptions and their history (subscriptions, subscription_events). */
export const subscriptionsRepository = {
  /** A new live subscription whose first period starts now. The partial unique index refuses a second one. */
  async insert(q: Queryable, userId: string, planId: string, cycle: Cycle, now: Date): Promise<SubscriptionRow> {
    const { rows } = await q.query<SubscriptionRow>(
      `insert into subscriptions (user_id, plan_id, billing_cycle, status, anchor_at, period_index, current_period_start,
         current_period_end, created_at, updated_at)
       values ($1, $2, $3, 'active', $4, 0, $4, subscription_period_bound($4, $3, 1), $4, $4) returning ${COLUMNS}`,
      [userId, planId, cycle, now],
    );
    return rows[0]!;
  },

  /** The live subscription as of `now`: one cancelled whose period has ended is over, even before the worker marks it. */
  /** The subscriptions of `userIds` written at `at` (what a worker batch just renewed or expired). */
  async changedAt(q: Queryable, userIds: string[], at: Date): Promise<SubscriptionRow[]> {
    const { rows } = await q.query<SubscriptionRow>(
      `select ${COLUMNS} from subscriptions where user_id = any ($1::uuid[]) and updated_at = $2 order by user_id`,
      [userIds, at],
    );
    return rows;
  },

  async findLive(q: Queryable, userId: string, now: Date): Promise<SubscriptionRow | null> {
    const { rows } = await q.query<SubscriptionRow>(
      `select ${COLUMNS} from subscriptions where user_id = $1 and ${LIVE} and not (status = 'canceled' and current_period_end <= $2)`,
      [userId, now],
    );
    return rows[0] ?? null;
  },

  /** The live subscription, row-locked for a change. */
  async lockLive(q: Queryable, userId: string): Promise<SubscriptionRow | null> {
    const { rows } = await q.query<SubscriptionRow>(`select ${COLUMNS} from subscriptions where user_id = $1 and ${LIVE} for update`, [
      userId,
    ]);
    return rows[0] ?? null;
  },

  /** changePlan: the period runs on as it was. */
  setPlan: (q: Queryable, id: string, planId: string, now: Date) => updateOne(q, id, 'plan_id = $2', [planId], now),

  /** changeCycle: a new cycle starts a new period now (re-anchored). */
  restartPeriod: (q: Queryable, id: string, cycle: Cycle, now: Date) =>
    updateOne(
      q,
      id,
      `billing_cycle = $2, anchor_at = $3, period_index = 0, current_period_start = $3,
       current_period_end = subscription_period_bound($3::timestamptz, $2, 1)`,
      [cycle],
      now,
    ),

  /** resume: a cancelled (not yet ended) subscription runs on as if never cancelled. */
  resume: (q: Queryable, id: string, now: Date) => updateOne(q, id, `status = 'active', cancel_reason = null, canceled_at = null`, [], now),

  /** cancelAtPeriodEnd: stays usable until the period ends, then the worker expires it. */
  cancelAtPeriodEnd: (q: Queryable, id: string, reason: string | null, now: Date) =>
    updateOne(q, id, `status = 'canceled', cancel_reason = $2, canceled_at = $3`, [reason], now),

  /** endNow: cancelled and ended at once. */
  endNow: (q: Queryable, id: string, reason: string | null, now: Date) =>
    updateOne(q, id, `status = 'expired', cancel_reason = $2, canceled_at = $3, ended_at = $3`, [reason], now),

  async addEvent(
    q: Queryable,
    subscriptionId: string,
    type: EventType,
    actor: ActorName,
    detail: Record<string, unknown>,
    now: Date,
  ): Promise<void> {
    await q.query('insert into subscription_events (subscription_id, type, actor, detail, created_at) values ($1, $2, $3, $4, $5)', [
      subscriptionId,
      type,
      actor,
      JSON.stringify(detail),
      now,
    ]);
  },

  async events(q: Queryable, subscriptionId: string): Promise<EventRow[]> {
    const { rows } = await q.query<EventRow>(
      'select type, actor, detail, created_at from subscription_events where subscription_id = $1 order by id',
      [subscriptionId],
    );
    return rows;
  },

  /**
   * The plan features that bound a billing account: its live subscription's plan, or null.
   * Reads plans (the plans module's table) in the same statement: the seat check runs it on every child creation.
   */
  async liveFeatures(q: Queryable, userId: string, now: Date): Promise<{ plan_id: string; features: Record<string, unknown> } | null> {
    const { rows } = await q.query<{ plan_id: string; features: Record<string, unknown> }>(
      `select p.id as plan_id, p.features from subscriptions s join plans p on p.id = s.plan_id
       where s.user_id = $1 and s.${LIVE} and not (s.status = 'canceled' and s.current_period_end <= $2)`,
      [userId, now],
    );
    return rows[0] ?? null;
  },

  /**
   * One batch of renewals, set-based: due active subscriptions (locked with SKIP LOCKED, so several
   * workers split the work and none renews a row twice) move to the period that contains `now`,
   * however many periods they are overdue; each gets a 'renewed' event in the same statement.
   * Returns the account of each renewed subscription (the caller notifies them in its transaction).
   */
  async renewDue(q: Queryable, now: Date, batch: number): Promise<string[]> {
    const { rows } = await q.query<{ user_id: string }>(
      `with due as materialized (
         select id, period_index, anchor_at, billing_cycle from subscriptions
         where status = 'active' and current_period_end <= $1
         order by current_period_end limit $2 for update skip locked
       ),
       target as materialized (
         select d.id, d.anchor_at, d.billing_cycle, d.period_index,
           coalesce((select min(k) from generate_series(greatest(d.period_index + 1, g.k - 1), greatest(d.period_index + 1, g.k + 1)) as k
                     where subscription_period_bound(d.anchor_at, d.billing_cycle, k + 1) > $1), d.period_index + 1) as k
         from due d
         -- whole cycles between the anchor and now: the period containing now is within one of this
         cross join lateral (
           select ((extract(year from a.span) * 12 + extract(month from a.span))::int
                   / case when d.billing_cycle = 'yearly' then 12 else 1 end) as k
           from (select age($1::timestamptz at time zone 'UTC', d.anchor_at at time zone 'UTC') as span) a
         ) g
       ),
       renewed as (
         update subscriptions s set period_index = t.k,
           current_period_start = subscription_period_bound(t.anchor_at, t.billing_cycle, t.k),
           current_period_end = subscription_period_bound(t.anchor_at, t.billing_cycle, t.k + 1),
           updated_at = $1
         from target t where s.id = t.id
         returning s.id, s.user_id, t.k - t.period_index as periods, s.current_period_end
       ),
       events as (
         insert into subscription_events (subscription_id, type, actor, detail, created_at)
         select id, $3, 'system', jsonb_build_object('periods', periods, 'current_period_end', current_period_end), $1 from renewed
       )
       select user_id from renewed`,
      [now, batch, 'renewed' satisfies EventType],
    );
    return rows.map((r) => r.user_id);
  },

  /**
   * Cancelled subscriptions whose period has ended become expired, each with its event, in one
   * statement: a batch of them (the worker), or the one of `userId` (every write path runs it first,
   * so an ended subscription can neither be changed nor block a new one). Returns their accounts.
   */
  async expireEnded(q: Queryable, now: Date, batch: number, userId: string | null = null): Promise<string[]> {
    const { rows } = await q.query<{ user_id: string }>(
      `with due as (
         select id from subscriptions
         where status = 'canceled' and current_period_end <= $1 and ($3::uuid is null or user_id = $3::uuid)
         order by current_period_end limit $2 for update skip locked
       ),
       expired as (
         update subscriptions s set status = 'expired', ended_at = s.current_period_end, updated_at = $1
         from due where s.id = due.id returning s.id, s.user_id
       ),
       events as (
         insert into subscription_events (subscription_id, type, actor, detail, created_at)
         select id, $4, 'system', '{}'::jsonb, $1 from expired
       )
       select user_id from expired`,
      [now, batch, userId, 'expired' satisfies EventType],
    );
    return rows.map((r) => r.user_id);
  },
};

async function updateOne(q: Queryable, id: string, sets: string, params: unknown[], now: Date): Promise<SubscriptionRow> {
  const { rows } = await q.query<SubscriptionRow>(
    `update subscriptions set ${sets}, updated_at = $${params.length + 2}::timestamptz where id = $1 returning ${COLUMNS}`,
    [id, ...params, now],
  );
  return rows[0]!;
}
