-- Sessions and signing keys (issue 11).
--
-- A session is one sign-in of a user or an admin: its access tokens carry its id (`sid`) and its
-- refresh tokens are rows of refresh_tokens. It lives while its row exists and its token_version
-- is the account's (a password change, a reset or a deactivation bumps the account's version and
-- so ends every session at once; the one a password change keeps is moved to the new version).
-- Ending a session deletes its row: the change feed tells every instance, whose request guard
-- then refuses the session's access tokens.

create table sessions (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('user', 'admin')),
  account_id uuid not null,
  token_version integer not null,
  created_at timestamptz not null,
  last_used_at timestamptz not null,
  -- the last time the password was typed for this session: recent-authentication rules read it
  auth_time timestamptz not null,
  -- created_at + SESSION_MAX_TTL: no refresh goes past it
  expires_at timestamptz not null,
  user_agent text,
  ip text
);
create index sessions_account_idx on sessions (kind, account_id, created_at desc);
create index sessions_expiry_idx on sessions (expires_at);

-- Only the SHA-256 of a refresh token is kept. A spent token stays (spent_at) so that presenting
-- it again is recognised: within the grace its successor is answered again, after it the session ends.
create table refresh_tokens (
  token_hash text primary key,
  session_id uuid not null references sessions (id) on delete cascade,
  created_at timestamptz not null,
  spent_at timestamptz
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

-- Ed25519 keys that sign access tokens. The private key is encrypted (AES-256-GCM) under a key
-- derived from KEY_ENCRYPTION_SECRET; the public one is published at /.well-known/jwks.json until
-- the last token it signed has expired. The newest key signs.
create table signing_keys (
  kid text primary key,
  algorithm text not null check (algorithm = 'EdDSA'),
  public_jwk jsonb not null,
  private_key text not null,
  created_at timestamptz not null,
  -- when a newer key took over: published until superseded_at + the longest access-token life
  superseded_at timestamptz
);
create index signing_keys_created_idx on signing_keys (created_at desc);

-- the change feed (0009): an ended session, and any change of the signing keys
create trigger sessions_change_feed after delete or update on sessions
  for each row execute function notify_row_change();
create trigger signing_keys_change_feed after insert or update or delete on signing_keys
  for each statement execute function notify_table_change();
