-- Undoing an email change: the old address gets a single-use link that restores it (issue 8).
alter table user_tokens drop constraint user_tokens_purpose_check;
alter table user_tokens add constraint user_tokens_purpose_check
  check (purpose in ('delete_account', 'password_reset_link', 'revert_email'));
-- the address a revert link gives back: each link restores the address it was sent to
alter table user_tokens add column restore_email text;
alter table user_tokens add constraint user_tokens_restore_email_check
  check ((purpose = 'revert_email') = (restore_email is not null));

-- set by a revert (whoever changed the email may know the password); cleared by any new password
alter table users add column password_reset_required boolean not null default false;
