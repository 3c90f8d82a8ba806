import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** 48 random URL-safe characters: what `openssl rand -base64 36` gives. */
const STRONG_SECRET = randomBytes(36).toString('base64url');
const STRONG_KEY_SECRET = randomBytes(36).toString('base64url');

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sociox-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError loadConfig throws for env, or a failure when it loads. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) loaded, expected a ConfigError`);
}

describe('loadConfig defaults', () => {
  it('uses the documented defaults with an empty environment', () => {
    const dataDir = freshDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 5000,
      dataDir: resolve(dataDir),
      databaseUrl: null,
      smtpUrl: null,
      jobsIntervalMs: 60_000,
      loginMaxFailures: 10,
      loginFailureWindowMs: 15 * 60_000,
      rateLimitPerMinute: 100,
      tokenTtlSeconds: 900,
      sessionIdleTtlSeconds: 30 * 86400,
      sessionMaxTtlSeconds: 90 * 86400,
      tokenAudience: 'sociox',
      superadminEmail: null,
      superadminPassword: null,
      trustProxy: false,
      logLevel: 'info',
      appUrl: 'http://localhost:5000',
    });
  });

  it('drops a trailing slash from APP_URL, so emailed links have a single slash', () => {
    expect(loadConfig({ DATA_DIR: freshDir(), APP_URL: 'https://x.test/' }).appUrl).toBe('https://x.test');
  });

  it('puts the data directory at ./data when DATA_DIR is unset', () => {
    // a JWT_SECRET keeps loadConfig from writing a development secret into ./data
    const config = loadConfig({ JWT_SECRET: STRONG_SECRET, KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET });
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('does not accept an unknown NODE_ENV', () => {
    expect(configError({ NODE_ENV: 'staging', DATA_DIR: freshDir() }).message).toMatch(/NODE_ENV/);
  });
});

describe('the development JWT secret', () => {
  it('is generated, kept in DATA_DIR/jwt-secret with mode 0600, and reused on the next start', () => {
    const dataDir = join(freshDir(), 'nested', 'data'); // created on demand
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, 'jwt-secret');

    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwtSecret);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.jwtSecret).toBe(first.jwtSecret);
  });

  it('differs between data directories', () => {
    const a = loadConfig({ DATA_DIR: freshDir() });
    const b = loadConfig({ DATA_DIR: freshDir() });
    expect(a.jwtSecret).not.toBe(b.jwtSecret);
  });

  it('is not written when JWT_SECRET is given', () => {
    const dataDir = freshDir();
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: STRONG_SECRET, KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET });
    expect(config.jwtSecret).toBe(STRONG_SECRET);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });
});

describe('sessions and signing keys (issue 11)', () => {
  it('ACCESS_TOKEN_TTL defaults to 15 minutes and wins over its old name TOKEN_TTL', () => {
    expect(loadConfig({ DATA_DIR: freshDir() }).tokenTtlSeconds).toBe(900);
    expect(loadConfig({ DATA_DIR: freshDir(), ACCESS_TOKEN_TTL: '5m' }).tokenTtlSeconds).toBe(300);
    expect(loadConfig({ DATA_DIR: freshDir(), ACCESS_TOKEN_TTL: '5m', TOKEN_TTL: '2h' }).tokenTtlSeconds).toBe(300);
    expect(configError({ DATA_DIR: freshDir(), ACCESS_TOKEN_TTL: 'soon' }).message).toMatch(/ACCESS_TOKEN_TTL/);
  });

  it('SESSION_IDLE_TTL (30 days) and SESSION_MAX_TTL (90 days), up to a year, idle no longer than max', () => {
    const config = loadConfig({ DATA_DIR: freshDir() });
    expect(config.sessionIdleTtlSeconds).toBe(30 * 86_400);
    expect(config.sessionMaxTtlSeconds).toBe(90 * 86_400);
    expect(loadConfig({ DATA_DIR: freshDir(), SESSION_MAX_TTL: '365d' }).sessionMaxTtlSeconds).toBe(365 * 86_400);
    expect(configError({ DATA_DIR: freshDir(), SESSION_MAX_TTL: '366d' }).message).toMatch(/SESSION_MAX_TTL/);
    expect(configError({ DATA_DIR: freshDir(), SESSION_IDLE_TTL: '40d', SESSION_MAX_TTL: '30d' }).message).toMatch(/SESSION_IDLE_TTL/);
    expect(configError({ DATA_DIR: freshDir(), ACCESS_TOKEN_TTL: '2h', SESSION_IDLE_TTL: '1h', SESSION_MAX_TTL: '1h' }).message).toMatch(
      /ACCESS_TOKEN_TTL/,
    );
  });

  it('TOKEN_AUDIENCE defaults to sociox', () => {
    expect(loadConfig({ DATA_DIR: freshDir() }).tokenAudience).toBe('sociox');
    expect(loadConfig({ DATA_DIR: freshDir(), TOKEN_AUDIENCE: 'acme-api' }).tokenAudience).toBe('acme-api');
  });

  it('KEY_ENCRYPTION_SECRET: generated and kept under DATA_DIR in development, required and strong in production', () => {
    const dataDir = freshDir();
    const first = loadConfig({ DATA_DIR: dataDir }).keyEncryptionSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(existsSync(join(dataDir, 'key-encryption-secret'))).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir }).keyEncryptionSecret).toBe(first);

    const prodDir = freshDir();
    const missing = configError({ NODE_ENV: 'production', DATA_DIR: prodDir, JWT_SECRET: STRONG_SECRET });
    expect(missing.message).toContain('KEY_ENCRYPTION_SECRET');
    expect(existsSync(join(prodDir, 'key-encryption-secret'))).toBe(false);
    const weak = configError({ NODE_ENV: 'production', DATA_DIR: prodDir, JWT_SECRET: STRONG_SECRET, KEY_ENCRYPTION_SECRET: 'secret' });
    expect(weak.message).toMatch(/KEY_ENCRYPTION_SECRET is too weak/);
    const ok = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: prodDir,
      JWT_SECRET: STRONG_SECRET,
      KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET,
    });
    expect(ok.keyEncryptionSecret).toBe(STRONG_KEY_SECRET);
  });
});

describe('webhooks (issue 12)', () => {
  it('WEBHOOK_ALLOW_PRIVATE is false in production and true otherwise unless set; WEBHOOK_RETENTION_DAYS defaults to 30', () => {
    expect(loadConfig({ DATA_DIR: freshDir() }).webhookAllowPrivate).toBe(true);
    const prod = { NODE_ENV: 'production', DATA_DIR: freshDir(), JWT_SECRET: STRONG_SECRET, KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET };
    expect(loadConfig(prod).webhookAllowPrivate).toBe(false);
    expect(loadConfig({ ...prod, WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ DATA_DIR: freshDir(), WEBHOOK_ALLOW_PRIVATE: 'no' }).webhookAllowPrivate).toBe(false);
    expect(configError({ DATA_DIR: freshDir(), WEBHOOK_ALLOW_PRIVATE: 'maybe' }).message).toMatch(/WEBHOOK_ALLOW_PRIVATE/);
    expect(loadConfig({ DATA_DIR: freshDir() }).webhookRetentionDays).toBe(30);
    expect(configError({ DATA_DIR: freshDir(), WEBHOOK_RETENTION_DAYS: '0' }).message).toMatch(/WEBHOOK_RETENTION_DAYS/);
  });
});

describe('JWT_SECRET in production', () => {
  it('is required', () => {
    const dataDir = freshDir();
    const err = configError({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(err.message).toContain('JWT_SECRET');
    // production never falls back to a generated secret
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });

  it('refuses a well-known default such as "secret"', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: freshDir(), JWT_SECRET: 'secret' });
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).toMatch(/weak/i);
    expect(err.message).toMatch(/well-known/i);
  });

  it('refuses a short secret and says so', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: freshDir(), JWT_SECRET: randomBytes(15).toString('base64url') });
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).toMatch(/weak/i);
    expect(err.message).toMatch(/shorter than 32/);
  });

  it('refuses a long secret with too few distinct characters', () => {
    const err = configError({ NODE_ENV: 'production', DATA_DIR: freshDir(), JWT_SECRET: 'ab'.repeat(24) });
    expect(err.message).toMatch(/distinct/);
  });

  it('accepts a strong 48-character random secret', () => {
    expect(STRONG_SECRET).toHaveLength(48);
    const config = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: freshDir(),
      JWT_SECRET: STRONG_SECRET,
      KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET,
    });
    expect(config.nodeEnv).toBe('production');
    expect(config.jwtSecret).toBe(STRONG_SECRET);
  });
});

describe('invalid settings are refused with a ConfigError', () => {
  it.each(['abc', '-1', '70000', '50.5', '80x'])('PORT=%s', (port) => {
    expect(configError({ DATA_DIR: freshDir(), PORT: port }).message).toMatch(/PORT/);
  });

  it('accepts PORT=0 and a valid port', () => {
    expect(loadConfig({ DATA_DIR: freshDir(), PORT: '8080' }).port).toBe(8080);
    expect(loadConfig({ DATA_DIR: freshDir(), PORT: '0' }).port).toBe(0);
  });

  it.each(['mysql://root@localhost/db', 'http://localhost:5432/db', 'localhost:5432'])('DATABASE_URL=%s', (url) => {
    expect(configError({ DATA_DIR: freshDir(), DATABASE_URL: url }).message).toMatch(/DATABASE_URL/);
  });

  it('accepts postgres:// and postgresql:// DATABASE_URLs', () => {
    for (const url of ['postgres://u:p@db:5432/app', 'postgresql://u@db/app']) {
      expect(loadConfig({ DATA_DIR: freshDir(), DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });

  it('SMTP_URL with another scheme', () => {
    expect(configError({ DATA_DIR: freshDir(), SMTP_URL: 'http://mail:25' }).message).toMatch(/SMTP_URL/);
  });

  it('SUPERADMIN_EMAIL without SUPERADMIN_PASSWORD, and the reverse', () => {
    expect(configError({ DATA_DIR: freshDir(), SUPERADMIN_EMAIL: 'root@example.com' }).message).toMatch(/SUPERADMIN_PASSWORD/);
    expect(configError({ DATA_DIR: freshDir(), SUPERADMIN_PASSWORD: 'long enough password' }).message).toMatch(/SUPERADMIN_EMAIL/);
  });

  it('a superadmin pair loads, the email lower-cased', () => {
    const config = loadConfig({ DATA_DIR: freshDir(), SUPERADMIN_EMAIL: 'Root@Example.com', SUPERADMIN_PASSWORD: 'long enough password' });
    expect(config.superadminEmail).toBe('root@example.com');
    expect(config.superadminPassword).toBe('long enough password');
  });

  it('non-numeric JOBS_INTERVAL_MS, LOGIN_MAX_FAILURES, RATE_LIMIT_PER_MINUTE', () => {
    expect(configError({ DATA_DIR: freshDir(), JOBS_INTERVAL_MS: 'soon' }).message).toMatch(/JOBS_INTERVAL_MS/);
    expect(configError({ DATA_DIR: freshDir(), LOGIN_MAX_FAILURES: '0' }).message).toMatch(/LOGIN_MAX_FAILURES/);
    expect(configError({ DATA_DIR: freshDir(), RATE_LIMIT_PER_MINUTE: 'lots' }).message).toMatch(/RATE_LIMIT_PER_MINUTE/);
  });
});

describe('TOKEN_TTL', () => {
  it.each([
    ['15m', 900],
    ['3600', 3600],
    ['90s', 90],
    ['12h', 43_200],
    ['7d', 604_800],
  ])('%s is %i seconds', (ttl, seconds) => {
    expect(loadConfig({ DATA_DIR: freshDir(), TOKEN_TTL: ttl }).tokenTtlSeconds).toBe(seconds);
  });

  it.each(['forever', '15 minutes', '10s', '31d'])('refuses %s', (ttl) => {
    expect(configError({ DATA_DIR: freshDir(), TOKEN_TTL: ttl }).message).toMatch(/TOKEN_TTL/);
  });
});

describe('PASSWORD_HASH_MEMORY_KIB and PASSWORD_HASH_ITERATIONS', () => {
  it("default to OWASP's argon2id configuration, m=19456 KiB and t=2", () => {
    expect(loadConfig({ DATA_DIR: freshDir() })).toMatchObject({ passwordHashMemoryKib: 19_456, passwordHashIterations: 2 });
  });

  it("go down to argon2's minimum (8 KiB, 1 pass) outside production, and up to 1 GiB and 20 passes", () => {
    const cheap = loadConfig({ DATA_DIR: freshDir(), NODE_ENV: 'test', PASSWORD_HASH_MEMORY_KIB: '8', PASSWORD_HASH_ITERATIONS: '1' });
    expect(cheap).toMatchObject({ passwordHashMemoryKib: 8, passwordHashIterations: 1 });
    const dev = loadConfig({ DATA_DIR: freshDir(), PASSWORD_HASH_MEMORY_KIB: '1048576', PASSWORD_HASH_ITERATIONS: '20' });
    expect(dev).toMatchObject({ passwordHashMemoryKib: 1_048_576, passwordHashIterations: 20 });
  });

  it.each(['7', '0', '1048577', 'lots', '19.5', '-8'])('PASSWORD_HASH_MEMORY_KIB=%s is refused', (value) => {
    expect(configError({ DATA_DIR: freshDir(), PASSWORD_HASH_MEMORY_KIB: value }).message).toMatch(/PASSWORD_HASH_MEMORY_KIB/);
  });

  it.each(['0', '21', 'two', '1.5'])('PASSWORD_HASH_ITERATIONS=%s is refused', (value) => {
    expect(configError({ DATA_DIR: freshDir(), PASSWORD_HASH_ITERATIONS: value }).message).toMatch(/PASSWORD_HASH_ITERATIONS/);
  });

  it("production refuses less than OWASP's minimum in either dimension, saying which", () => {
    const production = {
      NODE_ENV: 'production',
      DATA_DIR: freshDir(),
      JWT_SECRET: STRONG_SECRET,
      KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET,
    };
    const memory = configError({ ...production, PASSWORD_HASH_MEMORY_KIB: '19455' });
    expect(memory.message).toMatch(/PASSWORD_HASH_MEMORY_KIB must be at least 19456 when NODE_ENV=production/);
    const iterations = configError({ ...production, PASSWORD_HASH_ITERATIONS: '1' });
    expect(iterations.message).toMatch(/PASSWORD_HASH_ITERATIONS must be at least 2 when NODE_ENV=production/);
    // more passes do not buy back less memory: one floor per dimension
    expect(configError({ ...production, PASSWORD_HASH_MEMORY_KIB: '8', PASSWORD_HASH_ITERATIONS: '20' }).message).toMatch(
      /PASSWORD_HASH_MEMORY_KIB/,
    );
  });

  it('production accepts the minimum and anything costlier', () => {
    const production = {
      NODE_ENV: 'production',
      DATA_DIR: freshDir(),
      JWT_SECRET: STRONG_SECRET,
      KEY_ENCRYPTION_SECRET: STRONG_KEY_SECRET,
    };
    expect(loadConfig(production)).toMatchObject({ passwordHashMemoryKib: 19_456, passwordHashIterations: 2 });
    expect(loadConfig({ ...production, PASSWORD_HASH_MEMORY_KIB: '65536', PASSWORD_HASH_ITERATIONS: '3' })).toMatchObject({
      passwordHashMemoryKib: 65_536,
      passwordHashIterations: 3,
    });
  });
});
