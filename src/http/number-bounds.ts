/**
 * Query strings and path parameters are coerced to numbers, and a number reaches SQL: an
 * unbounded one is a 500 waiting to happen (`?cursor=99999999999999999999` is out of range for
 * bigint) or an OFFSET that scans millions of rows. So every integer or number in those parts
 * must declare both ends of its range; the routing policy refuses to register a route that does not.
 */

type Node = Record<string, unknown>;

const NUMERIC = new Set(['integer', 'number']);

function isNumeric(node: Node): boolean {
  const type = node.type;
  return Array.isArray(type) ? type.some((t) => NUMERIC.has(t as string)) : NUMERIC.has(type as string);
}

function isBounded(node: Node): boolean {
  const has = (k: string) => typeof node[k] === 'number';
  return (has('minimum') || has('exclusiveMinimum')) && (has('maximum') || has('exclusiveMaximum'));
}

/** The paths (`cursor`, `ids.items`) of numbers in `schema` without a minimum and a maximum. */
export function unboundedNumbers(schema: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[schema, '']];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [node, path] = entry;
    if (!node || typeof node !== 'object') continue;
    const n = node as Node;
    if (isNumeric(n) && !isBounded(n)) found.push(path || '(root)');
    const child = (key: string) => (path ? `${path}.${key}` : key);
    if (n.properties && typeof n.properties === 'object') {
      for (const [key, value] of Object.entries(n.properties)) stack.push([value, child(key)]);
    }
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (Array.isArray(n[k])) for (const value of n[k] as unknown[]) stack.push([value, path]);
    }
    if (n.items) stack.push([n.items, child('items')]);
    if (n.additionalProperties && typeof n.additionalProperties === 'object') stack.push([n.additionalProperties, child('*')]);
  }
  return found;
}
