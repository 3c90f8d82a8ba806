import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/index.js';
import { afterCommitOrNow } from '../../db/types.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../admins/service.js';
import type { AuditService } from '../audit/service.js';
import type { Outbox } from '../email/outbox.js';
import { emails } from '../email/templates.js';
import { sealer } from '../keys/sealed.js';
import { type EventSink, RETRY_DELAYS_MS, type WebhookEventType } from './events.js';
import { type Claimed, type EndpointRow, webhooksRepository as repo } from './repository.js';
import { checkResolvesPublic, checkUrlShape, send, WebhookUrlError } from './sender.js';
import { newSecret, signedHeaders } from './signing.js';

export interface WebhooksConfig {
  webhookAllowPrivate: boolean;
  webhookRetentionDays: number;
  keyEncryptionSecret: string;
}

/** attempts claimed per pass, and how long a claimed attempt is this instance's (the send takes at most 10 s) */
const BATCH = 20;
const LEASE_MS = 60_000;
const DISABLE_AFTER_MS = 5 * 86_400_000;

export function presentEndpoint(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledReason: e.disabled_reason,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
  };
}

/**
 * The webhooks module owns webhook_endpoints, webhook_events and webhook_deliveries: other modules
 * report what happened with `emit` in their transaction (the one place a new side effect of a
 * change hooks in); the worker delivers, signed the Standard Webhooks way, at least once, with
 * retries over about 28 hours; admins with manage_webhooks manage endpoints (audited).
 */
