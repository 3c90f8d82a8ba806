import { type Static, Type } from '@sinclair/typebox';
import type { UserRow } from './repository.js';

/** A customer account as every response shows it: never a hash, a token version or a failure counter. */
export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    first_name: Type.String(),
    last_name: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]),
    picture: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.Literal('parent'), Type.Literal('child')]),
    parent_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    permissions: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
    last_login_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'User', title: 'User' },
);

export type PublicUser = Static<typeof UserSchema>;

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export function presentUser(u: UserRow): PublicUser {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    first_name: u.first_name,
    last_name: u.last_name,
    phone: u.phone,
    picture: u.picture,
    role: u.role,
    parent_id: u.parent_id,
    permissions: u.permissions,
    status: u.status,
    last_login_at: u.last_login_at ? iso(u.last_login_at) : null,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
  };
}

/** "Ada Lovelace" → ["Ada", "Lovelace"]; a single word leaves the last name empty. */
export function splitName(name: string): [string, string] {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  const i = trimmed.indexOf(' ');
  return i === -1 ? [trimmed, ''] : [trimmed.slice(0, i), trimmed.slice(i + 1)];
}

/**
 * The contract's rule for both seed shapes: `name`, or both `first_name` and `last_name`;
 * whichever is missing is derived from the other. Null when neither is given.
 */
export function resolveNames(input: {
  name?: string;
  first_name?: string;
  last_name?: string;
}): { name: string; firstName: string; lastName: string } | null {
  const name = input.name?.trim();
  const first = input.first_name?.trim();
  const last = input.last_name?.trim();
  if (!name && !(first && last)) return null;
  const [derivedFirst, derivedLast] = name ? splitName(name) : ['', ''];
  return { name: name || `${first} ${last}`, firstName: first || derivedFirst, lastName: last || derivedLast };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The words for this module's unique constraints (the error handler answers 409 with them). */
export const USERS_CONFLICTS = {
  users_email_key: 'Account with the email already exists',
  users_phone_key: 'Account with the phone number already exists',
} as const;
