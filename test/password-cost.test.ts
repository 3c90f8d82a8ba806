import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminLogin, bootstrapSuperadmin, userLogin } from './helpers/fixtures.js';
import { Harness, uniqueEmail } from './helpers/harness.js';

/**
 * The suite hashes at argon2's cheapest cost (TEST_ENV); this file checks that the production
 * default still applies when PASSWORD_HASH_* are unset, and that a server at one cost logs in
 * accounts whose hashes were made at another (argon2 keeps the parameters in the hash).
 */

let cheap: Harness;
let production: Harness;

beforeAll(async () => {
  cheap = await Harness.create();
  // an empty value is an unset variable: this instance runs at the default cost
  production = await cheap.sibling({ PASSWORD_HASH_MEMORY_KIB: '', PASSWORD_HASH_ITERATIONS: '' });
});
afterAll(async () => {
  await production.app.close();
  await cheap.close();
});
beforeEach(() => cheap.reset());

/** m, t and p of a stored `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
function costOf(passwordHash: string): { m: number; t: number; p: number } {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!match) throw new Error(`not an argon2id v19 hash: ${passwordHash.slice(0, 40)}`);
  return { m: Number(match[1]), t: Number(match[2]), p: Number(match[3]) };
}

async function userHash(h: Harness, email: string): Promise<string> {
  const { rows } = await h.db.query<{ password_hash: string }>('select password_hash from users where email = $1', [email]);
  return rows[0]!.password_hash;
}

describe('the password-hash cost', () => {
  it('is OWASP m=19456, t=2, p=1 with the default config: registration stores a hash with those parameters', async () => {
    expect(production.config).toMatchObject({ passwordHashMemoryKib: 19_456, passwordHashIterations: 2 });
    const user = await production.registerUser();
    expect(costOf(await userHash(production, user.email))).toEqual({ m: 19_456, t: 2, p: 1 });
  });

  it('is what TEST_ENV sets in the suite (argon2 at its cheapest)', async () => {
    const user = await cheap.registerUser();
    expect(costOf(await userHash(cheap, user.email))).toEqual({ m: 8, t: 1, p: 1 });
  });

  it('a hash made at the production cost logs in on a server configured cheaper, and a wrong password does not', async () => {
    const user = await production.registerUser({ email: uniqueEmail('owasp'), password: 'made at the default cost' });
    const login = await userLogin(cheap, user.email, 'made at the default cost');
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json().token).toEqual(expect.any(String));
    expect((await userLogin(cheap, user.email, 'not the password')).statusCode).toBe(401);
  });

  it('a hash made at the cheap cost logs in on a server at the production cost', async () => {
    const user = await cheap.registerUser({ password: 'made at the cheap cost' });
    expect((await userLogin(production, user.email, 'made at the cheap cost')).statusCode).toBe(200);
    expect((await userLogin(production, user.email, 'not the password')).statusCode).toBe(401);
  });

  it('a password changed at the production cost is stored at that cost and logs in on the cheap server', async () => {
    const user = await cheap.registerUser({ password: 'the first password' });
    const session = await userLogin(production, user.email, 'the first password');
    const changed = await production.post(
      '/api/v1/auth/change-password',
      { old_password: 'the first password', new_password: 'the second password' },
      session.json().token,
    );
    expect(changed.statusCode, changed.body).toBe(200);
    expect(costOf(await userHash(production, user.email))).toEqual({ m: 19_456, t: 2, p: 1 });
    expect((await userLogin(cheap, user.email, 'the second password')).statusCode).toBe(200);
  });

  it('an admin whose hash was made at the production cost logs in on the cheap server', async () => {
    const root = await bootstrapSuperadmin(production, uniqueEmail('root'), 'root password at cost');
    const { rows } = await cheap.db.query<{ password_hash: string }>('select password_hash from admins where id = $1', [root.id]);
    expect(costOf(rows[0]!.password_hash)).toEqual({ m: 19_456, t: 2, p: 1 });
    expect(await adminLogin(cheap, root.email, 'root password at cost')).toEqual(expect.any(String));
  });
});
