import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  /** the admin console's build (CONSOLE_DIR; default dist/console of this package), served at /admin */
  consoleDir: string;
  /** unset: embedded PGlite under dataDir */
  databaseUrl: string | null;
  /** PostgreSQL: a connection (or a free one of the pool) within this, or the request answers 503 */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL: a statement's answer within this, or the request answers 503 (migrations: no limit) */
  databaseQueryTimeoutMs: number;
  /** after SIGTERM, how long /readyz answers 503 while requests are still served (a balancer's health check takes the instance out first) */
  shutdownDelayMs: number;
  /** PostgreSQL: connections in this instance's pool (plus one for the change feed) */
  databasePoolMax: number;
  /** unset: emails are written to the outbox and logged */
  smtpUrl: string | null;
  mailFrom: string;
  /** base of links in emails, without a trailing slash */
  appUrl: string;
  /** signs nothing new since signing keys (issue 11): verifies HS256 tokens issued before, and peppers OTP hashes */
  jwtSecret: string;
  /** ACCESS_TOKEN_TTL (old name TOKEN_TTL): how long an access token lives */
  tokenTtlSeconds: number;
  /** a session unused (never refreshed) this long has ended */
  sessionIdleTtlSeconds: number;
  /** a session ends this long after its sign-in, however used */
  sessionMaxTtlSeconds: number;
  /** `aud` of every access token */
  tokenAudience: string;
  /** encrypts the signing keys' private halves (and webhook secrets) in the database */
  keyEncryptionSecret: string;
  /** webhooks may reach loopback/private/link-local addresses and plain http (default: outside production) */
  webhookAllowPrivate: boolean;
  /** delivered webhook payloads are emptied after this many days */
  webhookRetentionDays: number;
  /** how recent a login must be to change a login identifier or delete the account without the password */
  reauthWindowSeconds: number;
  superadminEmail: string | null;
  superadminPassword: string | null;
  jobsIntervalMs: number;
  /** failed logins per account from one client IP within the window before that IP is locked out of it */
  loginMaxFailures: number;
  /** failed logins per account from every IP together within an hour: distributed guessing */
  loginMaxFailuresPerAccount: number;
  /** the window in which LOGIN_MAX_FAILURES failures lock an account (contract: 15 minutes) */
  loginFailureWindowMs: number;
  rateLimitPerMinute: number;
  /** where the per-IP counters live: this process, or the database (shared by every instance) */
  rateLimitStore: 'memory' | 'database';
  logLevel: string;
  /** a request-log line for answers below 400 of the public reads too (config.publicRead routes) */
  logPublicReads: boolean;
  /** behind a load balancer: trust X-Forwarded-For so rate limits see the client's IP */
  trustProxy: boolean;
  /** team members (child users) a parent without a live subscription may have */
  defaultTeamMembers: number;
  /** minimum time forgot-password takes, so a known and an unknown email answer alike */
  forgotPasswordMinMs: number;
  /** argon2id memory per password hash, in KiB */
  passwordHashMemoryKib: number;
  /** argon2id passes per password hash */
  passwordHashIterations: number;
  /** password hashes computed at once; the rest wait their turn (a core stays free for requests) */
  passwordHashConcurrency: number;
  /** GET /metrics (README "Metrics"): a bearer token it requires, and/or its own listener; neither: no /metrics */
  metrics: { token: string | null; port: number | null; host: string };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function str(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

/** Secrets that appear in tutorials and .env examples; refusing them in production is cheap insurance. */
const WEAK_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'jwt_secret',
  'your-secret',
  'your_jwt_secret',
  'development',
  'password',
]);
export const MIN_SECRET_LENGTH = 32;

function weakSecretReason(secret: string): string | null {
  if (WEAK_SECRETS.has(secret.toLowerCase())) return 'it is a well-known default';
  if (secret.length < MIN_SECRET_LENGTH) return `it is shorter than ${MIN_SECRET_LENGTH} characters`;
  if (new Set(secret).size < 8) return 'it has too few distinct characters';
  return null;
}

/** Development only: a random secret kept under DATA_DIR so tokens (and signing keys) survive a restart. */
function developmentSecret(dataDir: string, name = 'jwt-secret'): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

function durationSeconds(env: Env, name: string, fallback: number, maxDays = 30): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(raw);
  if (!m) throw new ConfigError(`${name} must be a duration such as 3600, 15m, 12h or 7d, got "${raw}"`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Number(m[1]) * unit;
  if (seconds < 60 || seconds > maxDays * 86400) throw new ConfigError(`${name} must be between 1 minute and ${maxDays} days`);
  return seconds;
}

