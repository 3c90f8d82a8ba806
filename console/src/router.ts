import { useEffect, useState } from 'preact/hooks';

/** The console's pages, from the URL's hash (`/admin/#/users/…`): the service serves one index.html. */
export type Route =
  | { page: 'login' }
  | { page: 'dashboard' }
  | { page: 'users' }
  | { page: 'user'; id: string }
  | { page: 'plans' }
  | { page: 'plan'; id: string | null }
  | { page: 'admins' }
  | { page: 'audit' }
  | { page: 'notFound' };

export function parse(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?', 1)[0] || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, ...rest] = parts;
  if (rest.length) return { page: 'notFound' };
  if (!first) return { page: 'dashboard' };
  if (first === 'login' && !second) return { page: 'login' };
  if (first === 'users') return second ? { page: 'user', id: second } : { page: 'users' };
  if (first === 'plans') return second ? { page: 'plan', id: second === 'new' ? null : second } : { page: 'plans' };
  if (first === 'admins' && !second) return { page: 'admins' };
  if (first === 'audit' && !second) return { page: 'audit' };
  return { page: 'notFound' };
}

/** `#/users/<id>` for a link's href */
export function href(path: string): string {
  return `#${path}`;
}

export function navigate(path: string): void {
  if (location.hash !== href(path)) location.hash = href(path);
}

export function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/';
}

/** A link to the page already shown loads it again (the browser fires no hashchange for the same hash). */
export function reloadIfCurrent(e: MouseEvent, path: string): void {
  if (location.hash !== href(path) || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The route, and a count of visits: each navigation (to the same page too) is a new visit, with fresh data. */
export function useRoute(): { route: Route; visit: number } {
  const [state, setState] = useState(() => ({ route: parse(location.hash), visit: 0 }));
  useEffect(() => {
    const onChange = () => setState((s) => ({ route: parse(location.hash), visit: s.visit + 1 }));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return state;
}
