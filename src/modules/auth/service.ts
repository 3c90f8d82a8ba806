import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db, Tx } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { Outbox } from '../email/outbox.js';
import { emails } from '../email/templates.js';
import type { NotificationsService } from '../notifications/service.js';
import type { Sessions } from '../sessions/service.js';
import type { Accounts } from '../users/accounts.js';
import { normaliseEmail, type PublicUser, presentUser, resolveNames } from '../users/present.js';
import type { UserRow } from '../users/repository.js';
import type { NewAccountInput } from '../users/schemas.js';
import type { EventSink } from '../webhooks/events.js';
import type { Lockout } from './lockout.js';
import { countLogin, type LoginCounter, uncountedLogins } from './login-counter.js';
import { otpRepository } from './otp-repository.js';
import type { PasswordHasher } from './passwords.js';
import { resetBudgetRepository } from './reset-budget.js';
import { generateOtp, type TokenService } from './tokens.js';
import { userSessions } from './user-sessions.js';

/** contract §4: OTPs expire within 10 minutes, at most 5 wrong tries */
export const OTP_TTL_MINUTES = 10;
export const OTP_MAX_ATTEMPTS = 5;
/** Across every OTP an account is sent: a new code must not bring a fresh set of guesses. */
export const OTP_MAX_WRONG_PER_DAY = 10;
/** forgot-password must not become a way to flood someone's inbox. */
export const OTP_EMAILS_PER_HOUR = 5;

export const MESSAGES = {
  missing: 'One or more required fields missing',
  registered: 'Your account has been created',
  emailTaken: 'Account with the email already exists',
  loggedIn: 'Login successful',
  invalidCredentials: 'Invalid credentials provided',
  deactivated: 'Your account has been deactivated. Contact support to reactivate it.',
  parentDeactivated: 'The parent account of this account has been deactivated. Contact support to reactivate it.',
  passwordChanged: 'Password changed successfully',
  wrongPassword: 'Invalid password provided, please check and try again',
  wrongReauthPassword: 'The password is not correct',
  otpSent: 'If an account exists for this email, a password reset code has been sent to it',
  otpInvalid: 'Invalid or expired reset code',
  passwordReset: 'Password has been reset successfully',
  passwordResetRequired: 'An email change on this account was undone: reset your password with forgot-password, then log in',
} as const;

export type RegisterInput = NewAccountInput;

/** What a sign-in answers: the access token, the session's refresh token, and the account. */
export interface Session {
  token: string;
  /** absent when a password change keeps the session it was made in (its refresh token stays valid) */
  refreshToken?: string;
  /** seconds the access token lives */
  expiresIn: number;
  user: PublicUser;
}

