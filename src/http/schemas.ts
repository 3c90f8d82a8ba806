import { Type, type TSchema, type TProperties } from '@sinclair/typebox';

/** The error body every non-2xx answer has (contract §3). */
export const ErrorEnvelope = Type.Object(
  {
    status: Type.Literal(false),
    message: Type.String(),
    code: Type.String({ description: 'stable machine-readable error code' }),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'ErrorEnvelope', title: 'Error' },
);

/** `{ status: true, message, ...extra }`: extra holds `data`, `token`, `profile`, `meta` as a route needs. */
export function Envelope<P extends TProperties>(extra: P = {} as P) {
  return Type.Object({ status: Type.Literal(true), message: Type.String(), ...extra });
}

export const MessageEnvelope = Envelope();

/** Declare error statuses in one spread: `response: { 200: X, ...errors(401, 422) }` */
export function errors<S extends number>(...statuses: S[]): Record<S, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref(ErrorEnvelope)])) as Record<S, TSchema>;
}

export const Uuid = Type.String({ format: 'uuid' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
/** contract §4: 8–128 characters */
export const Password = Type.String({ minLength: 8, maxLength: 128 });

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};
export const PageMeta = Type.Object({ page: Type.Integer(), limit: Type.Integer(), total: Type.Integer() });
