-- The admins' user directory (GET /api/v1/admin/users) at a million accounts: newest first by
-- keyset and the status/role filters have their indexes (0002); this adds the case-insensitive
-- substring search on email and name.
-- pg_trgm ships with PostgreSQL (contrib; "trusted", so a database owner may create it) and
-- with PGlite (loaded in src/db/pglite.ts).
create extension if not exists pg_trgm;

create index users_email_trgm_idx on users using gin (lower(email) gin_trgm_ops);
create index users_name_trgm_idx on users using gin (lower(name) gin_trgm_ops);
