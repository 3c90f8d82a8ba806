import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { href, type Route, reloadIfCurrent } from '../router';
import { can, type Session, signOut } from '../session';
import { Toasts } from '../toast';

interface NavItem {
  label: string;
  path: string;
  pages: Route['page'][];
  shown: boolean;
}

/** The frame of every page after sign-in: who is signed in, the navigation, the results of actions. */
export function Layout({ session, route, children }: { session: Session; route: Route; children: ComponentChildren }) {
  const [busy, setBusy] = useState(false);
  const items: NavItem[] = [
    { label: 'Dashboard', path: '/', pages: ['dashboard'], shown: true },
    { label: 'Users', path: '/users', pages: ['users', 'user'], shown: can('view_user_details', session) },
    { label: 'Plans', path: '/plans', pages: ['plans', 'plan'], shown: can('manage_plans', session) },
    { label: 'Admins', path: '/admins', pages: ['admins'], shown: can('superadmin', session) },
    { label: 'Audit log', path: '/audit', pages: ['audit'], shown: can('view_audit_log', session) },
  ];
  const out = async () => {
    setBusy(true);
    // the session ends in this tab whatever the service answers (an expired token is signed out already)
    await signOut().catch(() => {});
    setBusy(false);
  };
  return (
    <>
      <header class="topbar">
        <p class="brand">SocioX admin</p>
        <nav aria-label="Main">
          <ul>
            {items
              .filter((i) => i.shown)
              .map((i) => (
                <li key={i.path}>
                  <a
                    href={href(i.path)}
                    aria-current={i.pages.includes(route.page) ? 'page' : undefined}
                    onClick={(e) => reloadIfCurrent(e, i.path)}
                  >
                    {i.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="whoami">
          <span class="email" title={session.admin.role}>
            {session.admin.email}
          </span>
          <button type="button" onClick={out} disabled={busy}>
            Sign out
          </button>
        </div>
      </header>
      <Toasts />
      <main id="main">{children}</main>
    </>
  );
}
