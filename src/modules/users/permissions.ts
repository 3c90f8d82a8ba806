/**
 * What a parent may grant a child user. The catalogue is closed: an unknown name is a 422,
 * so a typo never silently grants nothing. Other SocioX services read these from the token
 * (`perms`) or from GET /api/v1/users/me.
 */
export const CHILD_PERMISSIONS = ['create_posts', 'schedule_posts', 'view_analytics', 'manage_social_accounts', 'manage_billing'] as const;

export type ChildPermission = (typeof CHILD_PERMISSIONS)[number];
