/**
 * The compatibility surface in one screen: every method + path the two seed documents spell,
 * and the canonical route that answers it. A documented spelling equal to its canonical route
 * is listed too, so this table is the complete list of what a seed client may call.
 *
 * `sociox` = seeds/sociox-api.md, `hng` = seeds/hng-stage2-api.md (whose base URL is /api/v1,
 * so its `/auth/...` paths are `/api/v1/auth/...`; its `/api/...` paths are taken as written).
 */
export interface DocumentedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  documented: string;
  canonical: string;
  source: 'sociox' | 'hng' | 'both' | 'contract';
}

export const DOCUMENTED_ROUTES: readonly DocumentedRoute[] = [
  // auth
  { method: 'POST', documented: '/api/v1/auth/register', canonical: '/api/v1/auth/register', source: 'both' },
  { method: 'POST', documented: '/api/v1/auth/login', canonical: '/api/v1/auth/login', source: 'both' },
  { method: 'POST', documented: '/api/v1/auth/change-password', canonical: '/api/v1/auth/change-password', source: 'hng' },
  { method: 'POST', documented: '/api/auth/forgot-password', canonical: '/api/v1/auth/forgot-password', source: 'sociox' },
  { method: 'POST', documented: '/api/auth/reset-password', canonical: '/api/v1/auth/reset-password', source: 'sociox' },
  // the signed-in user
  { method: 'GET', documented: '/api/users/details', canonical: '/api/v1/users/me', source: 'sociox' },
  { method: 'GET', documented: '/api/profile', canonical: '/api/v1/profile', source: 'hng' },
  { method: 'PUT', documented: '/api/profile', canonical: '/api/v1/profile', source: 'hng' },
  { method: 'DELETE', documented: '/api/profile', canonical: '/api/v1/profile', source: 'hng' },
  { method: 'POST', documented: '/api/users/child-users', canonical: '/api/v1/users/children', source: 'sociox' },
  { method: 'POST', documented: '/api/v1/users/delete', canonical: '/api/v1/users/delete', source: 'sociox' },
  { method: 'POST', documented: '/api/users/confirm-delete', canonical: '/api/v1/users/confirm-delete', source: 'sociox' },
];

/** canonical "METHOD path" → documented spellings that differ from it */
export function aliasesByCanonical(routes: readonly DocumentedRoute[] = DOCUMENTED_ROUTES): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const r of routes) {
    if (r.documented === r.canonical) continue;
    const key = `${r.method} ${r.canonical}`;
    map.set(key, [...(map.get(key) ?? []), r.documented]);
  }
  return map;
}
