-- HNG organisations: a user creates one and alone may change it, delete it, add and remove members.
create table organisations (
  id          uuid primary key default gen_random_uuid(),
  name        text not null check (length(name) between 1 and 100),
  description text check (length(description) <= 1000),
  -- deleting the creator's account deletes what it created (the service notifies the members first)
  creator_id  uuid not null references users (id) on delete cascade,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index organisations_creator_idx on organisations (creator_id, created_at);

-- Members other than the creator. The primary key is the guarantee that a user joins an
-- organisation once: two concurrent adds insert one row, and the other add finds the conflict.
create table organisation_members (
  organisation_id uuid not null references organisations (id) on delete cascade,
  user_id         uuid not null references users (id) on delete cascade,
  created_at      timestamptz not null default now(),
  primary key (organisation_id, user_id)
);
create index organisation_members_user_idx on organisation_members (user_id);
