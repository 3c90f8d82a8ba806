-- What the system tells a user (subscription events, organisation membership, password changes).
create table notifications (
  id          uuid primary key default gen_random_uuid(),
  -- insertion order, to order notifications written in the same instant
  seq         bigint generated always as identity,
  user_id     uuid not null references users (id) on delete cascade,
  kind        text not null,
  message     text not null,
  read_at     timestamptz,
  created_at  timestamptz not null default now()
);
create index notifications_user_created_idx on notifications (user_id, created_at desc, seq desc);
create index notifications_user_unread_idx on notifications (user_id) where read_at is null;
