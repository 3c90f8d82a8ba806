-- The change feed (0009) also announces what the request guard's neighbours read from memory:
-- a user row's change concerns its parent too (the parent's list of child users), inserts
-- included; and a change of a user's notifications concerns that user's cached notification pages.

create function notify_user_change() returns trigger language plpgsql as $$
declare
  r users;
begin
  if tg_op = 'DELETE' then r := old; else r := new; end if;
  perform pg_notify('sociox_changes', 'users:' || r.id::text);
  if r.parent_id is not null then
    perform pg_notify('sociox_changes', 'users:' || r.parent_id::text);
  end if;
  if tg_op = 'UPDATE' and old.parent_id is not null and old.parent_id is distinct from new.parent_id then
    perform pg_notify('sociox_changes', 'users:' || old.parent_id::text);
  end if;
  return null;
end $$;

drop trigger users_change_feed on users;
create trigger users_change_feed after insert or update or delete on users
  for each row execute function notify_user_change();

-- one announcement per user a statement touched (the renewal pass notifies thousands at once)
create function notify_notification_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('sociox_changes', 'notifications:' || u.user_id::text) from (select distinct user_id from changed) u;
  return null;
end $$;

create trigger notifications_insert_feed after insert on notifications
  referencing new table as changed for each statement execute function notify_notification_change();
create trigger notifications_update_feed after update on notifications
  referencing new table as changed for each statement execute function notify_notification_change();
create trigger notifications_delete_feed after delete on notifications
  referencing old table as changed for each statement execute function notify_notification_change();