/** OWASP's first recommended argon2id configuration (m=19 MiB, t=2, p=1): the default and the production floor. */
const OWASP_PASSWORD_HASH = { memoryKib: 19_456, iterations: 2 } as const;
/** argon2 refuses less than 8 KiB per lane (one lane here); more than 1 GiB per hash is a denial of service waiting to happen. */
const PASSWORD_HASH_MEMORY_KIB_RANGE = [8, 1_048_576] as const;
const PASSWORD_HASH_ITERATIONS_RANGE = [1, 20] as const;

/**
 * Tests and local tools may hash at argon2's cheapest cost; production may not go below OWASP's
 * floor in either dimension (OWASP's equivalent pairs with less memory and more passes are refused
 * too: one floor per dimension is simple to check and never weaker).
 */
function passwordHashCost(env: Env, nodeEnv: Config['nodeEnv']): { memoryKib: number; iterations: number } {
  const memoryKib = int(env, 'PASSWORD_HASH_MEMORY_KIB', OWASP_PASSWORD_HASH.memoryKib, ...PASSWORD_HASH_MEMORY_KIB_RANGE);
  const iterations = int(env, 'PASSWORD_HASH_ITERATIONS', OWASP_PASSWORD_HASH.iterations, ...PASSWORD_HASH_ITERATIONS_RANGE);
  if (nodeEnv === 'production') {
    if (memoryKib < OWASP_PASSWORD_HASH.memoryKib)
      throw new ConfigError(
        `PASSWORD_HASH_MEMORY_KIB must be at least ${OWASP_PASSWORD_HASH.memoryKib} when NODE_ENV=production (OWASP's minimum for argon2id), got ${memoryKib}`,
      );
    if (iterations < OWASP_PASSWORD_HASH.iterations)
      throw new ConfigError(
        `PASSWORD_HASH_ITERATIONS must be at least ${OWASP_PASSWORD_HASH.iterations} when NODE_ENV=production (OWASP's minimum for argon2id), got ${iterations}`,
      );
  }
  return { memoryKib, iterations };
}

