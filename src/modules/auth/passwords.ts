import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Config } from '../../config.js';

/** The argon2 functions (tests give fakes to watch the concurrency bound). */
export interface HashEngine {
  hash: typeof hash;
  verify: typeof verify;
}

/** PASSWORD_HASH_MEMORY_KIB and PASSWORD_HASH_ITERATIONS; config.ts holds the bounds and the production floor. */
export interface PasswordCost {
  memoryKib: number;
  iterations: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Any hash argon2 can read, whatever cost it was made at: the parameters travel in the hash. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Costs what verifying a real account's password costs, so an unknown account is not faster. */
  burnCheck(password: string): Promise<void>;
}

/**
 * At most `limit` at once; the others wait in arrival order. Each argon2 hash is ~19 MiB and a
 * core's worth of work for tens of milliseconds: run four at once on a 2-core machine (the libuv
 * pool's size) and the event loop is starved, so every other request waits too.
 */
function bounded(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** argon2id; the native binding runs on the libuv pool, off the event loop, `concurrency` at a time. */
export function createPasswordHasher(cost: PasswordCost & { concurrency?: number }, engine: HashEngine = { hash, verify }): PasswordHasher {
  const options = { algorithm: Algorithm.Argon2id, memoryCost: cost.memoryKib, timeCost: cost.iterations, parallelism: 1 } as const;
  const turn = bounded(cost.concurrency ?? 1);

  async function verifyHash(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await turn(() => engine.verify(passwordHash, password));
    } catch {
      return false;
    }
  }

  // made at this hasher's cost, so the burn matches what a known account's check costs
  let dummyHash: Promise<string> | null = null;
  return {
    hash: (password) => turn(() => engine.hash(password, options)),
    verify: verifyHash,
    async burnCheck(password) {
      dummyHash ??= turn(() => engine.hash('dummy-password-for-timing-equalisation', options));
      await verifyHash(await dummyHash, password);
    },
  };
}

export function passwordHasherFromConfig(
  config: Pick<Config, 'passwordHashMemoryKib' | 'passwordHashIterations' | 'passwordHashConcurrency'>,
): PasswordHasher {
  return createPasswordHasher({
    memoryKib: config.passwordHashMemoryKib,
    iterations: config.passwordHashIterations,
    concurrency: config.passwordHashConcurrency,
  });
}
