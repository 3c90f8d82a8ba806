import { runAsMain, withServiceGraph } from './common.js';

/**
 * Makes a new token signing key in the database the service uses (`npm run rotate-keys`): it signs
 * from then on, on every instance (announced on the change feed); the previous key verifies until
 * the last token it signed has expired. With the embedded database, stop the service first.
 * (`POST /api/v1/admin/keys/rotate` does the same for a superadmin, audited.)
 */
export function rotateKeysCommand(env = process.env): Promise<number> {
  return withServiceGraph(env, async (graph) => {
    const before = (await graph.keys.jwks()).map((k) => k.kid);
    const { kid } = await graph.keys.rotate();
    console.log(`New signing key ${kid}; still published until their tokens expire: ${before.join(', ') || 'none'}`);
    return 0;
  });
}

runAsMain(import.meta.url, () => rotateKeysCommand());
