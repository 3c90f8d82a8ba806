-- The admins' user search (GET /api/v1/admin/users?search=) finds the accounts where a word of the
-- email or name begins with the term (DECISIONS "Admin user management"), through a word index
-- whose cost does not grow with the number of accounts the way 0010's trigram posting lists did
-- (issue 10's bench: a part of an email cost 1 ms per query at a million accounts through the
-- trigram indexes, 0.1 ms through this one).
--
-- Words are split at ASCII spaces and punctuation only, so the split is the same under every
-- database locale (a C-locale database does not count "é" as alphanumeric); every other character
-- is part of a word. The term is split by the same expression in the same database. (The
-- functions call only built-ins: PostgreSQL 17 builds an index with search_path = pg_catalog.)
--
-- Beside its words, an account is indexed under the first three letters of each word ('~' and
-- the three: no word holds a '~'), so that the last, unfinished word of a longer term is an exact
-- index entry too: an exact entry is skipped through from the rarest entry of the query, where a
-- prefix entry ("com:*") would gather every account with a matching word first (15 ms at a million).

create function user_search_words(email text, name text) returns tsvector
  language sql immutable parallel safe as $$
    select array_to_tsvector(w || array(select '~' || left(x, 3) from unnest(w) x where length(x) >= 3))
    from (select array_remove(regexp_split_to_array(lower(email || ' ' || coalesce(name, '')),
                                                    '[\x01-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F]+'), '') as w) words
  $$;

-- What the index is asked: a one-word term is a word's beginning ('term':*); in a longer term,
-- every word but the last is a whole word of the account (a separator follows it in the term, so
-- one follows it in the match) and the last begins with its first three letters (shorter: left to
-- the recheck). The caller rechecks the term itself. Null when the term has no word (only spaces
-- and punctuation): the caller searches by substring.
create function user_search_query(term text) returns tsquery
  language sql immutable parallel safe as $$
    select case
      when n = 0 then null
      when n = 1 then ('''' || w[1] || ''':*')::tsquery
      else ('''' || array_to_string(w[1:n - 1], ''' & ''') || ''''
            || case when length(w[n]) >= 3 then ' & ''~' || left(w[n], 3) || '''' else '' end)::tsquery
    end
    from (select w, cardinality(w) as n
          from (select array_remove(regexp_split_to_array(lower(term), '[\x01-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F]+'), '') as w) s) words
  $$;

create index users_search_words_idx on users using gin (user_search_words(email, name));

drop index users_email_trgm_idx;
drop index users_name_trgm_idx;
