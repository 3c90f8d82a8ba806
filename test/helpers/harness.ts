import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type App, buildApp } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/types.js';
import { type Mailer, MemoryMailer } from '../../src/modules/email/mailer.js';
import { buildServices } from '../../src/services.js';
import { acquireTestDatabase, createTestDatabase, type TestDatabase, truncateAll } from './database.js';

export const TEST_ENV = {
  NODE_ENV: 'test',
  JWT_SECRET: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
  KEY_ENCRYPTION_SECRET: 'test-key-encryption-0123456789-abcdefghijklmnop',
  // an hour, as before sessions: tests about other things move the test clock by minutes and keep
  // their tokens; the session tests (test/sessions*.test.ts) use the 15-minute default
  ACCESS_TOKEN_TTL: '1h',
  APP_URL: 'https://app.example.test',
  RATE_LIMIT_PER_MINUTE: '100000',
  FORGOT_PASSWORD_MIN_MS: '0',
  // generous, so tests about other things can add children freely; entitlement tests set their own
  DEFAULT_TEAM_MEMBERS: '100',
  DATA_DIR: '/tmp/sociox-test-data',
  // argon2's cheapest cost: every register and login hashes, and the suite is not about argon2's
  // strength (test/password-cost.test.ts checks the production cost end to end)
  PASSWORD_HASH_MEMORY_KIB: '8',
  PASSWORD_HASH_ITERATIONS: '1',
};

export interface Response {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/**
 * With `isolate: false` (vitest.config.ts) a worker runs its files one after another. On the
 * embedded database, the app a file built with the default settings is kept, with its database,
 * for the worker's next such file, which gets it with the database emptied, the clock set to now
 * and the mailer cleared: building an app compiles every route's schemas (~0.3 s of CPU).
 */
let spare: Harness | null = null;

/** The app on a real database, a settable clock and a mailer that keeps what it sends. */
export class Harness {
  private constructor(
    readonly app: App,
    readonly db: Db,
    readonly testDb: TestDatabase,
    readonly clock: ManualClock,
    readonly mailer: MemoryMailer,
    readonly config: Config,
    /** built with the default settings (TEST_ENV, no mailer, logger or hook of the file's own) */
    private readonly plain = false,
    /**
     * Every app on this database, this one and its siblings: `reset()` empties the tables with no
     * change notification (TRUNCATE fires no row trigger, and PGlite's DELETE runs with triggers
     * off), so each of them drops what it keeps in memory, not only this one (a sibling still
     * signing with a key the reset deleted was a flaky 401).
     */
    private readonly family: Set<App> = new Set([app]),
  ) {}

  static async database(): Promise<TestDatabase> {
    return createTestDatabase();
  }

  /** One per test file (on the worker's embedded database, emptied: see acquireTestDatabase); `reset()` between tests. */
  static async create(
    options: {
      env?: Record<string, string>;
      mailer?: Mailer;
      testDb?: TestDatabase;
      logger?: pino.Logger;
      beforeReady?: (app: App) => void;
    } = {},
  ): Promise<Harness> {
    const plain = Object.values(options).every((o) => o === undefined) && !process.env.DATABASE_URL;
    const kept = spare;
    spare = null;
    if (kept && plain && (await kept.recycle())) return kept;
    // another kind of harness: the kept app goes, its database is handed on
    if (kept) await kept.dispose();
    const testDb = options.testDb ?? (await acquireTestDatabase());
    const config = loadConfig({ ...TEST_ENV, ...options.env });
    const clock = new ManualClock(new Date());
    const mailer = new MemoryMailer();
    const app = await buildApp(
      buildServices({ config, db: testDb.db, clock, mailer: options.mailer ?? mailer, log: options.logger ?? pino({ level: 'silent' }) }),
    );
    options.beforeReady?.(app);
    await app.ready();
    return new Harness(app, testDb.db, testDb, clock, mailer, config, plain);
  }

