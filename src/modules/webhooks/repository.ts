import type { Queryable } from '../../db/index.js';

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  secret: string;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  last_response: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** A claimed attempt: the delivery, its endpoint and its payload. */
export interface Claimed {
  id: string;
  attempts: number;
  event_id: string;
  payload: unknown;
  endpoint_id: string;
  url: string;
  secret: string;
  failing_since: Date | null;
}

const ENDPOINT = 'id, url, description, events, secret, enabled, disabled_reason, failing_since, created_at, updated_at';
const DELIVERY = `d.id, d.endpoint_id, d.event_id, e.type as event_type, d.status, d.attempts, d.next_attempt_at, d.last_status,
  d.last_error, d.last_response, d.created_at, d.delivered_at`;

/** The webhooks module owns webhook_endpoints, webhook_events and webhook_deliveries. */
export const webhooksRepository = {
  async insertEndpoint(q: Queryable, e: { url: string; description: string | null; events: string[]; secret: string }, now: Date) {
    const { rows } = await q.query<EndpointRow>(
      `insert into webhook_endpoints (url, description, events, secret, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $5) returning ${ENDPOINT}`,
      [e.url, e.description, e.events, e.secret, now],
    );
    return rows[0]!;
  },

  async list(q: Queryable): Promise<EndpointRow[]> {
    return (await q.query<EndpointRow>(`select ${ENDPOINT} from webhook_endpoints order by created_at desc, id desc`)).rows;
  },

  async find(q: Queryable, id: string, lock = false): Promise<EndpointRow | null> {
    const { rows } = await q.query<EndpointRow>(`select ${ENDPOINT} from webhook_endpoints where id = $1${lock ? ' for update' : ''}`, [
      id,
    ]);
    return rows[0] ?? null;
  },

  async update(
    q: Queryable,
    id: string,
    p: { url?: string; description?: string | null; events?: string[]; enabled?: boolean; secret?: string },
    now: Date,
  ): Promise<EndpointRow | null> {
    const { rows } = await q.query<EndpointRow>(
      `update webhook_endpoints set
         url = coalesce($2, url), description = case when $3::boolean then $4 else description end,
         events = coalesce($5, events), secret = coalesce($6, secret),
         enabled = coalesce($7, enabled),
         disabled_reason = case when $7 is null then disabled_reason when $7 then null else 'disabled by an admin' end,
         failing_since = case when $7 then null else failing_since end,
         updated_at = $8
       where id = $1 returning ${ENDPOINT}`,
      [id, p.url ?? null, p.description !== undefined, p.description ?? null, p.events ?? null, p.secret ?? null, p.enabled ?? null, now],
    );
    return rows[0] ?? null;
  },

  async delete(q: Queryable, id: string): Promise<boolean> {
    return (await q.query('delete from webhook_endpoints where id = $1', [id])).rowCount > 0;
  },

  /**
   * The event, and one pending delivery for each enabled endpoint subscribed to its type (or the
   * endpoint `only`), in one statement. No endpoint listening: nothing is written at all.
   */
  async insertEvent(
    q: Queryable,
    e: { id: string; type: string; payload: unknown },
    now: Date,
    only: string | null = null,
  ): Promise<number> {
    const { rows } = await q.query<{ n: number }>(
      `with targets as (select w.id from webhook_endpoints w
                         where w.enabled and ($5::uuid is null and $2 = any (w.events) or w.id = $5::uuid)),
            ev as (insert into webhook_events (id, type, payload, created_at)
                   select $1, $2, $3, $4 where exists (select 1 from targets) returning id),
            d as (insert into webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at)
                  select targets.id, ev.id, $4, $4 from targets, ev returning 1)
       select count(*)::int as n from d`,
      [e.id, e.type, JSON.stringify(e.payload), now, only],
    );
    return rows[0]?.n ?? 0;
  },

  /** The enabled endpoints subscribed to `type`. */
  async subscribers(q: Queryable, type: string): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>('select id from webhook_endpoints where enabled and $1 = any (events)', [type]);
    return rows.map((r) => r.id);
  },

  /** Many events of one type (a worker batch), each to every endpoint in `endpoints`, in one statement. */
  async insertEvents(
    q: Queryable,
    type: string,
    events: { id: string; payload: unknown }[],
    endpoints: string[],
    now: Date,
  ): Promise<void> {
    await q.query(
      `with ev as (insert into webhook_events (id, type, payload, created_at)
                   select id, $1, payload, $4 from unnest($2::text[], $3::jsonb[]) as x(id, payload) returning id)
       insert into webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at)
       select w, ev.id, $4, $4 from ev, unnest($5::uuid[]) as w`,
      [type, events.map((e) => e.id), events.map((e) => JSON.stringify(e.payload)), now, endpoints],
    );
  },

  /**
   * Up to `limit` due attempts of enabled endpoints, claimed: counted as an attempt and leased
   * until `leaseUntil`, so no other instance (nor this one) sends them meanwhile.
   */
  async claimDue(q: Queryable, now: Date, leaseUntil: Date, limit: number): Promise<Claimed[]> {
    const { rows } = await q.query<Claimed>(
      `with due as (
         select d.id from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id
          where d.status = 'pending' and d.next_attempt_at <= $1 and w.enabled
          order by d.next_attempt_at limit $3
          for update of d skip locked)
       update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = $2
         from due, webhook_events e, webhook_endpoints w
        where d.id = due.id and e.id = d.event_id and w.id = d.endpoint_id
       returning d.id, d.attempts, d.event_id, e.payload, w.id as endpoint_id, w.url, w.secret, w.failing_since`,
      [now, leaseUntil, limit],
    );
    return rows;
  },

  async markDelivered(q: Queryable, id: string, status: number, response: string, now: Date): Promise<void> {
    await q.query(
      `update webhook_deliveries set status = 'delivered', delivered_at = $4, last_status = $2, last_response = $3, last_error = null where id = $1`,
      [id, status, response, now],
    );
  },

  async markFailedAttempt(
    q: Queryable,
    id: string,
    r: { status: number | null; response: string; error: string | null },
    next: Date | null,
  ): Promise<void> {
    await q.query(
      `update webhook_deliveries set last_status = $2, last_response = $3, last_error = $4,
         status = case when $5::timestamptz is null then 'failed' else 'pending' end,
         next_attempt_at = coalesce($5, next_attempt_at)
       where id = $1`,
      [id, r.status, r.response, r.error, next],
    );
  },

  async endpointSucceeded(q: Queryable, id: string): Promise<void> {
    await q.query('update webhook_endpoints set failing_since = null where id = $1 and failing_since is not null', [id]);
  },

  /** Records a failure of the endpoint; true when it has now failed every delivery since `disableAfter` ago and was disabled. */
  async endpointFailed(q: Queryable, id: string, now: Date, disableBefore: Date): Promise<boolean> {
    await q.query('update webhook_endpoints set failing_since = $2 where id = $1 and failing_since is null', [id, now]);
    const { rowCount } = await q.query(
      `update webhook_endpoints set enabled = false, updated_at = $2,
         disabled_reason = 'every delivery failed for 5 days'
       where id = $1 and enabled and failing_since <= $3`,
      [id, now, disableBefore],
    );
    return rowCount > 0;
  },

  /** Keyset page of an endpoint's deliveries, newest first. */
  async deliveries(q: Queryable, endpointId: string, after: { createdAt: Date; id: string } | null, limit: number): Promise<DeliveryRow[]> {
    const { rows } = await q.query<DeliveryRow>(
      `select ${DELIVERY} from webhook_deliveries d join webhook_events e on e.id = d.event_id
        where d.endpoint_id = $1 and ($2::timestamptz is null or (d.created_at, d.id) < ($2::timestamptz, $3::uuid))
        order by d.created_at desc, d.id desc limit $4`,
      [endpointId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows;
  },

  /** A failed (or pending) delivery made due now; null when the endpoint has no such delivery. */
  async retry(q: Queryable, endpointId: string, deliveryId: string, now: Date): Promise<DeliveryRow | null> {
    const { rows } = await q.query<{ id: string }>(
      `update webhook_deliveries set status = 'pending', next_attempt_at = $3
        where id = $2 and endpoint_id = $1 and status <> 'delivered' returning id`,
      [endpointId, deliveryId, now],
    );
    if (!rows[0]) return null;
    return (
      await q.query<DeliveryRow>(
        `select ${DELIVERY} from webhook_deliveries d join webhook_events e on e.id = d.event_id where d.id = $1`,
        [deliveryId],
      )
    ).rows[0]!;
  },

  async deliveryStatus(q: Queryable, endpointId: string, deliveryId: string): Promise<string | null> {
    const { rows } = await q.query<{ status: string }>('select status from webhook_deliveries where id = $1 and endpoint_id = $2', [
      deliveryId,
      endpointId,
    ]);
    return rows[0]?.status ?? null;
  },

  /** How many deliveries are pending, and when the oldest was created (null when none). */
  async backlog(q: Queryable): Promise<{ pending: number; oldest: Date | null }> {
    const { rows } = await q.query<{ pending: number; oldest: Date | null }>(
      "select count(*)::int as pending, min(created_at) as oldest from webhook_deliveries where status = 'pending'",
    );
    return rows[0] ?? { pending: 0, oldest: null };
  },

  /** Empties delivered events' payloads older than `before` (their delivery logs stay). */
  async prune(q: Queryable, before: Date): Promise<number> {
    const { rowCount } = await q.query(
      `update webhook_events e set payload = null
        where e.created_at < $1 and e.payload is not null
          and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'pending')`,
      [before],
    );
    return rowCount;
  },
};
