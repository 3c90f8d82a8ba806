import { type Static, Type } from '@sinclair/typebox';
import type { OrganisationRow, VisibleUserRow } from './repository.js';

/** An organisation as the caller sees it: `creator` says whether the caller created it. */
export const OrganisationSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  creator: Type.Boolean({ description: 'true when the caller created the organisation' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export type PublicOrganisation = Static<typeof OrganisationSchema>;

/** What GET /api/users/:id shows of another user (the HNG fields, plus id and name). */
export const OrganisationUserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  email: Type.String(),
});

export type PublicOrganisationUser = Static<typeof OrganisationUserSchema>;

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export function presentOrganisation(o: OrganisationRow, callerId: string): PublicOrganisation {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    creator: o.creator_id === callerId,
    created_at: iso(o.created_at),
    updated_at: iso(o.updated_at),
  };
}

export function presentOrganisationUser(u: VisibleUserRow): PublicOrganisationUser {
  return { id: u.id, name: u.name, first_name: u.first_name, last_name: u.last_name, phone: u.phone, email: u.email };
}
