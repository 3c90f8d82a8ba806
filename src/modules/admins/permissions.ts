/**
 * What an admin may be allowed to do. A superadmin holds every permission and alone
 * manages admins (`superadmin` in a route's `permission` means "superadmins only").
 */
export const ADMIN_PERMISSIONS = [
  'manage_users', // deactivate, reactivate, delete users, send reset links
  'view_user_details', // list users and read their details
  'manage_content',
  'manage_plans', // plan catalogue
  'manage_subscriptions', // subscriptions on behalf of users
  'view_analytics',
  'view_audit_log', // read the audit log (superadmins always may)
  'manage_webhooks', // webhook endpoints, their deliveries and secrets
] as const;

export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];
export type RoutePermission = AdminPermission | 'superadmin' | 'any';

export function allows(admin: { role: string; permissions: readonly string[] }, needed: RoutePermission): boolean {
  if (admin.role === 'superadmin') return true;
  if (needed === 'superadmin') return false;
  return needed === 'any' || admin.permissions.includes(needed);
}
