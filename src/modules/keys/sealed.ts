import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Private keys at rest: AES-256-GCM under a key derived from KEY_ENCRYPTION_SECRET, stored as
 * base64url(iv ‖ tag ‖ ciphertext). A database dump without the secret holds no usable key, and
 * a ciphertext altered in the database fails to open (the tag).
 */
export function sealer(secret: string) {
  const key = createHash('sha256').update(`sociox-signing-keys:${secret}`).digest();
  return {
    seal(plain: Buffer): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(sealed: string): Buffer {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
    },
  };
}
