import type { Clock } from '../../clock.js';
import { AppError } from '../../http/errors.js';

/** What the caller offers as proof that the owner, not just a token, is asking. */
export interface AuthProof {
  /** when the bearer token was issued */
  authTime: Date;
  /** the current password, typed again; never stored or echoed */
  password?: string;
  ip: string;
}

/** The auth service's check: a wrong password is 403 REAUTH_REQUIRED and counts toward the login lockout. */
export type ConfirmPassword = (userId: string, password: string, ip: string) => Promise<void>;

/** The changes a stolen token must not make alone: each hands the account to whoever holds the token. */
export type SensitiveChange = 'email' | 'phone' | 'delete';

const WHAT: Record<SensitiveChange, string> = {
  email: 'Changing your email',
  phone: 'Changing your phone number',
  delete: 'Deleting your account',
};

export function reauthRequired(change: SensitiveChange): AppError {
  return new AppError(
    'REAUTH_REQUIRED',
    `${WHAT[change]} needs a recent login: log in again or send your current password as \`password\``,
    [{ field: 'password', message: 'is required: the login is older than the re-authentication window' }],
  );
}

/**
 * Recent authentication (REAUTH_WINDOW): a token issued within the window is enough; an older one
 * needs the password in the same request. The password is only checked when it is needed, so a
 * fresh token never turns this into a place to test passwords.
 */
export function createRecentAuth(deps: { clock: Clock; windowSeconds: number; confirmPassword: ConfirmPassword }) {
  return async function requireRecentAuth(userId: string, proof: AuthProof, change: SensitiveChange): Promise<void> {
    if (deps.clock.now().getTime() - proof.authTime.getTime() <= deps.windowSeconds * 1000) return;
    if (proof.password === undefined) throw reauthRequired(change);
    await deps.confirmPassword(userId, proof.password, proof.ip);
  };
}

export type RequireRecentAuth = ReturnType<typeof createRecentAuth>;
