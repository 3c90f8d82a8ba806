import { Type } from '@sinclair/typebox';
import { Email, Matching, Name, Password } from '../../http/schemas.js';

/** one line, 1–100 characters, at least one of them visible */
export const PersonName = Name({ maxLength: 100 });
export const Phone = Matching('^[0-9+()\\-. ]+$', 'must contain only digits, spaces and + ( ) - .', { minLength: 3, maxLength: 32 });

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
