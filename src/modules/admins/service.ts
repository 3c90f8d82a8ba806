import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { AuditService } from '../audit/service.js';
import type { AuthAdmin } from '../auth/access-types.js';
import type { Lockout } from '../auth/lockout.js';
import { countLogin, type LoginCounter, uncountedLogins } from '../auth/login-counter.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { TokenService } from '../auth/tokens.js';
import type { SessionRow } from '../sessions/repository.js';
import { SESSION_MESSAGES, type Sessions } from '../sessions/service.js';
import { normaliseEmail } from '../users/present.js';
import type { AdminPermission } from './permissions.js';
import { type PublicAdmin, presentAdmin } from './present.js';
import { type AdminRow, adminsRepository as admins } from './repository.js';

/** Who performs an admin action, for the audit log. */
export type Actor = Pick<AuthAdmin, 'id' | 'email' | 'role'> & { ip: string | null };

/**
 * The admins module owns `admins`: admin accounts, their permissions (permissions.ts), admin login
 * and management. Every change is audited in its transaction.
 */
export function createAdminsService(deps: {
  db: Db;
  clock: Clock;
  tokens: TokenService;
  sessions: Sessions;
  passwords: PasswordHasher;
  lockout: Lockout;
  audit: AuditService;
  /** counts each login's outcome (the metrics) */
  logins?: LoginCounter;
}) {
  const { db, clock, tokens, sessions, passwords, lockout, audit } = deps;
  const logins = deps.logins ?? uncountedLogins;

  function accessToken(a: Pick<AdminRow, 'id' | 'role' | 'permissions' | 'token_version'>, session: SessionRow, issuedAt?: Date) {
    return tokens.sign(
      {
        sub: a.id,
        typ: 'admin',
        ver: a.token_version,
        role: a.role,
        perms: a.permissions,
        sid: session.id,
        auth_time: Math.floor(session.auth_time.getTime() / 1000),
      },
      { ...(issuedAt ? { issuedAt } : {}), notAfter: session.expires_at },
    );
  }

  async function mustFind(id: string): Promise<AdminRow> {
    const admin = await admins.findById(db, id);
    if (!admin) throw new AppError('NOT_FOUND', 'Admin not found');
    return admin;
  }

  return {
    /** Who is told when something needs a superadmin (a webhook endpoint disabled), read in `q`. */
    superadminEmails: (q: Queryable): Promise<string[]> => admins.superadminEmails(q),

    /** The admin and its token_version, for the request guard. */
    forAuth: (id: string): Promise<AdminRow | null> => admins.findById(db, id),

    async login(
      email: string,
      password: string,
      client: { ip: string; userAgent: string | null },
    ): Promise<{ token: string; refreshToken: string; expiresIn: number; admin: PublicAdmin }> {
      return countLogin(logins, 'admin', async () => {
        const { ip } = client;
        // the admin and its lockout counters in one batch (auth/service.ts login)
        const now = clock.now();
        const name = normaliseEmail(email);
        const [found, counters] = await db.batch([admins.credentials(name), lockout.counters('admins', admins.idOf(name), ip)]);
        const admin = found.rows[0];
        if (!admin) {
          await passwords.burnCheck(password);
          throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials provided');
        }
        const { ipCounted } = lockout.check(counters.rows, ip, now);
        // the session made and its token signed while the hash runs, kept here unless the password
        // is right and the batch commits (auth/service.ts login)
        const verifying = passwords.verify(admin.password_hash, password);
        const { statement, session, refreshToken } = sessions.starting({
          kind: 'admin',
          accountId: admin.id,
          tokenVersion: admin.token_version,
          ip,
          userAgent: client.userAgent,
        });
        const signing = accessToken(admin, session);
        signing.catch(() => {}); // awaited below, on the one path that answers with it
        if (!(await verifying)) {
          await lockout.recordFailure(db, 'admins', admin.id, ip, now);
          throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials provided');
        }
        // the sign-in's writes as one batch; this IP's failures cleared only when it has some
        const [{ token, expiresIn }] = await Promise.all([
          signing,
          db.batch([statement, admins.recordLogin(admin.id, now), ipCounted ? lockout.recordSuccess('admins', admin.id, ip) : null]),
        ]);
        return { token, refreshToken, expiresIn, admin: presentAdmin({ ...admin, last_login_at: now }) };
      });
    },

    /** The admins' refresh: as the users' (auth/service.ts). */
    async refresh(refreshToken: string): Promise<{ token: string; refreshToken: string; expiresIn: number }> {
      const outcome = await db.transaction(async (tx) => {
        const r = await sessions.rotate(tx, 'admin', refreshToken);
        if (!r.ok) return r;
        const admin = await admins.findById(tx, r.session.account_id);
        if (!admin || admin.token_version !== r.session.token_version) {
          await sessions.end(tx, 'admin', r.session.account_id, r.session.id);
          return { ok: false as const, reason: 'invalid' as const };
        }
        return { ok: true as const, admin, rotated: r };
      });
      if (!outcome.ok) {
        throw new AppError(
          'UNAUTHENTICATED',
          outcome.reason === 'reused' ? SESSION_MESSAGES.refreshReused : SESSION_MESSAGES.refreshInvalid,
        );
      }
      // signed after the commit (auth/service.ts says why)
      const { admin, rotated } = outcome;
      const { token, expiresIn } = await accessToken(admin, rotated.session, rotated.issuedAt);
      return { token, refreshToken: rotated.refreshToken, expiresIn };
    },

    /** Ends the admin's current session, or all of them. */
    async logout(caller: { id: string; sessionId: string | null }, all: boolean): Promise<void> {
      await db.transaction(async (tx) => {
        if (all) await sessions.endAll(tx, 'admin', caller.id);
        else if (caller.sessionId) await sessions.end(tx, 'admin', caller.id, caller.sessionId);
      });
    },

    async create(
      actor: Actor,
      input: { email: string; password: string; name: string; permissions: AdminPermission[]; role?: 'admin' | 'superadmin' },
    ): Promise<PublicAdmin> {
      const passwordHash = await passwords.hash(input.password);
      const created = await db.transaction(async (tx) => {
        const admin = await admins.insert(
          tx,
          {
            email: normaliseEmail(input.email),
            passwordHash,
            name: input.name.trim(),
            role: input.role ?? 'admin',
            permissions: [...new Set(input.permissions)],
            createdBy: actor.id,
          },
          clock.now(),
        );
        await audit.record(tx, {
          admin: actor,
          action: 'admin.create',
          targetType: 'admin',
          targetId: admin.id,
          ip: actor.ip,
          detail: { email: admin.email, role: admin.role, permissions: admin.permissions },
        });
        return admin;
      });
      return presentAdmin(created);
    },

    async list(): Promise<PublicAdmin[]> {
      return (await admins.list(db)).map(presentAdmin);
    },

    /** A superadmin reads anyone; an admin reads only themself. */
    async get(actor: Actor, id: string): Promise<PublicAdmin> {
      if (actor.role !== 'superadmin' && actor.id !== id.toLowerCase())
        throw new AppError('FORBIDDEN', 'Only a superadmin can read other admins');
      return presentAdmin(await mustFind(id));
    },

    async delete(actor: Actor, id: string): Promise<void> {
      await db.transaction(async (tx) => {
        const superadmins = await admins.lockSuperadmins(tx);
        const target = await admins.findById(tx, id);
        if (!target) throw new AppError('NOT_FOUND', 'Admin not found');
        if (target.role === 'superadmin' && superadmins.length <= 1) {
          throw new AppError('CONFLICT', 'The last superadmin cannot be deleted');
        }
        await admins.delete(tx, id);
        await audit.record(tx, {
          admin: actor,
          action: 'admin.delete',
          targetType: 'admin',
          targetId: id,
          ip: actor.ip,
          detail: { email: target.email, role: target.role },
        });
      });
    },

    /** Replaces the permissions; the admin's tokens are revoked so the change applies at once. */
    async setPermissions(actor: Actor, id: string, permissions: AdminPermission[]): Promise<PublicAdmin> {
      const updated = await db.transaction(async (tx) => {
        const before = await admins.findById(tx, id);
        if (!before) throw new AppError('NOT_FOUND', 'Admin not found');
        const after = await admins.setPermissions(tx, id, [...new Set(permissions)], clock.now());
        await audit.record(tx, {
          admin: actor,
          action: 'admin.permissions',
          targetType: 'admin',
          targetId: id,
          ip: actor.ip,
          detail: { before: before.permissions, after: after!.permissions },
        });
        return after!;
      });
      return presentAdmin(updated);
    },

    /** The operator command: a superadmin with this email, whether or not others exist. */
    async createSuperadmin(email: string, password: string, name = 'Superadmin'): Promise<PublicAdmin> {
      const passwordHash = await passwords.hash(password);
      const created = await admins.insert(
        db,
        { email: normaliseEmail(email), passwordHash, name, role: 'superadmin', permissions: [], createdBy: null },
        clock.now(),
      );
      return presentAdmin(created);
    },

    /** SUPERADMIN_EMAIL/SUPERADMIN_PASSWORD at start-up: creates one only if no superadmin exists. */
    async bootstrapSuperadmin(email: string, password: string, name = 'Superadmin'): Promise<PublicAdmin | null> {
      if (await admins.countSuperadmins(db)) return null;
      const passwordHash = await passwords.hash(password);
      const created = await db.transaction((tx) =>
        admins.insertFirstSuperadmin(tx, { email: normaliseEmail(email), passwordHash, name }, clock.now()),
      );
      return created ? presentAdmin(created) : null;
    },
  };
}

export type AdminsService = ReturnType<typeof createAdminsService>;
