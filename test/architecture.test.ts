/**
 * The house rules of docs/ARCHITECTURE.md, checked on the source: each table has one owning room
 * and only that room writes it; src/http knows no domain; no file in src/ over 300 lines. A new
 * table without an owner here, or a write from the wrong room, fails the suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

/** table → the one directory (under src/) whose files may write it */
const OWNERS: Record<string, string> = {
  users: 'modules/users',
  user_tokens: 'modules/users',
  admins: 'modules/admins',
  audit_log: 'modules/audit',
  notifications: 'modules/notifications',
  organisations: 'modules/organisations',
  organisation_members: 'modules/organisations',
  plans: 'modules/plans',
  subscriptions: 'modules/subscriptions',
  subscription_events: 'modules/subscriptions',
  idempotency_keys: 'modules/subscriptions',
  password_reset_otps: 'modules/auth',
  login_failures: 'modules/auth',
  password_reset_budget: 'modules/auth',
  email_outbox: 'modules/email',
  sessions: 'modules/sessions',
  refresh_tokens: 'modules/sessions',
  signing_keys: 'modules/keys',
  webhook_endpoints: 'modules/webhooks',
  webhook_events: 'modules/webhooks',
  webhook_deliveries: 'modules/webhooks',
  rate_limit_hits: 'http/rate-limit-store.ts',
  schema_migrations: 'db/migrate.ts',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const files = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

function tablesOfMigrations(): string[] {
  const sql = [
    ...readdirSync(join(SRC, 'db', 'migrations')).map((f) => readFileSync(join(SRC, 'db', 'migrations', f), 'utf8')),
    readFileSync(join(SRC, 'db', 'migrate.ts'), 'utf8'),
  ].join('\n');
  return [...sql.matchAll(/create (?:unlogged )?table (?:if not exists )?([a-z_]+)/gi)].map((m) => m[1]!.toLowerCase());
}

describe('architecture', () => {
  it('every table the migrations create has one owner', () => {
    const tables = tablesOfMigrations();
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter((t) => !(t in OWNERS))).toEqual([]);
    expect(Object.keys(OWNERS).filter((t) => !tables.includes(t))).toEqual([]);
  });

  it('UPDATE, INSERT INTO and DELETE FROM on a table appear only in its owning room', () => {
    const offences: string[] = [];
    let writes = 0;
    for (const { path, text } of files) {
      for (const m of text.matchAll(/\b(update|insert\s+into|delete\s+from)\s+([a-z_]+)/gi)) {
        const table = m[2]!.toLowerCase();
        const owner = OWNERS[table];
        if (!owner) continue; // prose ("update the plan") or a CTE name
        writes++;
        if (path !== owner && !path.startsWith(`${owner}/`)) offences.push(`${path}: ${m[0]} (owned by ${owner})`);
      }
    }
    expect(writes).toBeGreaterThan(40);
    expect(offences).toEqual([]);
  });

  it('src/http imports nothing from src/modules', () => {
    const offending = files.filter((f) => f.path.startsWith('http/') && /from '\.\.\/modules\//.test(f.text)).map((f) => f.path);
    expect(files.some((f) => f.path.startsWith('http/'))).toBe(true);
    expect(offending).toEqual([]);
  });

  it('no module calls another module’s repository (its row types may be named)', () => {
    const offences: string[] = [];
    let crossTypeImports = 0;
    for (const { path, text } of files) {
      const own = path.match(/^modules\/([^/]+)\//)?.[1];
      if (!own) continue;
      for (const m of text.matchAll(/import (type )?\{[^}]*\} from '\.\.\/([^/]+)\/([a-z-]*repository)\.js'/g)) {
        if (m[2] === own) continue;
        if (m[1]) crossTypeImports++;
        else offences.push(`${path} imports ${m[2]}/${m[3]}`);
      }
    }
    expect(crossTypeImports).toBeGreaterThan(0); // the pattern sees imports at all
    expect(offences).toEqual([]);
  });

  it('no file in src/ is over 300 lines', () => {
    const long = files.map((f) => ({ path: f.path, lines: f.text.split('\n').length })).filter((f) => f.lines > 300);
    expect(long).toEqual([]);
  });
});
