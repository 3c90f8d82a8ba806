-- Room on each page for the updates a sign-in makes (issue 10).
--
-- Every login sets users.last_login_at; a refresh sets sessions.last_used_at and spends a
-- refresh_tokens row. None of those columns is indexed, so PostgreSQL can write the new row version
-- on the same page and touch no index (a HOT update), but only if the page has room. At the default
-- fillfactor (100) a page is filled to the brim by inserts, so the first such update of a row moved
-- it to another page and inserted a new entry in every index: eight on users, one of them the GIN
-- word index. Measured on PostgreSQL 15 with 1,000,000 users (EXPLAIN ANALYZE, each in a new
-- connection): ~112 buffers and 2.6-4.1 ms, against 35 buffers and 1.4-1.9 ms for the same update
-- with room on the page; on the embedded database with 100,000 users, 0.67 against 0.39 ms.
-- 90 leaves room for about two more versions of a users row per page; pages written before this
-- migration get room as vacuum frees it.
alter table users set (fillfactor = 90);
alter table sessions set (fillfactor = 90);
alter table refresh_tokens set (fillfactor = 90);
