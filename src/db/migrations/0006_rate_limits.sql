-- Per-client counters of the credential rate limit, shared by every instance on one server.
-- Unlogged: a counter lost in a crash costs nothing, and writes skip the WAL.
create unlogged table rate_limit_hits (
  key         text primary key,
  hits        integer not null,
  window_end  timestamptz not null
);
create index rate_limit_hits_window_idx on rate_limit_hits (window_end);
