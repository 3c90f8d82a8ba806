/**
 * The compatibility surface in one screen: every method + path the two seed documents spell,
 * and the canonical route that answers it. A documented spelling equal to its canonical route
 * is listed too, so this table is the complete list of what a seed client may call.
 *
 * `sociox` = seeds/sociox-api.md, `hng` = seeds/hng-stage2-api.md (whose base URL is /api/v1,
 * so its `/auth/...` paths are `/api/v1/auth/...`; its `/api/...` paths are taken as written).
 */
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface DocumentedRoute {
  /** the method a seed client sends */
  method: Method;
  documented: string;
  canonical: string;
  /** when the canonical route uses another method (the seed's GET deactivate is a POST) */
  canonicalMethod?: Method;
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
  // organisations (PATCH/DELETE without an id: org_id in the query or body, else the caller's only organisation)
  { method: 'POST', documented: '/api/organisation', canonical: '/api/v1/organisations', source: 'hng' },
  { method: 'GET', documented: '/api/organisation', canonical: '/api/v1/organisations', source: 'hng' },
  { method: 'PATCH', documented: '/api/organisation', canonical: '/api/v1/organisations', source: 'hng' },
  { method: 'DELETE', documented: '/api/organisation', canonical: '/api/v1/organisations', source: 'hng' },
  { method: 'PATCH', documented: '/api/organisation/:org_id', canonical: '/api/v1/organisations/:org_id', source: 'contract' },
  { method: 'DELETE', documented: '/api/organisation/:org_id', canonical: '/api/v1/organisations/:org_id', source: 'contract' },
  { method: 'POST', documented: '/api/organisation/:org_id/users', canonical: '/api/v1/organisations/:org_id/members', source: 'hng' },
  {
    method: 'PATCH',
    documented: '/api/organisation/:org_id/users',
    canonical: '/api/v1/organisations/:org_id/members',
    canonicalMethod: 'DELETE',
    source: 'hng',
  },
  { method: 'GET', documented: '/api/users/:id', canonical: '/api/v1/users/:id', source: 'hng' },
  // staff admins (the seed's "update admin permission" entry is a copy error; the contract decides the PUT)
  { method: 'POST', documented: '/api/v1/admin/login', canonical: '/api/v1/admin/login', source: 'sociox' },
  { method: 'POST', documented: '/api/v1/admin/create-admin', canonical: '/api/v1/admin/admins', source: 'sociox' },
  { method: 'GET', documented: '/api/v1/admin/get-all-admins', canonical: '/api/v1/admin/admins', source: 'sociox' },
  { method: 'GET', documented: '/api/v1/admin/get-admin-details/:adminId', canonical: '/api/v1/admin/admins/:adminId', source: 'sociox' },
  { method: 'DELETE', documented: '/api/v1/admin/delete-admin/:adminId', canonical: '/api/v1/admin/admins/:adminId', source: 'sociox' },
  {
    method: 'PUT',
    documented: '/api/v1/admin/update-admin-permissions/:adminId',
    canonical: '/api/v1/admin/admins/:adminId/permissions',
    source: 'contract',
  },
  // admin user management (the seed's GET deactivate/reactivate also answer POST, per the contract)
  { method: 'GET', documented: '/api/v1/admin/users', canonical: '/api/v1/admin/users', source: 'sociox' },
  { method: 'GET', documented: '/api/admin/users/:userId/details', canonical: '/api/v1/admin/users/:userId', source: 'sociox' },
  {
    method: 'GET',
    documented: '/api/admin/users/:userId/deactivate',
    canonical: '/api/v1/admin/users/:userId/deactivate',
    canonicalMethod: 'POST',
    source: 'sociox',
  },
  {
    method: 'POST',
    documented: '/api/admin/users/:userId/deactivate',
    canonical: '/api/v1/admin/users/:userId/deactivate',
    source: 'contract',
  },
  {
    method: 'GET',
    documented: '/api/admin/users/:userId/reactivate',
    canonical: '/api/v1/admin/users/:userId/reactivate',
    canonicalMethod: 'POST',
    source: 'sociox',
  },
  {
    method: 'POST',
    documented: '/api/admin/users/:userId/reactivate',
    canonical: '/api/v1/admin/users/:userId/reactivate',
    source: 'contract',
  },
  { method: 'DELETE', documented: '/api/admin/users/:userId', canonical: '/api/v1/admin/users/:userId', source: 'sociox' },
  {
    method: 'POST',
    documented: '/api/admin/users/sendPasswordResetLink',
    canonical: '/api/v1/admin/users/password-reset-link',
    source: 'sociox',
  },
  { method: 'POST', documented: '/api/admin/users/reset-password', canonical: '/api/v1/auth/reset-password-link', source: 'sociox' },
  { method: 'GET', documented: '/api/v1/admin/audit-log', canonical: '/api/v1/admin/audit-log', source: 'contract' },
  // plan catalogue (SocioX admin)
  { method: 'GET', documented: '/api/v1/admin/subscription/plans', canonical: '/api/v1/admin/plans', source: 'sociox' },
  { method: 'GET', documented: '/api/admin/subscription/plans/:planId', canonical: '/api/v1/admin/plans/:planId', source: 'sociox' },
  { method: 'POST', documented: '/api/admin/subscription/plans', canonical: '/api/v1/admin/plans', source: 'sociox' },
  { method: 'PUT', documented: '/api/admin/subscription/plans/:planId', canonical: '/api/v1/admin/plans/:planId', source: 'sociox' },
  {
    method: 'PATCH',
    documented: '/api/admin/subscription/plans/:planId/features',
    canonical: '/api/v1/admin/plans/:planId/custom-features',
    source: 'sociox',
  },
  {
    method: 'POST',
    documented: '/api/subscription/admin/plans/:planId/status',
    canonical: '/api/v1/admin/plans/:planId/status',
    source: 'sociox',
  },
  { method: 'DELETE', documented: '/api/subscription/admin/plans/:planId', canonical: '/api/v1/admin/plans/:planId', source: 'sociox' },
  {
    method: 'PUT',
    documented: '/api/subscriptions/plan-features/:planId',
    canonical: '/api/v1/admin/plans/:planId/features',
    canonicalMethod: 'PATCH',
    source: 'sociox',
  },
  // public plans (the seed's "dynamic link", decided by the contract)
  { method: 'GET', documented: '/api/v1/subscription/plans', canonical: '/api/v1/subscription/plans', source: 'contract' },
  {
    method: 'GET',
    documented: '/api/v1/subscription/plans/category/:category',
    canonical: '/api/v1/subscription/plans/category/:category',
    source: 'contract',
  },
  // HNG's simple view of plans, and its subscribe
  { method: 'GET', documented: '/api/subscription', canonical: '/api/v1/subscription', source: 'hng' },
  { method: 'POST', documented: '/api/subscription', canonical: '/api/v1/subscription', source: 'hng' },
  { method: 'PATCH', documented: '/api/subscription/:id', canonical: '/api/v1/subscription/:id', source: 'hng' },
  { method: 'DELETE', documented: '/api/subscription/:id', canonical: '/api/v1/subscription/:id', source: 'hng' },
  { method: 'POST', documented: '/api/subscribe/:plan_id', canonical: '/api/v1/subscribe/:plan_id', source: 'hng' },
  // the user's own subscription (SocioX)
  { method: 'GET', documented: '/api/v1/users/subscription', canonical: '/api/v1/users/subscription', source: 'sociox' },
  { method: 'POST', documented: '/api/v1/users/subscribe', canonical: '/api/v1/users/subscribe', source: 'sociox' },
  { method: 'PUT', documented: '/api/v1/users/subscription/update', canonical: '/api/v1/users/subscription', source: 'sociox' },
  { method: 'POST', documented: '/api/v1/users/cancel-subscription', canonical: '/api/v1/users/subscription/cancel', source: 'sociox' },
  // an admin on behalf of a user (SocioX)
  {
    method: 'POST',
    documented: '/api/v1/admin/users/:userId/subscription',
    canonical: '/api/v1/admin/users/:userId/subscription',
    source: 'sociox',
  },
  {
    method: 'POST',
    documented: '/api/v1/admin/users/:userId/subscription/cancel',
    canonical: '/api/v1/admin/users/:userId/subscription/cancel',
    source: 'sociox',
  },
  {
    method: 'GET',
    documented: '/api/admin/users/:userId/subscription',
    canonical: '/api/v1/admin/users/:userId/subscription',
    source: 'sociox',
  },
  {
    method: 'POST',
    documented: '/api/admin/users/:userId/subscription/update',
    canonical: '/api/v1/admin/users/:userId/subscription',
    canonicalMethod: 'PUT',
    source: 'sociox',
  },
  // notifications (HNG)
  { method: 'GET', documented: '/api/notifications', canonical: '/api/v1/notifications', source: 'hng' },
];

/** canonical "METHOD path" → the documented method + path pairs that differ from it */
export function aliasesByCanonical(routes: readonly DocumentedRoute[] = DOCUMENTED_ROUTES): Map<string, { method: Method; url: string }[]> {
  const map = new Map<string, { method: Method; url: string }[]>();
  for (const r of routes) {
    const canonicalMethod = r.canonicalMethod ?? r.method;
    if (r.documented === r.canonical && canonicalMethod === r.method) continue;
    const key = `${canonicalMethod} ${r.canonical}`;
    map.set(key, [...(map.get(key) ?? []), { method: r.method, url: r.documented }]);
  }
  return map;
}
