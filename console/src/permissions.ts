import type { AdminPermission, AuditAction } from './api/client';

/**
 * Every admin permission, in the service's order (src/modules/admins/permissions.ts). The API's
 * schema types them as a union, which a list cannot be read from: the check below makes a
 * permission added to or removed from the API a type error here until this list follows.
 */
export const ADMIN_PERMISSIONS = [
  'manage_users',
  'view_user_details',
  'manage_content',
  'manage_plans',
  'manage_subscriptions',
  'view_analytics',
  'view_audit_log',
  'manage_webhooks',
] as const satisfies readonly AdminPermission[];

type Missing = Exclude<AdminPermission, (typeof ADMIN_PERMISSIONS)[number]>;
const complete: [Missing] extends [never] ? true : { missing: Missing } = true;
void complete;

/**
 * The audit actions (src/modules/audit/actions.ts), the filter's choices. The API types `action`
 * as their union; as for the permissions, an action added to or removed from the API is a type
 * error here until this list follows.
 */
export const AUDIT_ACTIONS = [
  'admin.create',
  'admin.delete',
  'admin.permissions',
  'user.deactivate',
  'user.reactivate',
  'user.delete',
  'user.reset_link',
  'user.sessions_end',
  'keys.rotate',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate_secret',
  'webhook.retry',
  'webhook.test',
  'plan.create',
  'plan.update',
  'plan.custom_features',
  'plan.features',
  'plan.status',
  'plan.delete',
  'subscription.subscribe',
  'subscription.update',
  'subscription.cancel',
] as const satisfies readonly AuditAction[];

type MissingAction = Exclude<AuditAction, (typeof AUDIT_ACTIONS)[number]>;
const allActions: [MissingAction] extends [never] ? true : { missing: MissingAction } = true;
void allActions;

/** The action a filter names, or '' (any) for anything else. */
export function auditAction(value: string): AuditAction | '' {
  return (AUDIT_ACTIONS as readonly string[]).includes(value) ? (value as AuditAction) : '';
}

export function knownPermissions(list: readonly string[]): AdminPermission[] {
  return list.filter((p): p is AdminPermission => (ADMIN_PERMISSIONS as readonly string[]).includes(p));
}
