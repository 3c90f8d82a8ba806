-- Failed logins counted per account AND client IP (scope = the IP), plus one account-wide row
-- (scope = '*') for distributed guessing. Counting per account alone let anyone lock anyone out.
-- No foreign key: the account is a user or an admin (account_kind says which table).
create table login_failures (
  account_kind  text not null check (account_kind in ('users', 'admins')),
  account_id    uuid not null,
  scope         text not null,
  failures      integer not null,
  window_start  timestamptz not null,
  primary key (account_kind, account_id, scope)
);
create index login_failures_window_idx on login_failures (window_start);

-- The counters moved to login_failures.
alter table users drop column failed_logins, drop column failed_login_window_start;
alter table admins drop column failed_logins, drop column failed_login_window_start;

-- Password-reset budget per account, across every OTP it is sent: a new OTP must not bring a
-- fresh set of guesses, and forgot-password must not become a way to flood someone's inbox.
create table password_reset_budget (
  user_id             uuid primary key references users (id) on delete cascade,
  sent                integer not null default 0,
  sent_window_start   timestamptz,
  wrong               integer not null default 0,
  wrong_window_start  timestamptz
);