export function createWebhooks(deps: {
  db: Db;
  clock: Clock;
  config: WebhooksConfig;
  audit: AuditService;
  outbox: Outbox;
  /** the superadmins' addresses, told when an endpoint is disabled for failing */
  superadminEmails: (q: Queryable) => Promise<string[]>;
  log: FastifyBaseLogger;
  kick: () => void;
}) {
  const { db, clock, config, audit, log } = deps;
  const sealed = sealer(config.keyEncryptionSecret);
  const allowPrivate = config.webhookAllowPrivate;

  async function checkedUrl(raw: string): Promise<string> {
    try {
      const url = checkUrlShape(raw, allowPrivate);
      if (!allowPrivate) await checkResolvesPublic(url);
      return url.toString();
    } catch (err) {
      if (err instanceof WebhookUrlError)
        throw new AppError('VALIDATION_FAILED', `url ${err.message}`, [{ field: 'url', message: err.message }]);
      throw err;
    }
  }

  async function mustFind(q: Queryable, id: string, lock = false): Promise<EndpointRow> {
    const e = await repo.find(q, id, lock);
    if (!e) throw new AppError('NOT_FOUND', 'Webhook endpoint not found');
    return e;
  }

  const record = (
    tx: Queryable,
    actor: Actor,
    action: Parameters<AuditService['record']>[1]['action'],
    id: string,
    detail: Record<string, unknown> = {},
  ) => audit.record(tx, { admin: actor, action, targetType: 'webhook_endpoint', targetId: id, ip: actor.ip, detail });

  async function emitTo(q: Queryable, type: WebhookEventType, data: unknown, only: string | null): Promise<string> {
    const now = clock.now();
    const id = `evt_${randomUUID().replaceAll('-', '')}`;
    const n = await repo.insertEvent(q, { id, type, payload: { id, type, timestamp: now.toISOString(), data } }, now, only);
    if (n > 0) afterCommitOrNow(q, () => deps.kick());
    return id;
  }

  async function attempt(c: Claimed, taskLog: FastifyBaseLogger): Promise<void> {
    const now = clock.now();
    const body = JSON.stringify(c.payload);
    let result: { status: number | null; body: string; error: string | null };
    try {
      // the rules of now, not of when the endpoint was saved (http and private hosts may have been allowed then)
      const url = checkUrlShape(c.url, allowPrivate);
      if (!allowPrivate) await checkResolvesPublic(url);
      const headers = signedHeaders(sealed.open(c.secret).toString('utf8'), c.event_id, Math.floor(now.getTime() / 1000), body);
      result = await send(url, headers, body, allowPrivate);
    } catch (err) {
      result = { status: null, body: '', error: err instanceof Error ? err.message : String(err) };
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    await db.transaction(async (tx) => {
      if (ok) {
        await repo.markDelivered(tx, c.id, result.status!, result.body, clock.now());
        await repo.endpointSucceeded(tx, c.endpoint_id);
        return;
      }
      const delay = RETRY_DELAYS_MS[c.attempts - 1];
      const next = delay === undefined ? null : new Date(clock.now().getTime() + Math.round(delay * (0.8 + Math.random() * 0.4)));
      await repo.markFailedAttempt(tx, c.id, { status: result.status, response: result.body, error: result.error }, next);
      const disabled = await repo.endpointFailed(tx, c.endpoint_id, clock.now(), new Date(clock.now().getTime() - DISABLE_AFTER_MS));
      if (disabled) {
        taskLog.warn({ endpoint: c.endpoint_id }, 'webhook endpoint disabled: every delivery failed for 5 days');
        for (const to of await deps.superadminEmails(tx)) await deps.outbox.enqueue(tx, emails.webhookDisabled(to, c.url, c.endpoint_id));
      }
    });
  }

  const sink: EventSink = {
    emit: (q, type, data) => emitTo(q, type, data, null).then(() => {}),
    async emitMany(q, type, load) {
      const endpoints = await repo.subscribers(q, type);
      if (endpoints.length === 0) return; // nobody listens: not even the rows are read
      const items = await load();
      if (items.length === 0) return;
      const now = clock.now();
      const events = items.map((data) => {
        const id = `evt_${randomUUID().replaceAll('-', '')}`;
        return { id, payload: { id, type, timestamp: now.toISOString(), data } };
      });
      await repo.insertEvents(q, type, events, endpoints, now);
      afterCommitOrNow(q, () => deps.kick());
    },
  };

  return {
    ...sink,

    async create(actor: Actor, input: { url: string; events: string[]; description?: string | null }) {
      const url = await checkedUrl(input.url);
      const secret = newSecret();
      const created = await db.transaction(async (tx) => {
        const e = await repo.insertEndpoint(
          tx,
          { url, description: input.description ?? null, events: [...new Set(input.events)], secret: sealed.seal(Buffer.from(secret)) },
          clock.now(),
        );
        await record(tx, actor, 'webhook.create', e.id, { url, events: e.events });
        return e;
      });
      return { ...presentEndpoint(created), secret };
    },

    list: async () => (await repo.list(db)).map(presentEndpoint),
    get: async (id: string) => presentEndpoint(await mustFind(db, id)),

    async update(actor: Actor, id: string, input: { url?: string; events?: string[]; description?: string | null; enabled?: boolean }) {
      const url = input.url === undefined ? undefined : await checkedUrl(input.url);
      const updated = await db.transaction(async (tx) => {
        await mustFind(tx, id, true);
        const e = await repo.update(
          tx,
          id,
          { ...input, ...(url ? { url } : {}), ...(input.events ? { events: [...new Set(input.events)] } : {}) },
          clock.now(),
        );
        await record(tx, actor, 'webhook.update', id, { changed: Object.keys(input) });
        return e!;
      });
      return presentEndpoint(updated);
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await db.transaction(async (tx) => {
        const e = await mustFind(tx, id, true);
        await repo.delete(tx, id);
        await record(tx, actor, 'webhook.delete', id, { url: e.url });
      });
    },

    /** A new signing secret, shown this once; the old one signs nothing from now on. */
    async rotateSecret(actor: Actor, id: string) {
      const secret = newSecret();
      const e = await db.transaction(async (tx) => {
        await mustFind(tx, id, true);
        const e = await repo.update(tx, id, { secret: sealed.seal(Buffer.from(secret)) }, clock.now());
        await record(tx, actor, 'webhook.rotate_secret', id);
        return e!;
      });
      return { ...presentEndpoint(e), secret };
    },

    async deliveries(id: string, after: { createdAt: Date; id: string } | null, limit: number) {
      await mustFind(db, id);
      return repo.deliveries(db, id, after, limit);
    },

    async retry(actor: Actor, id: string, deliveryId: string) {
      const d = await db.transaction(async (tx) => {
        await mustFind(tx, id);
        const status = await repo.deliveryStatus(tx, id, deliveryId);
        if (status === null) throw new AppError('NOT_FOUND', 'Delivery not found');
        if (status === 'delivered') throw new AppError('CONFLICT', 'This delivery was already delivered');
        const d = await repo.retry(tx, id, deliveryId, clock.now());
        await record(tx, actor, 'webhook.retry', id, { delivery: deliveryId });
        afterCommitOrNow(tx, () => deps.kick());
        return d!;
      });
      return d;
    },

    /** A `webhook.test` event to this endpoint only (whatever it subscribes to). */
    async test(actor: Actor, id: string): Promise<{ eventId: string }> {
      return db.transaction(async (tx) => {
        const e = await mustFind(tx, id);
        if (!e.enabled) throw new AppError('CONFLICT', 'This endpoint is disabled: enable it first');
        const eventId = await emitTo(tx, 'webhook.test', { endpointId: id, message: 'A test event from SocioX Accounts' }, id);
        await record(tx, actor, 'webhook.test', id, { event: eventId });
        return { eventId };
      });
    },

    /** The worker's pass: every due attempt, a batch at a time. `taskLog`: the worker's, naming its task. */
    async deliverDue(taskLog: FastifyBaseLogger = log): Promise<number> {
      let sent = 0;
      for (let round = 0; round < 50; round++) {
        const now = clock.now();
        const claimed = await repo.claimDue(db, now, new Date(now.getTime() + LEASE_MS), BATCH);
        if (claimed.length === 0) break;
        await Promise.all(claimed.map((c) => attempt(c, taskLog)));
        sent += claimed.length;
      }
      return sent;
    },

    /** The deliveries waiting to be sent and the age of the oldest, in seconds (0 when none): the metrics read it at each scrape. */
    async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
      const { pending, oldest } = await repo.backlog(db);
      return { pending, oldestAgeSeconds: oldest ? Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000) : 0 };
    },

    /** Delivered events' payloads older than WEBHOOK_RETENTION_DAYS are emptied. */
    prune: () => repo.prune(db, new Date(clock.now().getTime() - config.webhookRetentionDays * 86_400_000)),
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
