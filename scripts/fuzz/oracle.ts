/**
 * Whether a value breaks its field's schema, checked without coercion: a 2xx answer to such a body
 * means the service accepted what its own document forbids (type coercion, limits not enforced).
 * Reported as warnings, not failures: the pass criteria are about crashes and the envelope.
 */
import { mainBranch, type Schema, typesOf } from './openapi.js';
import { Raw } from './values.js';

/** The value as the service's JSON parser will see it: Raw text parsed, invalid UTF-8 replaced (as node decodes it). */
function parsed(v: unknown): { ok: true; value: unknown; lossy: boolean } | { ok: false } {
  if (!(v instanceof Raw)) return { ok: true, value: v, lossy: false };
  const text = v.bytes.toString('utf8');
  const lossy = Buffer.compare(Buffer.from(text, 'utf8'), v.bytes) !== 0;
  try {
    return { ok: true, value: JSON.parse(text), lossy };
  } catch {
    return { ok: false };
  }
}

function typeOk(types: Set<string>, v: unknown): boolean {
  if (v === null) return types.has('null');
  if (Array.isArray(v)) return types.has('array');
  if (typeof v === 'number') return Number.isFinite(v) && (types.has('number') || (types.has('integer') && Number.isInteger(v)));
  return types.has(typeof v);
}

/** Why `v` does not satisfy `s` (type, enum, lengths, bounds, items, members), or null. */
export function violation(s: Schema, raw: unknown, depth = 0): string | null {
  const p = parsed(raw);
  if (!p.ok) return 'not valid JSON text';
  const v = p.value;
  const branches = s.anyOf ?? s.oneOf;
  if (branches) return branches.some((b) => violation(b, v, depth + 1) === null) ? null : 'matches no allowed form';
  const types = typesOf(s);
  if (types.size && !typeOk(types, v)) return `wrong type (${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v})`;
  if (s.enum && !s.enum.some((e) => e === v)) return 'not one of the allowed values';
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) return `longer than ${s.maxLength}`;
    if (s.minLength !== undefined && len < s.minLength) return `shorter than ${s.minLength}`;
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) return 'does not match its pattern';
    if (s.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return 'not a uuid';
  }
  if (typeof v === 'number') {
    if (s.maximum !== undefined && v > s.maximum) return `above ${s.maximum}`;
    if (s.minimum !== undefined && v < s.minimum) return `below ${s.minimum}`;
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) return `more than ${s.maxItems} items`;
    if (s.minItems !== undefined && v.length < s.minItems) return `fewer than ${s.minItems} items`;
    if (s.items && depth < 10) for (const item of v.slice(0, 100)) if (violation(s.items, item, depth + 1)) return 'an item is invalid';
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && depth < 10) {
    const m = mainBranch(s);
    for (const k of m.required ?? []) if (!(k in v)) return `${k} missing`;
    for (const [k, val] of Object.entries(v)) {
      const prop = m.properties?.[k] ?? (typeof m.additionalProperties === 'object' ? m.additionalProperties : undefined);
      // unknown members are dropped silently (removeAdditional), so they decide nothing
      if (prop && violation(prop, val, depth + 1)) return `${k} is invalid`;
    }
  }
  return null;
}

// C0/C1 controls except tab, newline and carriage return; bidi overrides and isolates
const SUSPICIOUS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Characters a name, email or label should not keep silently (passwords may hold anything). */
export function suspicious(field: string, raw: unknown): string | null {
  if (/password|otp|token/i.test(field)) return null;
  const p = parsed(raw);
  if (!p.ok) return null;
  if (p.lossy) return 'invalid UTF-8 (decoded to U+FFFD silently)';
  const v = p.value;
  if (typeof v !== 'string') return null;
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v)) return 'an unpaired surrogate';
  if (SUSPICIOUS.test(v)) return 'control or bidi-override characters';
  return null;
}
