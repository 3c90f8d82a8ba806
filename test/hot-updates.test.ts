/**
 * A sign-in's updates stay on their row's page (migration 0015): with the default fillfactor the
 * inserts fill a page to the brim, and the first update of a row moved it to another page and added
 * an entry to every index of the table (eight on users). What is checked is the row's page before
 * and after the very statements a login and a refresh run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.js';
import { usersRepository } from '../src/modules/users/repository.js';
import { Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await Harness.create();
  await h.reset();
}, 60_000);
afterAll(() => h.close());

/** The heap page a row is on (the first half of its ctid). */
async function pageOf(db: Db, table: string, where: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ page: string }>(
    `select (ctid::text::point)[0]::int::text as page from ${table} where ${where}`,
    params,
  );
  return Number(rows[0]!.page);
}

describe('room for the updates of a sign-in', () => {
  it('a login’s last_login_at is written on the page the user was inserted on, with others inserted after it', async () => {
    // 200 accounts of a realistic size: the first pages are filled as far as the fillfactor lets them
    await h.db.query(
      `insert into users (email, password_hash, name, first_name, last_name)
       select 'page.filler.' || g || '@example.com', '$argon2id$v=19$m=19456,t=2,p=1$' || repeat('x', 22) || '$' || repeat('y', 43),
              'Page Filler ' || g, 'Page', 'Filler ' || g
       from generate_series(1, 200) g`,
    );
    const first = 'page.filler.1@example.com';
    const { rows } = await h.db.query<{ id: string }>('select id from users where email = $1', [first]);
    const id = rows[0]!.id;
    expect(await pageOf(h.db, 'users', 'id = $1', [id])).toBe(0);
    // the page is not a lone row's: the account inserted next is on it too
    expect(await pageOf(h.db, 'users', 'email = $1', ['page.filler.2@example.com'])).toBe(0);
    const { sql, params } = usersRepository.recordLogin(id, new Date());
    await h.db.query(sql, params);
    expect(await pageOf(h.db, 'users', 'id = $1', [id])).toBe(0);
  });

  it('the tables a refresh updates leave the same room', async () => {
    const { rows } = await h.db.query<{ relname: string; reloptions: string[] | null }>(
      `select relname, reloptions from pg_class where relname in ('users', 'sessions', 'refresh_tokens') order by relname`,
    );
    expect(rows).toEqual([
      { relname: 'refresh_tokens', reloptions: ['fillfactor=90'] },
      { relname: 'sessions', reloptions: ['fillfactor=90'] },
      { relname: 'users', reloptions: ['fillfactor=90'] },
    ]);
  });
});
