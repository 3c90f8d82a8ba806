import { useEffect, useState } from 'preact/hooks';
import { type Admin, type AdminPermission, api, connectAuth, ok } from './api/client';

/**
 * The signed-in admin: the access token, the refresh token and the admin as the login answered,
 * kept in memory and in sessionStorage (this tab only, gone when it closes; never localStorage).
 * Any 401 to a request that carried the token ends it, and the sign-in page says why.
 */
export interface Session {
  token: string;
  refreshToken: string;
  /** epoch ms when the access token expires */
  expiresAt: number;
  admin: Admin;
}

const KEY = 'sociox-admin-session';
export const EXPIRED_MESSAGE = 'Your session has expired. Please sign in again.';

function restore(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const s = raw ? (JSON.parse(raw) as Session) : null;
    return s && typeof s.token === 'string' && s.admin && typeof s.admin.id === 'string' ? s : null;
  } catch {
    return null;
  }
}

let current: Session | null = restore();
/** what the sign-in page shows once: why the admin is there (an error), or that they signed out */
export interface Notice {
  text: string;
  error: boolean;
}
let notice: Notice | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let signingOut = false;
let endedBySignOut = false;
const listeners = new Set<() => void>();

function set(next: Session | null): void {
  current = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  scheduleRefresh();
  for (const l of listeners) l();
}

connectAuth({
  token: () => current?.token ?? null,
  expired: () => {
    if (!current) return;
    if (!signingOut) notice = { text: EXPIRED_MESSAGE, error: true };
    set(null);
  },
});

export function getSession(): Session | null {
  return current;
}

/** How the last session ended: an admin who signed out starts the next one at the dashboard, not where they left. */
export function signedOut(): boolean {
  return endedBySignOut;
}

export function takeNotice(): Notice | null {
  const n = notice;
  notice = null;
  return n;
}

export function useSession(): Session | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return current;
}

/** A superadmin may do everything; an admin what its permissions list. */
export function can(permission: AdminPermission | 'superadmin', session: Session | null = current): boolean {
  if (!session) return false;
  if (session.admin.role === 'superadmin') return true;
  return permission !== 'superadmin' && session.admin.permissions.includes(permission);
}

export async function signIn(email: string, password: string): Promise<void> {
  const body = await ok(api.POST('/api/v1/admin/login', { body: { email, password } }));
  notice = null;
  endedBySignOut = false;
  set({ token: body.token, refreshToken: body.refreshToken, expiresAt: Date.now() + body.expiresIn * 1000, admin: body.data.admin });
}

/** Ends the session on the server too; the local session ends whatever the server says. */
export async function signOut(): Promise<void> {
  signingOut = true;
  try {
    await ok(api.POST('/api/v1/admin/logout', { body: {} }));
  } finally {
    signingOut = false;
    endedBySignOut = true;
    notice = { text: 'You have signed out.', error: false };
    set(null);
  }
}

/** After a reload: the admin's role and permissions as they are now (they may have changed). */
export async function reloadAdmin(): Promise<void> {
  const s = current;
  if (!s) return;
  const body = await ok(api.GET('/api/v1/admin/admins/{adminId}', { params: { path: { adminId: s.admin.id } } }));
  if (current === s) set({ ...s, admin: body.data });
}

/**
 * A minute before the access token expires, trade the refresh token for a new pair, so an admin
 * at work is not signed out every TTL. A failed refresh changes nothing: the next 401 ends the session.
 */
function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  const s = current;
  if (!s) return;
  const wait = Math.max(5_000, s.expiresAt - Date.now() - 60_000);
  refreshTimer = setTimeout(async () => {
    if (current !== s) return;
    const { data } = await api.POST('/api/v1/admin/refresh', { body: { refreshToken: s.refreshToken } }).catch(() => ({ data: undefined }));
    if (data && current === s)
      set({ ...s, token: data.token, refreshToken: data.refreshToken, expiresAt: Date.now() + data.expiresIn * 1000 });
  }, wait);
}

scheduleRefresh();
