import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Config } from '../../config.js';

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

/** argon2id; the native binding runs on the libuv pool, off the event loop. */
export function createPasswordHasher(cost: PasswordCost): PasswordHasher {
  const options = { algorithm: Algorithm.Argon2id, memoryCost: cost.memoryKib, timeCost: cost.iterations, parallelism: 1 } as const;

  async function verifyHash(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  // made at this hasher's cost, so the burn matches what a known account's check costs
  let dummyHash: Promise<string> | null = null;
  return {
    hash: (password) => hash(password, options),
    verify: verifyHash,
    async burnCheck(password) {
      dummyHash ??= hash('dummy-password-for-timing-equalisation', options);
      await verifyHash(await dummyHash, password);
    },
  };
}

export function passwordHasherFromConfig(config: Pick<Config, 'passwordHashMemoryKib' | 'passwordHashIterations'>): PasswordHasher {
  return createPasswordHasher({ memoryKib: config.passwordHashMemoryKib, iterations: config.passwordHashIterations });
}
