/** Every action the audit log records: the one list, so a filter or a report can name them all. */
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
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
