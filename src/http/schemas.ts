import { type StringOptions, type TProperties, type TSchema, type TString, Type } from '@sinclair/typebox';

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

/** OFFSET paging is for small lists (ENGINEERING: keyset for deep pages): page 10,000 of 100 is as deep as it goes. */
export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};
export const PageMeta = Type.Object({ page: Type.Integer(), limit: Type.Integer(), total: Type.Integer() });

// ---------------------------------------------------------------------------------------------
// text a person typed, shown to other people (names in notifications, emails, admin screens)

/**
 * What no single-line field may hold: C0 controls (TAB, CR, LF among them), DEL, C1 controls,
 * the Arabic letter mark and left-to-right/right-to-left marks, line and paragraph separators,
 * bidi embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). An ANSI escape
 * repaints a terminal reading the log, CR/LF forges lines in a notification or an email, and
 * U+202E shows "Plan\u202Eexe.txt" as "Plantxt.exe".
 */
const UNSAFE = '\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028-\\u202E\\u2066-\\u2069';
/** The same, less TAB, LF and CR: a description may have lines (a CR only before an LF). */
const UNSAFE_MULTILINE = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028-\\u202E\\u2066-\\u2069';
/** Space and what renders as nothing: zero-width characters, joiners, fillers, variation selectors. */
const INVISIBLE = '\\s\\u00AD\\u034F\\u115F\\u1160\\u17B4\\u17B5\\u180E\\u200B-\\u200F\\u2060-\\u2064\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0';

export const SINGLE_LINE_PATTERN = `^[^${UNSAFE}]*$`;
export const MULTI_LINE_PATTERN = `^(?:[^${UNSAFE_MULTILINE}\\r]|\\r\\n)*$`;
const VISIBLE_PATTERN = `[^${INVISIBLE}]`;
/** empty or only spaces is left to the route (a seed may fix that message); invisible-only is not */
const VISIBLE_OR_BLANK_PATTERN = `^\\s*$|[^${INVISIBLE}]`;

/** ajv says "must match pattern "^[^\\u0000-…"": these say what is wrong. Keyed by pattern source. */
export const PATTERN_MESSAGES: Record<string, string> = {
  [SINGLE_LINE_PATTERN]: 'must not contain control or bidirectional-override characters',
  [MULTI_LINE_PATTERN]: 'must not contain control or bidirectional-override characters (line breaks and tabs are fine)',
  [VISIBLE_PATTERN]: 'must contain a visible character',
  [VISIBLE_OR_BLANK_PATTERN]: 'must contain a visible character',
};

/** A string matching `pattern`, whose 422 says `message` (registered in PATTERN_MESSAGES). */
export function Matching(pattern: string, message: string, options: StringOptions = {}): TString {
  PATTERN_MESSAGES[pattern] = message;
  return Type.String({ ...options, pattern });
}

/** One line of text: no control, bidi-override or line-separator characters. */
export function SingleLine(options: StringOptions = {}): TString {
  return Type.String({ ...options, pattern: SINGLE_LINE_PATTERN });
}

/** A description: SingleLine's rules, except that TAB, LF and CRLF are allowed. */
export function MultiLine(options: StringOptions = {}): TString {
  return Type.String({ ...options, pattern: MULTI_LINE_PATTERN });
}

/**
 * A name: one line with at least one visible character, so a name of only zero-width spaces is
 * refused. `blank: true` lets an empty or all-space value through for the route to answer
 * (a seed's "Name is required" message, or clearing a last name).
 */
export function Name(options: StringOptions & { blank?: boolean } = {}): TString {
  const { blank, ...rest } = options;
  return Type.String({
    minLength: blank ? 0 : 1,
    ...rest,
    pattern: SINGLE_LINE_PATTERN,
    allOf: [{ pattern: blank ? VISIBLE_OR_BLANK_PATTERN : VISIBLE_PATTERN }],
  });
}
