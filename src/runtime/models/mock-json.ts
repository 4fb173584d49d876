// The mock provider's structured answer: the smallest deterministic JSON value that a JSON Schema
// (the subset agents use) accepts, so mock runs pass output_schema validation.
type Schema = Record<string, unknown>;

const MOCK_TEXT = 'mock';
const MAX_DEPTH = 12;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function firstType(schema: Schema): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') ?? t[0]) as string | undefined;
  if (isSchema(schema.properties) || Array.isArray(schema.required)) return 'object';
  if (schema.items !== undefined || schema.minItems !== undefined) return 'array';
  return undefined;
}

function minimalNumber(schema: Schema, integer: boolean): number {
  const min = num(schema.minimum);
  const exMin = num(schema.exclusiveMinimum);
  const max = num(schema.maximum);
  const exMax = num(schema.exclusiveMaximum);
  let n = 0;
  if (min !== undefined) n = min;
  else if (exMin !== undefined) n = integer ? Math.floor(exMin) + 1 : exMin + 1;
  else if (max !== undefined && max < 0) n = max;
  else if (exMax !== undefined && exMax <= 0) n = exMax - 1;
  return integer ? Math.ceil(n) : n;
}

function minimalString(schema: Schema): string {
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength);
  let s = MOCK_TEXT;
  if (s.length < min) s = s + 'x'.repeat(min - s.length);
  if (max !== undefined && s.length > max) s = s.slice(0, Math.max(0, max));
  return s;
}

/**
 * const → its value; enum → the first; anyOf/oneOf → the first branch; objects hold their required
 * properties plus any property with a `const`; arrays hold minItems items; strings a short text;
 * numbers their minimum (or 0); booleans false.
 */
export function minimalInstance(schema: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length && !schema.type) return minimalInstance(branches[0], depth + 1);
  }
  switch (firstType(schema)) {
    case 'object': {
      const props = isSchema(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : []);
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props)) {
        if (required.has(key) || (isSchema(sub) && 'const' in sub)) out[key] = minimalInstance(sub, depth + 1);
      }
      for (const key of required) if (!(key in out)) out[key] = MOCK_TEXT;
      return out;
    }
    case 'array': {
      const count = num(schema.minItems) ?? 0;
      const items = schema.items;
      return Array.from({ length: count }, (_, i) => minimalInstance(Array.isArray(items) ? items[i] : items, depth + 1));
    }
    case 'string':
      return minimalString(schema);
    case 'integer':
      return minimalNumber(schema, true);
    case 'number':
      return minimalNumber(schema, false);
    case 'boolean':
      return false;
    default:
      return null;
  }
}