/** Where a sign-in comes from: recorded with its session. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

/** A refreshed pair. */
export interface RefreshedTokens {
  token: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * The auth module owns `password_reset_otps`, `login_failures` and `password_reset_budget`:
 * signing in, passwords (change, forgot, reset), the login lockout, and the request guards
 * (access.ts). The accounts themselves are the users module's; it is asked through `accounts`.
 */
export function createAuthService(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'forgotPasswordMinMs'>;
  tokens: TokenService;
  sessions: Sessions;
  passwords: PasswordHasher;
  outbox: Outbox;
  lockout: Lockout;
  accounts: Accounts;
  notifications: NotificationsService;
  /** webhook events, in the change's transaction */
  events: EventSink;
  /** counts each login's outcome (the metrics) */
  logins?: LoginCounter;
}) {
  const { db, clock, tokens, sessions, passwords, outbox, config, lockout, accounts, notifications } = deps;
  const logins = deps.logins ?? uncountedLogins;
  const resetBudget = resetBudgetRepository({
    sends: { max: OTP_EMAILS_PER_HOUR, windowMs: 60 * 60_000 },
    wrongGuesses: { max: OTP_MAX_WRONG_PER_DAY, windowMs: 24 * 60 * 60_000 },
  });

  const signing = userSessions({ db, tokens, sessions, accounts });
  const { accessToken, startSession, startingSession, signedIn } = signing;

  /** Sets the password, revokes older tokens and sessions (but `keepSession`), tells the user by email; in the caller's transaction. */
  /** The hash is made before the transaction opens: argon2 is slow and a transaction should not wait on it. */
  async function replacePassword(tx: Tx, user: UserRow, passwordHash: string, keepSession: string | null = null) {
    const version = await accounts.setPassword(tx, user.id, passwordHash, keepSession);
    if (version === null) throw new AppError('NOT_FOUND', 'User not found');
    await lockout.clear(tx, 'users', user.id);
    await outbox.enqueue(tx, emails.passwordChanged(user.email));
    await notifications.notify(tx, user.id, 'password.changed', 'Your password was changed');
    await deps.events.emit(tx, 'user.password_changed', presentUser({ ...user, token_version: version }));
    return version;
  }

  /**
   * The password of a signed-in account, typed again: a wrong one counts toward the login lockout
   * like a failed login, so a stolen token is no way around it.
   */
  async function checkPassword(userId: string, password: string, ip: string, wrong: () => AppError): Promise<void> {
    const hash = await accounts.passwordHash(userId);
    if (!hash) throw new AppError('NOT_FOUND', 'User not found');
    const now = clock.now();
    await lockout.assertOpen(db, 'users', userId, ip, now);
    if (!(await passwords.verify(hash, password))) {
      await lockout.recordFailure(db, 'users', userId, ip, now);
      throw wrong();
    }
  }

  return {
    /** One handler for both seed shapes: SocioX `{email, password, name}`, HNG `{first_name, last_name, email, phone, password}`. */
    async register(input: RegisterInput, client: ClientInfo): Promise<Session> {
      const names = resolveNames(input);
      if (!names) {
        throw new AppError('VALIDATION_FAILED', MESSAGES.missing, [
          { field: 'name', message: 'is required (or both first_name and last_name)' },
        ]);
      }
      const passwordHash = await passwords.hash(input.password);
      const { user, started } = await db.transaction(async (tx) => {
        const user = await accounts.create(tx, {
          email: normaliseEmail(input.email),
          passwordHash,
          ...names,
          phone: input.phone?.trim() || null,
          role: 'parent',
          parentId: null,
          permissions: [],
        });
        await deps.events.emit(tx, 'user.created', presentUser(user));
        return { user, started: await startSession(tx, user, client) };
      });
      return { ...(await signedIn(user, started)), user: presentUser(user) };
    },

    /** By email or by phone (HNG lets either name the account). Counted as succeeded or failed. */
    async login(input: { email?: string; phone?: string; password: string }, client: ClientInfo): Promise<Session> {
      return countLogin(logins, 'user', async () => {
        const { ip } = client;
        if (input.email === undefined && input.phone === undefined) {
          throw new AppError('VALIDATION_FAILED', MESSAGES.missing, [{ field: 'email', message: 'is required (or phone)' }]);
        }
        const by = input.email !== undefined ? { email: normaliseEmail(input.email) } : { phone: input.phone!.trim() };
        // the account and its lockout counters, read in one batch (one round trip on a server)
        const now = clock.now();
        const [found, counters] = await db.batch([accounts.credentials(by), lockout.counters('users', accounts.accountId(by), ip)]);
        const user = found.rows[0];
        if (!user) {
          await passwords.burnCheck(input.password);
          throw new AppError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
        }
        const { ipCounted } = lockout.check(counters.rows, ip, now);
        // while the hash runs on the libuv pool, the session is made here and its token signed: it
        // leaves this function only if the password is right, the account may sign in and the batch commits
        const verifying = passwords.verify(user.password_hash, input.password);
        const starting = startingSession(user, client);
        const signing = signedIn(user, starting);
        signing.catch(() => {}); // awaited below, on the one path that answers with it
        if (!(await verifying)) {
          await lockout.recordFailure(db, 'users', user.id, ip, now);
          throw new AppError('INVALID_CREDENTIALS', MESSAGES.invalidCredentials);
        }
        // checked after the password, so the account's state is told only to its owner
        if (user.status !== 'active') throw new AppError('ACCOUNT_DEACTIVATED', MESSAGES.deactivated);
        if (user.parent_status === 'deactivated') throw new AppError('ACCOUNT_DEACTIVATED', MESSAGES.parentDeactivated);
        if (user.password_reset_required) throw new AppError('PASSWORD_RESET_REQUIRED', MESSAGES.passwordResetRequired);
        // the sign-in's writes as one batch, one round trip and one commit (all or none); this IP's
        // failures cleared only when it has some (a failure racing this login stays counted)
        const [tokens] = await Promise.all([
          signing,
          db.batch([
            starting.statement,
            accounts.recordLogin(user.id, now),
            ipCounted ? lockout.recordSuccess('users', user.id, ip) : null,
          ]),
        ]);
        return { ...tokens, user: presentUser({ ...user, last_login_at: now }) };
      });
    },

    /**
     * Every other session of the account ends; the one that made the change goes on (its refresh
     * token stays valid) with a new access token and the password's time as its auth_time. A token
     * from before sessions starts a new one.
     */
    async changePassword(
      caller: { id: string; sessionId: string | null },
      oldPassword: string,
      newPassword: string,
      client: ClientInfo,
    ): Promise<Session> {
      const userId = caller.id;
      await checkPassword(userId, oldPassword, client.ip, () => new AppError('INVALID_CREDENTIALS', MESSAGES.wrongPassword));
      const newHash = await passwords.hash(newPassword);
      const { user, kept, started } = await db.transaction(async (tx) => {
        const current = await accounts.findById(tx, userId);
        if (!current) throw new AppError('NOT_FOUND', 'User not found');
        const version = await replacePassword(tx, current, newHash, caller.sessionId);
        const user = { ...current, token_version: version };
        const kept = caller.sessionId ? await sessions.renew(tx, caller.sessionId, version) : null;
        return { user, kept, started: kept ? null : await startSession(tx, user, client) };
      });
      if (!kept) return { ...(await signedIn(user, started!)), user: presentUser(user) };
      const { token, expiresIn } = await accessToken(user, kept);
      return { token, expiresIn, user: presentUser(user) };
    },

    refresh: signing.refresh,
    logout: signing.logout,
    endSession: signing.endSession,
    sessions,

    /** Same answer, same status, about the same time whether or not the email has an account. */
    async forgotPassword(email: string): Promise<void> {
      const started = Date.now();
      const user = await accounts.findByEmail(db, email);
      if (user && user.status === 'active') {
        const otp = generateOtp();
        const now = clock.now();
        const expiresAt = new Date(now.getTime() + OTP_TTL_MINUTES * 60_000);
        // over budget: the same answer, no email, and the code already sent stays as it was
        await db.transaction(async (tx) => {
          if (!(await resetBudget.takeSend(tx, user.id, now))) return;
          await otpRepository.replace(tx, user.id, tokens.hashOtp(user.id, otp), expiresAt, now);
          await outbox.enqueue(tx, emails.passwordResetOtp(user.email, otp, OTP_TTL_MINUTES));
        });
      }
      const wait = config.forgotPasswordMinMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },

    async resetPassword(input: { email: string; otp: string; newPassword: string }): Promise<void> {
      // hashed first, whether or not the email has an account: an unknown email must not answer faster
      const newHash = await passwords.hash(input.newPassword);
      const user = await accounts.findByEmail(db, input.email);
      const invalid = new AppError('INVALID_TOKEN', MESSAGES.otpInvalid, [{ field: 'otp', message: 'is invalid or expired' }]);
      if (!user) throw invalid;
      await db
        .transaction(async (tx) => {
          const now = clock.now();
          const row = await otpRepository.lock(tx, user.id);
          if (!row || row.expires_at.getTime() <= now.getTime() || row.attempts >= OTP_MAX_ATTEMPTS) throw invalid;
          // the account's guesses across every code: past the budget even the right code is refused
          if (!(await resetBudget.guessesLeft(tx, user.id, now))) throw invalid;
          if (!tokens.otpMatches(row.otp_hash, user.id, input.otp)) {
            await otpRepository.countWrongTry(tx, user.id, OTP_MAX_ATTEMPTS);
            await resetBudget.countWrongGuess(tx, user.id, now);
            return 'wrong';
          }
          await otpRepository.delete(tx, user.id);
          await resetBudget.clearGuesses(tx, user.id);
          await replacePassword(tx, user, newHash);
          return 'reset';
        })
        .then((outcome) => {
          // the wrong try is committed before answering, so the count survives the error
          if (outcome === 'wrong') throw invalid;
        });
    },

    /**
     * A signed-in user proves it is still the owner by typing the password (REAUTH_WINDOW rules):
     * a wrong one counts toward the login lockout, so a stolen token cannot guess the password here.
     */
    async confirmPassword(userId: string, password: string, ip: string): Promise<void> {
      await checkPassword(
        userId,
        password,
        ip,
        () =>
          new AppError('REAUTH_REQUIRED', MESSAGES.wrongReauthPassword, [{ field: 'password', message: 'is not the current password' }]),
      );
    },

    replacePassword,
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
