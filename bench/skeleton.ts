/**
 * The limit skeleton of issue 10: the least an authenticated read can do on this machine. A
 * Fastify 5 server (logger off) with one route, `GET /me`: verify an HS256 JWT with jose (the key
 * imported once), one primary-key lookup in a `users` table of SKELETON_USERS rows (default
 * 100,000, seeded on first start), serialise with a response schema. `npm run bench` starts it on
 * the same kind of database as the service and reads "this service ÷ skeleton" from it.
 *
 *   SKELETON_DATA_DIR=/tmp/skel PORT=5099 JWT_SECRET=… npx tsx bench/skeleton.ts          # embedded PGlite
 *   SKELETON_DATABASE_URL=postgres://…/skel PORT=5099 JWT_SECRET=… npx tsx bench/skeleton.ts  # PostgreSQL (pool max 10)
 *
 * User i has id md5('u' || i)::uuid and token_version 1 (bench/lib/skeleton-users.ts signs its token).
 * `--seed-only`: create and seed the table, then exit.
 */
import { createSecretKey } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import pg from 'pg';

interface Store {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function openStore(): Promise<Store> {
  const url = process.env.SKELETON_DATABASE_URL;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on('error', () => {});
    return { query: async (sql, params) => (await pool.query(sql, params)).rows, close: () => pool.end() };
  }
  const dataDir = process.env.SKELETON_DATA_DIR;
  if (!dataDir) throw new Error('set SKELETON_DATA_DIR (embedded PGlite) or SKELETON_DATABASE_URL (PostgreSQL)');
  const db = new PGlite({ dataDir });
  await db.waitReady;
  return { query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows, close: () => db.close() };
}

/** The service's users table, column for column (src/db/migrations/0001_identity.sql, 0007). */
const DDL = `create table if not exists users (
  id uuid primary key, email text not null, password_hash text not null, name text not null,
  first_name text not null, last_name text not null, phone text, picture text,
  role text not null default 'parent', parent_id uuid, permissions text[] not null default '{}',
  status text not null default 'active', token_version integer not null default 1,
  last_login_at timestamptz, created_at timestamptz not null default now(), updated_at timestamptz not null default now(),
  password_reset_required boolean not null default false)`;

async function seed(store: Store, n: number): Promise<void> {
  await store.query(DDL);
  const [{ count } = { count: 0 }] = await store.query<{ count: number }>('select count(*)::int as count from users');
  if (count >= n) return;
  await store.query(
    `insert into users (id, email, password_hash, name, first_name, last_name, last_login_at, created_at, updated_at)
     select md5('u' || i)::uuid, 'user' || i || '@example.com',
            '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aW52YWxpZGhhc2hpbnZhbGlkaGFzaGludmFsaWRoYXNo',
            'User ' || i, 'User', i::text, now(), now() - i * interval '1 minute', now()
     from generate_series($1::int, $2::int) as i`,
    [count + 1, n],
  );
  await store.query('analyze users');
}

const nullable = (type: string, format?: string) => ({ anyOf: [{ type, ...(format ? { format } : {}) }, { type: 'null' }] });
const User = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    name: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    phone: nullable('string'),
    picture: nullable('string'),
    role: { type: 'string' },
    parent_id: nullable('string', 'uuid'),
    permissions: { type: 'array', items: { type: 'string' } },
    status: { type: 'string' },
    last_login_at: nullable('string', 'date-time'),
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;
const Reply = { type: 'object', properties: { status: { type: 'boolean' }, message: { type: 'string' }, data: User } } as const;

interface UserRow {
  id: string;
  status: string;
  token_version: number;
}

async function main(): Promise<void> {
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new Error('set JWT_SECRET');
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const store = await openStore();
  await seed(store, Number(process.env.SKELETON_USERS ?? 100_000));
  if (process.argv.includes('--seed-only')) {
    // the bench seeds in a process of its own, so the measured one starts on a settled database
    await store.close();
    return;
  }

  const app = Fastify({ logger: false });
  const unauthenticated = { status: false, message: 'Authentication required' };
  app.get('/me', { schema: { response: { 200: Reply, 401: Reply } } }, async (request, reply) => {
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) return reply.code(401).send(unauthenticated);
    let sub: string;
    let ver: unknown;
    try {
      const { payload } = await jwtVerify(header.slice(7), key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      sub = payload.sub!;
      ver = payload.ver;
    } catch {
      return reply.code(401).send(unauthenticated);
    }
    const [user] = await store.query<UserRow>(
      `select id, email, name, first_name, last_name, phone, picture, role, parent_id, permissions, status, token_version,
              last_login_at, created_at, updated_at
       from users where id = $1`,
      [sub],
    );
    if (!user || user.token_version !== ver || user.status !== 'active') return reply.code(401).send(unauthenticated);
    return { status: true, message: 'ok', data: user };
  });

  await app.listen({ port: Number(process.env.PORT ?? 5099), host: process.env.HOST ?? '127.0.0.1' });
  const stop = async () => {
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
