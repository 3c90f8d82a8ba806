/**
 * Catalogues of hostile values: wrong types, huge numbers, odd Unicode, invalid UTF-8, deep
 * nesting, bad ids for paths, content types, broken JSON.
 */
import { Raw } from './values.js';

export const nestedArrays = (depth: number) => new Raw('['.repeat(depth) + ']'.repeat(depth), `arrays nested ${depth} deep`);
export const nestedObjects = (depth: number) => new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, `objects nested ${depth} deep`);
export const nestedMixed = (depth: number) =>
  new Raw(`${'[{"a":'.repeat(depth)}null${'}]'.repeat(depth)}`, `array/object nested ${depth * 2} deep`);

export const NESTING: Raw[] = [nestedArrays(50), nestedObjects(50), nestedArrays(5000), nestedObjects(5000), nestedMixed(2500)];

/** Wrong-type probes; strings that look like numbers or booleans and one-item arrays probe type coercion. */
export const WRONG_TYPES: unknown[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  '',
  'fuzz',
  '123',
  '1.5',
  'true',
  'null',
  [],
  [1],
  ['a'],
  {},
  { a: 1 },
];

export const HUGE_NUMBERS: unknown[] = [
  new Raw('1e308'),
  new Raw('-1e308'),
  new Raw('1e400', '1e400 (Infinity once parsed)'),
  new Raw('-1e400'),
  new Raw('-0'),
  new Raw('5e-324'),
  new Raw('9007199254740993'),
  new Raw('123456789012345678901234567890'),
  new Raw(`1${'0'.repeat(400)}`, '1 followed by 400 zeros'),
  new Raw('1.0'),
  new Raw('1E2'),
  'NaN',
  'Infinity',
  '-Infinity',
  '1e308',
  '-0',
  '0x10',
  ' 1 ',
  '99999999999999999999',
];

const u = (text: string, labelText: string) => new Raw(text, labelText);

/** Odd Unicode; lone surrogates as JSON escapes (a JS string cannot carry them through Buffer.from). */
export const UNICODE: unknown[] = [
  '\u0000',
  'a\u0000b',
  u('"\\ud800"', 'lone high surrogate \\ud800'),
  u('"x\\udc00y"', 'lone low surrogate \\udc00'),
  u('"\\udbff\\udbff"', 'two high surrogates'),
  u('"\\u0000"', 'escaped NUL'),
  '\u202eevil\u202c.exe',
  '\u200b',
  'a\u200d\u200cb\u2060',
  '\ufeffBOM',
  '😀👨‍👩‍👧‍👦🏳️‍🌈',
  `e${'\u0301'.repeat(500)}`,
  'Z\u0351\u0360\u0352\u0368\u0300'.repeat(40),
  '\u0001\u001b[31mred\u007f\u0085',
  'line\nbreak\r\ttab',
  '\u2028\u2029',
  '\uffff\ufffe',
  'שלום مرحبا',
  '𝕏'.repeat(60),
  ' ',
  '\t\n ',
  "'; drop table users; --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}{{7*7}}%s%n',
  '../../../../etc/passwd',
  '\\',
];

/** Invalid UTF-8 inside a JSON string: overlong encodings, CESU surrogates, stray continuation bytes. */
export const BAD_UTF8: Raw[] = [
  [0xff, 0xfe],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
].map(
  (bytes) =>
    new Raw(
      Buffer.concat([Buffer.from('"a'), Buffer.from(bytes), Buffer.from('b"')]),
      `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')}`,
    ),
);

/** Path segments for an id, already percent-encoded where needed (node refuses raw spaces and controls). */
export function badIds(realId: string | undefined, otherId: string | undefined): string[] {
  const id = realId ?? '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  return [
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    '3f2504e0-4f89-61d3-ca0c-0305e82c3301',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    id.toUpperCase(),
    `${id}x`,
    id.slice(0, -1),
    id.replace(/-/g, ''),
    `%7B${id}%7D`,
    `${id}%00`,
    `${id}%20`,
    ...(otherId ? [otherId] : []),
    '1e30',
    '-1',
    '0',
    '1',
    '99999999999999999999',
    '1.5',
    'NaN',
    'null',
    'undefined',
    'true',
    '..',
    '..%2F..%2Fetc%2Fpasswd',
    '..%252F..%252Fetc',
    '%2e%2e',
    '%00',
    '%ff',
    '%',
    '%zz',
    '%C0%AF',
    '%E2%80%AE',
    '%F0%9F%98%80',
    '%ED%A0%80',
    '%EF%BB%BF',
    'a'.repeat(101),
    'a'.repeat(5000),
    '%20',
    '+',
    ';',
    '*',
    "'%20OR%201=1--",
    '$where',
  ];
}

export const CONTENT_TYPES: (string | null)[] = [
  null,
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/JSON',
  'application/json;',
  'application/vnd.api+json',
  'application/json-patch+json',
  '*/*',
  'application/json, text/plain',
  `application/json; ${'x'.repeat(4000)}`,
];

export const INVALID_JSON: string[] = [
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  'nul',
  'undefined',
  'NaN',
  '{"a":NaN}',
  '[1,2',
  '"unterminated',
  '{"a":1}garbage',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '   ',
  '\u0000',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '{"a":01}',
];

export const ROOT_VALUES: Raw[] = ['null', 'true', '0', '"str"', '[]', '1e308', '-0', '[{}]'].map((t) => new Raw(t));
