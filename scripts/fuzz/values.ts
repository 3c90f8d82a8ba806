/**
 * The raw material of bad input: a seeded PRNG, and JSON text the fuzzer can splice verbatim
 * (numbers JSON.stringify would round, lone surrogates, invalid UTF-8, 5,000-deep nesting).
 * The hostile values themselves are in ./catalogue.ts.
 */

/** mulberry32: tiny, fast, and the same sequence on every platform for a given seed. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick<T>(list: readonly T[]): T {
      const v = list[Math.floor(next() * list.length)];
      if (v === undefined) throw new Error('pick from an empty list');
      return v;
    },
    /** up to n distinct items, in list order (so the output reads like the catalogue) */
    some<T>(list: readonly T[], n: number): T[] {
      if (list.length <= n) return [...list];
      const idx = list.map((_, i) => i);
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      return idx
        .slice(0, n)
        .sort((x, y) => x - y)
        .map((i) => list[i]!);
    },
  };
}

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(list: readonly T[]): T;
  some<T>(list: readonly T[], n: number): T[];
}

/** FNV-1a, to derive one PRNG per operation: filtering operations does not shift the others' cases. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** JSON text (or bytes) written as is where a value goes. */
export class Raw {
  readonly bytes: Buffer;
  constructor(
    text: string | Buffer,
    /** how the value reads in a report */
    readonly label = typeof text === 'string' ? text.slice(0, 40) : `<${text.length} raw bytes>`,
  ) {
    this.bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  }
}

/** JSON.stringify that splices Raw values in verbatim (iterative enough: the deep values are Raw). */
export function encode(v: unknown): Buffer {
  const parts: Buffer[] = [];
  const walk = (x: unknown) => {
    if (x instanceof Raw) parts.push(x.bytes);
    else if (Array.isArray(x)) {
      parts.push(Buffer.from('['));
      x.forEach((item, i) => {
        if (i) parts.push(Buffer.from(','));
        walk(item);
      });
      parts.push(Buffer.from(']'));
    } else if (x && typeof x === 'object') {
      parts.push(Buffer.from('{'));
      let first = true;
      for (const [k, val] of Object.entries(x)) {
        if (val === undefined) continue;
        if (!first) parts.push(Buffer.from(','));
        first = false;
        parts.push(Buffer.from(`${JSON.stringify(k)}:`));
        walk(val);
      }
      parts.push(Buffer.from('}'));
    } else parts.push(Buffer.from(JSON.stringify(x ?? null)));
  };
  walk(v);
  return Buffer.concat(parts);
}

/** An object's JSON with one more member spliced in raw (keys such as __proto__ that a JS object literal would eat). */
export function withRawMember(base: unknown, key: string, value: string | Buffer): Raw {
  const text = encode(base && typeof base === 'object' && !Array.isArray(base) ? base : {}).toString('utf8');
  const inner = text.slice(1, -1);
  const bytes = Buffer.concat([Buffer.from(`{${inner}${inner ? ',' : ''}${JSON.stringify(key)}:`), Buffer.from(value), Buffer.from('}')]);
  return new Raw(bytes, `+"${key}":${value.toString().slice(0, 30)}`);
}

export function label(v: unknown): string {
  if (v instanceof Raw) return v.label;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 30)}…(${s.length} chars)` : s;
}
