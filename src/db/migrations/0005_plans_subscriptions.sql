-- The plan catalogue. Money is integer minor units (cents) plus an ISO currency code.
create table plans (
  id                uuid primary key default gen_random_uuid(),
  name              text not null check (length(name) between 1 and 100),
  display_name      text not null check (length(display_name) between 1 and 200),
  monthly_amount    bigint check (monthly_amount >= 0),
  monthly_currency  text check (monthly_currency ~ '^[A-Z]{3}$'),
  yearly_amount     bigint check (yearly_amount >= 0),
  yearly_currency   text check (yearly_currency ~ '^[A-Z]{3}$'),
  yearly_savings    bigint check (yearly_savings >= 0),
  features          jsonb not null default '{}',
  custom_features   jsonb not null default '[]',
  recommended       boolean not null default false,
  category          text not null default 'general',
  status            text not null default 'active' check (status in ('active', 'inactive')),
  -- soft delete (contract §2): gone from every listing, existing subscriptions keep running
  deleted_at        timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check ((monthly_amount is null) = (monthly_currency is null)),
  check ((yearly_amount is null) = (yearly_currency is null))
);
create unique index plans_name_key on plans (lower(name)) where deleted_at is null;
create index plans_category_idx on plans (category) where deleted_at is null;

-- One user's subscription to one plan. Periods are computed from an anchor so month ends do not
-- drift: period k runs from anchor + k cycles to anchor + (k + 1) cycles (PostgreSQL clamps
-- 31 January + 1 month to the last day of February, and 31 January + 2 months is 31 March).
create table subscriptions (
  id                    uuid primary key default gen_random_uuid(),
  user_id               uuid not null references users (id) on delete cascade,
  plan_id               uuid not null references plans (id),
  billing_cycle         text not null check (billing_cycle in ('monthly', 'yearly')),
  -- active: renews at period end; canceled: usable until period end, then expired
  status                text not null check (status in ('active', 'canceled', 'expired')),
  anchor_at             timestamptz not null,
  period_index          integer not null default 0,
  current_period_start  timestamptz not null,
  current_period_end    timestamptz not null,
  cancel_reason         text,
  canceled_at           timestamptz,
  ended_at              timestamptz,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  check (current_period_end > current_period_start)
);
-- at most one live subscription per user, guaranteed here and not only in code
create unique index subscriptions_one_live_key on subscriptions (user_id) where status in ('active', 'canceled');
create index subscriptions_user_idx on subscriptions (user_id, created_at desc);
-- the worker's scan: live subscriptions whose period has ended
create index subscriptions_due_idx on subscriptions (current_period_end) where status in ('active', 'canceled');

create table subscription_events (
  id               bigserial primary key,
  subscription_id  uuid not null references subscriptions (id) on delete cascade,
  type             text not null check (type in ('subscribed', 'plan_changed', 'cycle_changed', 'cancelled', 'resumed', 'renewed', 'expired')),
  actor            text not null,
  detail           jsonb not null default '{}',
  created_at       timestamptz not null default now()
);
create index subscription_events_sub_idx on subscription_events (subscription_id, id);

-- Idempotency-Key: the first result of a request, replayed for its retries.
create table idempotency_keys (
  principal     text not null,
  key           text not null,
  request_hash  text not null,
  status_code   integer not null,
  response      jsonb not null,
  created_at    timestamptz not null default now(),
  primary key (principal, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);

-- The k-th boundary of a subscription's periods, computed in UTC so the server's TimeZone
-- setting cannot move it: anchor + k months (monthly) or k years (yearly).
create function subscription_period_bound(anchor timestamptz, cycle text, k integer) returns timestamptz
language sql immutable strict as $$
  select ((anchor at time zone 'UTC') + make_interval(months => k * case when cycle = 'yearly' then 12 else 1 end)) at time zone 'UTC'
$$;
