/**
 * Seed data for the service's database, set-based (generate_series), so 1,000,000 users take one
 * statement per 100,000. Users are numbered: user i has a name, an email and a creation time
 * derived from i alone, so the bench knows who exists without asking, and the table can grow
 * (10k → 100k → 1M) between runs.
 */
import { Algorithm, hash } from '@node-rs/argon2';
import type { Db } from '../../src/db/index.js';
import { NOTIFICATION_KINDS } from '../../src/modules/notifications/kinds.js';

export const PASSWORD = 'correct horse battery staple';

/** What src/modules/auth/passwords.ts does at the production cost (PASSWORD_HASH_* defaults). */
export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function productionHash(password = PASSWORD): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Margaret',
  'Linus',
  'Radia',
  'Ken',
  'Frances',
  'Dennis',
  'Katherine',
  'John',
  'Sophie',
  'Tim',
  'Hedy',
  'Niklaus',
  'Shafi',
  'Leslie',
  'Amina',
  'Chidi',
  'Ngozi',
  'Kwame',
  'Yuki',
  'Hiro',
  'Mei',
  'Wei',
  'Priya',
  'Arjun',
  'Lucia',
  'Mateo',
  'Ingrid',
  'Lars',
  'Fatima',
  'Omar',
  'Elena',
  'Ivan',
  'Chloe',
  'Noah',
] as const;
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Hamilton',
  'Torvalds',
  'Perlman',
  'Thompson',
  'Allen',
  'Ritchie',
  'Johnson',
  'McCarthy',
  'Wilson',
  'Berners',
  'Lamarr',
  'Wirth',
  'Goldwasser',
  'Lamport',
  'Okafor',
  'Adeyemi',
  'Mensah',
  'Tanaka',
  'Sato',
  'Chen',
  'Wang',
  'Sharma',
  'Patel',
  'Garcia',
  'Rossi',
  'Larsen',
  'Hansen',
  'Haddad',
  'Nasser',
  'Petrova',
  'Ivanov',
  'Dubois',
  'Martin',
  'Smith',
] as const;
const DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'proton.me', 'icloud.com', 'example.org', 'acme.io', 'fastmail.com'] as const;

/** User i's email, as the seed SQL writes it. */
export function emailOf(i: number): string {
  return `${FIRST[i % FIRST.length]}.${LAST[Math.floor(i / FIRST.length) % LAST.length]}.${i}@${DOMAINS[Math.floor(i / 7) % DOMAINS.length]}`.toLowerCase();
}

/** user i is deactivated when i % 97 = 0 (about 1%) */
export const isActive = (i: number) => i % 97 !== 0;

/** The parent whose reads are measured: 3 children, 30 notifications (10 unread). */
export const READER = { email: 'bench.reader@example.com', name: 'Bench Reader' };

type SeedDb = Pick<Db, 'query' | 'exec'>;

const BATCH = 100_000;

/** Users from+1..to (numbered), plus one notification for every tenth of them. */
export async function seedUsers(db: SeedDb, from: number, to: number, passwordHash: string, log: (s: string) => void): Promise<void> {
  for (let lo = from + 1; lo <= to; lo += BATCH) {
    const hi = Math.min(to, lo + BATCH - 1);
    // one statement per batch: the users, and a welcome notification for about one in ten of them
    await db.query(
      `with ins as (
         insert into users (email, password_hash, name, first_name, last_name, status, last_login_at, created_at, updated_at)
         select lower(x.f || '.' || x.l || '.' || i || '@' || x.d), $1, x.f || ' ' || x.l, x.f, x.l,
                case when i % 97 = 0 then 'deactivated' else 'active' end,
                case when i % 3 = 0 then x.ts + interval '1 day' end, x.ts, x.ts
         from generate_series($2::int, $3::int) as i,
         lateral (select ($4::text[])[1 + i % ${FIRST.length}] as f,
                         ($5::text[])[1 + (i / ${FIRST.length}) % ${LAST.length}] as l,
                         ($6::text[])[1 + (i / 7) % ${DOMAINS.length}] as d,
                         now() - ((i::bigint * 7919) % 94608000) * interval '1 second' as ts) as x
         returning id, created_at)
       insert into notifications (user_id, kind, message, read_at, created_at)
       select id, $7, 'Welcome to SocioX', case when random() < 0.5 then created_at end, created_at
       from ins where random() < 0.1`,
      [passwordHash, lo, hi, FIRST, LAST, DOMAINS, NOTIFICATION_KINDS[0]],
    );
    log(`  users ${lo}..${hi} inserted`);
  }
}

/** The reader (a parent with 3 children and 30 notifications); returns nothing the bench needs but the email. */
export async function seedReader(db: SeedDb, passwordHash: string): Promise<void> {
  const { rows } = await db.query<{ id: string }>(
    `insert into users (email, password_hash, name, first_name, last_name, phone, last_login_at)
     values ($1, $2, $3, 'Bench', 'Reader', '+15550100001', now()) returning id`,
    [READER.email, passwordHash, READER.name],
  );
  const id = rows[0]!.id;
  await db.query(
    `insert into users (email, password_hash, name, first_name, last_name, role, parent_id, permissions)
     select 'bench.reader.child' || i || '@example.com', $1, 'Child ' || i || ' Reader', 'Child ' || i, 'Reader', 'child', $2,
            '{create_posts,schedule_posts,view_analytics}'
     from generate_series(1, 3) as i`,
    [passwordHash, id],
  );
  await db.query(
    `insert into notifications (user_id, kind, message, read_at, created_at)
     select $1, ($2::text[])[1 + i % array_length($2::text[], 1)], 'Notification number ' || i || ' for the reader',
            case when i > 10 then now() - interval '1 hour' end, now() - i * interval '1 hour'
     from generate_series(1, 30) as i`,
    [id, NOTIFICATION_KINDS],
  );
}

/**
 * Statistics and the visibility map, as autovacuum would have them on a live database; then a
 * checkpoint, so the seed's dirty pages (a million rows: hundreds of MB) are written now and not
 * by the checkpointer while the next target is measured (it had taken a core from the 1M admin
 * rounds: every query 10–40% slower in the last round). Where CHECKPOINT is not allowed (a role
 * without pg_checkpoint), the run goes on and says so.
 */
export async function vacuumAnalyze(db: SeedDb, log: (line: string) => void = () => {}): Promise<void> {
  await db.exec('vacuum analyze users');
  await db.exec('vacuum analyze notifications');
  await db.exec('checkpoint').catch((err: unknown) => log(`  (no checkpoint after seeding: ${err instanceof Error ? err.message : err})`));
}
