-- Signed webhooks (issue 12): what happened here, pushed to the SaaS's other services.
--
-- An event is written in the transaction of the change it reports (never for a rollback, never
-- lost for a commit), with one delivery per enabled endpoint subscribed to its type. The worker
-- claims due deliveries with FOR UPDATE SKIP LOCKED and a lease, so instances never send the same
-- attempt at once; a 2xx is delivered, anything else retried with backoff, then failed.

create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  description text,
  events text[] not null,
  -- whsec_… sealed with KEY_ENCRYPTION_SECRET (AES-256-GCM): it must be read back to sign
  secret text not null,
  enabled boolean not null default true,
  disabled_reason text,
  -- the first failure of the current run of failures (cleared by a success): 5 days of it disables
  failing_since timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

create table webhook_events (
  id text primary key,
  type text not null,
  -- the whole payload as sent: {id, type, timestamp, data}; emptied after WEBHOOK_RETENTION_DAYS once delivered
  payload jsonb,
  created_at timestamptz not null
);
create index webhook_events_created_idx on webhook_events (created_at);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
  event_id text not null references webhook_events (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  last_status integer,
  last_error text,
  last_response text,
  created_at timestamptz not null,
  delivered_at timestamptz,
  unique (endpoint_id, event_id)
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, created_at desc, id desc);
