-- The change feed: every committed change to a row other instances may hold in memory is
-- announced on one channel, so their caches are dropped at once (src/db/changes.ts).
-- NOTIFY is transactional: delivered when the change commits, never for a rollback.
-- Payload: '<table>:<id>' (row-level) or '<table>:' (the whole table).

create function notify_row_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('sociox_changes', tg_table_name || ':' || (case when tg_op = 'DELETE' then old.id else new.id end)::text);
  return null;
end $$;

create function notify_table_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('sociox_changes', tg_table_name || ':');
  return null;
end $$;

-- an account's status, token_version, permissions or profile: the request guard's cached row
create trigger users_change_feed after update or delete on users
  for each row execute function notify_row_change();

-- the plan catalogue: the cached public plan list
create trigger plans_change_feed after insert or update or delete on plans
  for each statement execute function notify_table_change();