/** METRICS_TOKEN (a bearer token /metrics requires), METRICS_PORT and METRICS_HOST (a listener of its own). */
function metricsConfig(env: Env, nodeEnv: Config['nodeEnv'], port: number): Config['metrics'] {
  const token = str(env, 'METRICS_TOKEN');
  const reason = token && nodeEnv === 'production' ? weakSecretReason(token) : null;
  if (reason) throw new ConfigError(`METRICS_TOKEN is too weak for production: ${reason}`);
  const metricsPort = str(env, 'METRICS_PORT') === null ? null : int(env, 'METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === port) throw new ConfigError('METRICS_PORT must differ from PORT');
  return { token, port: metricsPort, host: str(env, 'METRICS_HOST') ?? '127.0.0.1' };
}

/** Several instances share a PostgreSQL server, so that is when counters belong in the database. */
function rateLimitStore(env: Env, databaseUrl: string | null): Config['rateLimitStore'] {
  const raw = env.RATE_LIMIT_STORE?.trim();
  if (!raw) return databaseUrl ? 'database' : 'memory';
  if (raw !== 'memory' && raw !== 'database') throw new ConfigError(`RATE_LIMIT_STORE must be memory or database, got "${raw}"`);
  return raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnvRaw = env.NODE_ENV?.trim() || 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const dataDir = resolve(env.DATA_DIR?.trim() || './data');
  const port = int(env, 'PORT', 5000, 0, 65535);

  const databaseUrl = str(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const smtpUrl = str(env, 'SMTP_URL');
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('SMTP_URL must start with smtp:// or smtps://');

  const appUrl = (str(env, 'APP_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(appUrl);
  } catch {
    throw new ConfigError(`APP_URL must be an absolute URL, got "${appUrl}"`);
  }

  let jwtSecret = str(env, 'JWT_SECRET');
  if (nodeEnv === 'production') {
    if (!jwtSecret)
      throw new ConfigError(
        'JWT_SECRET is required when NODE_ENV=production (at least 32 random characters, e.g. `openssl rand -base64 48`)',
      );
    const reason = weakSecretReason(jwtSecret);
    if (reason) throw new ConfigError(`JWT_SECRET is too weak for production: ${reason}`);
  }
  jwtSecret ??= developmentSecret(dataDir);

  let keyEncryptionSecret = str(env, 'KEY_ENCRYPTION_SECRET');
  if (nodeEnv === 'production') {
    if (!keyEncryptionSecret)
      throw new ConfigError(
        'KEY_ENCRYPTION_SECRET is required when NODE_ENV=production: it encrypts the token signing keys in the database (at least 32 random characters, e.g. `openssl rand -base64 48`)',
      );
    const reason = weakSecretReason(keyEncryptionSecret);
    if (reason) throw new ConfigError(`KEY_ENCRYPTION_SECRET is too weak for production: ${reason}`);
  }
  keyEncryptionSecret ??= developmentSecret(dataDir, 'key-encryption-secret');

  // ACCESS_TOKEN_TTL, or its old name TOKEN_TTL
  const accessTtlName = str(env, 'ACCESS_TOKEN_TTL') !== null ? 'ACCESS_TOKEN_TTL' : 'TOKEN_TTL';
  const tokenTtlSeconds = durationSeconds(env, accessTtlName, 900);
  const sessionIdleTtlSeconds = durationSeconds(env, 'SESSION_IDLE_TTL', 30 * 86400, 365);
  const sessionMaxTtlSeconds = durationSeconds(env, 'SESSION_MAX_TTL', 90 * 86400, 365);
  if (sessionIdleTtlSeconds > sessionMaxTtlSeconds) throw new ConfigError('SESSION_IDLE_TTL must not be longer than SESSION_MAX_TTL');
  if (tokenTtlSeconds > sessionMaxTtlSeconds) throw new ConfigError(`${accessTtlName} must not be longer than SESSION_MAX_TTL`);
  const tokenAudience = str(env, 'TOKEN_AUDIENCE') ?? 'sociox';

  const superadminEmail = str(env, 'SUPERADMIN_EMAIL');
  const superadminPassword = str(env, 'SUPERADMIN_PASSWORD');
  if ((superadminEmail === null) !== (superadminPassword === null)) {
    throw new ConfigError('SUPERADMIN_EMAIL and SUPERADMIN_PASSWORD must be set together');
  }
  if (superadminPassword && (superadminPassword.length < 8 || superadminPassword.length > 128)) {
    throw new ConfigError('SUPERADMIN_PASSWORD must be 8 to 128 characters');
  }
  const passwordHash = passwordHashCost(env, nodeEnv);

  return {
    nodeEnv,
    port,
    host: str(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    consoleDir: resolve(env.CONSOLE_DIR?.trim() || fileURLToPath(new URL('../dist/console', import.meta.url))),
    databaseUrl,
    // DECISIONS "Database outages (issue 14)": together they keep a request under 5 s when the database is gone
    databaseConnectTimeoutMs: int(env, 'DATABASE_CONNECT_TIMEOUT_MS', 2_000, 100, 60_000),
    databaseQueryTimeoutMs: int(env, 'DATABASE_QUERY_TIMEOUT_MS', 3_000, 100, 600_000),
    shutdownDelayMs: int(env, 'SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 1_000),
    smtpUrl,
    mailFrom: str(env, 'MAIL_FROM') ?? 'SocioX Accounts <no-reply@localhost>',
    appUrl,
    jwtSecret,
    tokenTtlSeconds,
    sessionIdleTtlSeconds,
    sessionMaxTtlSeconds,
    tokenAudience,
    keyEncryptionSecret,
    webhookAllowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', nodeEnv !== 'production'),
    webhookRetentionDays: int(env, 'WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    reauthWindowSeconds: durationSeconds(env, 'REAUTH_WINDOW', 600),
    superadminEmail: superadminEmail?.toLowerCase() ?? null,
    superadminPassword,
    jobsIntervalMs: int(env, 'JOBS_INTERVAL_MS', 60_000, 100),
    loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', 10, 1),
    loginMaxFailuresPerAccount: int(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 100, 1),
    loginFailureWindowMs: 15 * 60_000,
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 100, 1),
    rateLimitStore: rateLimitStore(env, databaseUrl),
    trustProxy: ['1', 'true', 'yes'].includes((env.TRUST_PROXY ?? '').trim().toLowerCase()),
    logLevel: str(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    logPublicReads: bool(env, 'LOG_PUBLIC_READS', false),
    defaultTeamMembers: int(env, 'DEFAULT_TEAM_MEMBERS', 3, 0, 1_000_000),
    forgotPasswordMinMs: int(env, 'FORGOT_PASSWORD_MIN_MS', 250, 0, 10_000),
    passwordHashMemoryKib: passwordHash.memoryKib,
    passwordHashIterations: passwordHash.iterations,
    passwordHashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
    metrics: metricsConfig(env, nodeEnv, port),
  };
}
