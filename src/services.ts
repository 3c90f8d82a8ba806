import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import type { PasswordHasher } from './modules/auth/passwords.js';
import type { TokenService } from './modules/auth/tokens.js';
import type { Outbox } from './modules/email/outbox.js';

/** What every domain service is built from; passed in, never imported as a singleton. */
export interface ServiceDeps {
  config: Config;
  db: Db;
  clock: Clock;
  log: FastifyBaseLogger;
  tokens: TokenService;
  /** argon2id at the configured cost (PASSWORD_HASH_*) */
  passwords: PasswordHasher;
  outbox: Outbox;
  /** call after a commit that queued emails: the worker delivers them promptly */
  afterCommit(): void;
}
