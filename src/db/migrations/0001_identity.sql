-- Customer accounts: parents register themselves, children are created by a parent.
create table users (
  id              uuid primary key default gen_random_uuid(),
  email           text not null check (email = lower(email) and length(email) between 3 and 254),
  password_hash   text not null,
  name            text not null,
  first_name      text not null,
  last_name       text not null,
  phone           text,
  picture         text,
  role            text not null default 'parent' check (role in ('parent', 'child')),
  -- deleting a parent deletes its children (the contract: an account and what it owns)
  parent_id       uuid references users (id) on delete cascade,
  permissions     text[] not null default '{}',
  status          text not null default 'active' check (status in ('active', 'deactivated')),
  -- every token carries the version it was issued at; bumping it revokes them all at once
  token_version   integer not null default 1,
  failed_logins   integer not null default 0,
  failed_login_window_start timestamptz,
  last_login_at   timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  check ((role = 'child') = (parent_id is not null))
);
create unique index users_email_key on users (lower(email));
-- phone is a login identifier, so it must name one account
create unique index users_phone_key on users (phone) where phone is not null;
create index users_parent_id_idx on users (parent_id) where parent_id is not null;

-- Password-reset OTPs: one live OTP per user (a new request replaces the old one).
create table password_reset_otps (
  user_id     uuid primary key references users (id) on delete cascade,
  otp_hash    text not null,
  attempts    integer not null default 0,
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now()
);

-- Single-use random tokens sent by email (account deletion, admin reset link), stored hashed.
create table user_tokens (
  token_hash  text primary key,
  user_id     uuid not null references users (id) on delete cascade,
  purpose     text not null check (purpose in ('delete_account', 'password_reset_link')),
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now()
);
create index user_tokens_user_idx on user_tokens (user_id, purpose);

-- The transactional outbox: written with the state that needs the email, delivered by the worker.
create table email_outbox (
  id              bigserial primary key,
  to_address      text not null,
  subject         text not null,
  body_text       text,
  kind            text not null,
  status          text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  created_at      timestamptz not null default now(),
  sent_at         timestamptz
);
create index email_outbox_due_idx on email_outbox (next_attempt_at) where status = 'pending';