  /** Another app instance on the same database (a second server, or other settings). */
  async sibling(env: Record<string, string> = {}, mailer?: Mailer, logger?: pino.Logger): Promise<Harness> {
    const config = loadConfig({ ...TEST_ENV, ...env });
    const m = new MemoryMailer();
    const app = await buildApp(
      buildServices({ config, db: this.db, clock: this.clock, mailer: mailer ?? m, log: logger ?? pino({ level: 'silent' }) }),
    );
    await app.ready();
    this.family.add(app);
    return new Harness(app, this.db, this.testDb, this.clock, m, config, false, this.family);
  }

  /** After writing with SQL straight to the database: waits until the app's caches have heard of it. */
  async settle(): Promise<void> {
    await this.app.changes.sync();
  }

  async reset(): Promise<void> {
    await truncateAll(this.db);
    for (const app of this.family) app.changes.reset();
    this.mailer.clear();
    this.clock.set(new Date());
  }

  async close(): Promise<void> {
    if (spare === this) return;
    // an app that listened on a port is not handed on: its server would stay open
    if (this.plain && spare === null && !this.app.server.listening) {
      spare = this;
      return;
    }
    await this.dispose();
  }

  private async dispose(): Promise<void> {
    await this.app.close();
    await this.testDb.drop();
  }

  /** Makes a kept harness as good as new for the next file; false (and closed) when it cannot be. */
  private async recycle(): Promise<boolean> {
    try {
      await this.app.worker.stop();
      await this.db.exec('discard all');
      await truncateAll(this.db, { storage: true });
      // DISCARD ALL also ends every LISTEN of the connection: the feed listens again
      await this.app.changes.stop();
      await this.app.changes.start();
      // the last file's siblings are closed: this file starts with its own app alone
      this.family.clear();
      this.family.add(this.app);
    } catch {
      await this.dispose().catch(() => {});
      return false;
    }
    this.mailer.clear();
    this.clock.set(new Date());
    return true;
  }

  async request(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, json: () => res.json() };
  }

  get(url: string, token?: string) {
    return this.request('GET', url, { token });
  }
  post(url: string, body?: unknown, token?: string) {
    return this.request('POST', url, { body, token });
  }
  put(url: string, body?: unknown, token?: string) {
    return this.request('PUT', url, { body, token });
  }
  patch(url: string, body?: unknown, token?: string) {
    return this.request('PATCH', url, { body, token });
  }
  delete(url: string, token?: string, body?: unknown) {
    return this.request('DELETE', url, { token, body });
  }

  /** Registers a parent through the API and returns its credentials. */
  async registerUser(overrides: Record<string, unknown> = {}): Promise<TestUser> {
    const email = (overrides.email as string) ?? uniqueEmail();
    const password = (overrides.password as string) ?? 'correct horse battery';
    const res = await this.post('/api/v1/auth/register', { name: 'Test User', email, password, ...overrides });
    if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
    const body = res.json();
    return { id: body.data.user.id, email: email.toLowerCase(), password, token: body.token };
  }

  async createChild(parent: TestUser, overrides: Record<string, unknown> = {}): Promise<TestUser> {
    const email = (overrides.email as string) ?? uniqueEmail('child');
    const password = 'child password 1';
    const res = await this.post(
      '/api/users/child-users',
      { name: 'Child User', email, password, permissions: ['create_posts'], ...overrides },
      parent.token,
    );
    if (res.statusCode !== 201) throw new Error(`child failed: ${res.statusCode} ${res.body}`);
    const login = await this.post('/api/v1/auth/login', { email, password });
    return { id: res.json().data.id, email, password, token: login.json().token };
  }

  /** Runs one worker pass: emails in the outbox are handed to the mailer. */
  async deliver(): Promise<void> {
    await this.app.worker.runOnce();
  }

  /** The six digits of the latest reset email to `email`, after delivery. */
  async otpFor(email: string): Promise<string> {
    await this.deliver();
    const mail = this.mailer.last(email);
    const otp = mail?.text.match(/\b(\d{6})\b/)?.[1];
    if (!otp) throw new Error(`no OTP email for ${email}`);
    return otp;
  }
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${Date.now().toString(36)}.${(counter++).toString(36)}.r${randomBytes(3).toString('hex')}@example.com`;
}
