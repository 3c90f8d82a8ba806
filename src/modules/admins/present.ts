import { type Static, Type } from '@sinclair/typebox';
import { ADMIN_PERMISSIONS } from './permissions.js';
import type { AdminRow } from './repository.js';

/** A staff account as responses show it: never a password or hash. */
export const AdminSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    role: Type.Union([Type.Literal('admin'), Type.Literal('superadmin')]),
    permissions: Type.Array(Type.String()),
    created_by: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    last_login_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Admin', title: 'Admin' },
);

export type PublicAdmin = Static<typeof AdminSchema>;

export function presentAdmin(a: AdminRow): PublicAdmin {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    role: a.role,
    // a superadmin holds every permission, whatever is stored
    permissions: a.role === 'superadmin' ? [...ADMIN_PERMISSIONS] : a.permissions,
    created_by: a.created_by,
    last_login_at: a.last_login_at ? a.last_login_at.toISOString() : null,
    created_at: a.created_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
  };
}

/** The words for this module's unique constraints (the error handler answers 409 with them). */
export const ADMINS_CONFLICTS = { admins_email_key: 'An admin with this email already exists' } as const;
