import { Type } from '@sinclair/typebox';
import { Email, Password } from '../../http/schemas.js';

export const PersonName = Type.String({ minLength: 1, maxLength: 100 });
export const Phone = Type.String({ minLength: 3, maxLength: 32, pattern: '^[0-9+()\\-. ]+$' });

/**
 * What a new account is made of, for register (both seed shapes) and for child users:
 * `name`, or both `first_name` and `last_name` (resolveNames decides).
 */
export const NewAccountFields = {
  email: Email,
  password: Password,
  name: Type.Optional(PersonName),
  first_name: Type.Optional(PersonName),
  last_name: Type.Optional(PersonName),
  phone: Type.Optional(Phone),
};

export interface NewAccountInput {
  email: string;
  password: string;
  name?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
}
