-- Staff accounts live apart from customer accounts (contract §1).
create table admins (
  id              uuid primary key default gen_random_uuid(),
  email           text not null check (email = lower(email) and length(email) between 3 and 254),
  password_hash   text not null,
  name            text not null,
  role            text not null default 'admin' check (role in ('admin', 'superadmin')),
  permissions     text[] not null default '{}',
  token_version   integer not null default 1,
  failed_logins   integer not null default 0,
  failed_login_window_start timestamptz,
  created_by      uuid references admins (id) on delete set null,
  last_login_at   timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create unique index admins_email_key on admins (lower(email));

-- Every admin action that changes something, written in the same transaction as the change.
create table audit_log (
  id            bigserial primary key,
  -- the admin may be deleted later; their id and email stay on the record
  admin_id      uuid,
  admin_email   text not null,
  action        text not null,
  target_type   text not null,
  target_id     text,
  ip            text,
  detail        jsonb not null default '{}',
  created_at    timestamptz not null default now()
);
create index audit_log_admin_idx on audit_log (admin_id, id desc);
create index audit_log_target_idx on audit_log (target_id, id desc);
create index audit_log_action_idx on audit_log (action, id desc);

-- Admin user listing: newest first with keyset pagination, filtered by status and role.
create index users_created_idx on users (created_at desc, id desc);
create index users_status_created_idx on users (status, created_at desc, id desc);
create index users_role_created_idx on users (role, created_at desc, id desc);
