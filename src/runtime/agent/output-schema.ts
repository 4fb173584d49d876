// execution.output_schema: reading the final answer as JSON (a ```json fence allowed) and a small
// JSON Schema validator for the subset agents use, reporting problems as `$.path: message` lines.
type Schema = Record<string, unknown> | boolean;

const MAX_PROBLEMS = 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
  const actual = typeOf(v);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Key-order-independent JSON text, for const/enum comparison and call identity. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

const child = (path: string, key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

function validateInto(schema: Schema, value: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_PROBLEMS || schema === true) return;
  if (schema === false || !isObject(schema)) {
    if (schema === false) out.push(`${path}: no value is allowed here`);
    return;
  }
  const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? (schema.type as string[]) : [];
  if (types.length && !types.some((t) => matchesType(value, t))) {
    out.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
    return;
  }
  if ('const' in schema && canonicalJson(schema.const) !== canonicalJson(value)) out.push(`${path}: must equal ${show(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => canonicalJson(e) === canonicalJson(value))) {
    out.push(`${path}: must be one of ${schema.enum.map(show).join(', ')}`);
  }
  const branches = (key: 'anyOf' | 'oneOf') => (Array.isArray(schema[key]) ? (schema[key] as Schema[]) : undefined);
  const anyOf = branches('anyOf');
  if (anyOf && !anyOf.some((s) => validateSchema(s, value, path).length === 0)) out.push(`${path}: does not match any of the allowed schemas`);
  const oneOf = branches('oneOf');
  if (oneOf) {
    const matching = oneOf.filter((s) => validateSchema(s, value, path).length === 0).length;
    if (matching === 0) out.push(`${path}: does not match any of the allowed schemas`);
    if (matching > 1) out.push(`${path}: matches ${matching} schemas where exactly one is allowed`);
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) validateInto(s, value, path, out);

  if (isObject(value)) validateObject(schema, value, path, out);
  else if (Array.isArray(value)) validateArray(schema, value, path, out);
  else if (typeof value === 'string') validateString(schema, value, path, out);
  else if (typeof value === 'number') validateNumber(schema, value, path, out);
}

function validateObject(schema: Record<string, unknown>, value: Record<string, unknown>, path: string, out: string[]): void {
  const props = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
  for (const key of Array.isArray(schema.required) ? schema.required : []) {
    if (typeof key === 'string' && !(key in value)) out.push(`${child(path, key)}: is required`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (key in props) validateInto(props[key], v, child(path, key), out);
    else if (schema.additionalProperties === false) out.push(`${child(path, key)}: is not an allowed property`);
    else if (isObject(schema.additionalProperties)) validateInto(schema.additionalProperties, v, child(path, key), out);
  }
}

function validateArray(schema: Record<string, unknown>, value: unknown[], path: string, out: string[]): void {
  const min = num(schema.minItems);
  const max = num(schema.maxItems);
  if (min !== undefined && value.length < min) out.push(`${path}: must have at least ${min} items`);
  if (max !== undefined && value.length > max) out.push(`${path}: must have at most ${max} items`);
  const items = schema.items;
  value.forEach((v, i) => {
    const s = Array.isArray(items) ? items[i] : items;
    if (s !== undefined) validateInto(s as Schema, v, `${path}[${i}]`, out);
  });
}

function validateString(schema: Record<string, unknown>, value: string, path: string, out: string[]): void {
  const length = [...value].length;
  const min = num(schema.minLength);
  const max = num(schema.maxLength);
  if (min !== undefined && length < min) out.push(`${path}: must be at least ${min} characters`);
  if (max !== undefined && length > max) out.push(`${path}: must be at most ${max} characters`);
  if (typeof schema.pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(schema.pattern, 'u');
    } catch {
      re = undefined; // an invalid pattern constrains nothing
    }
    if (re && !re.test(value)) out.push(`${path}: must match the pattern ${schema.pattern}`);
  }
}

function validateNumber(schema: Record<string, unknown>, value: number, path: string, out: string[]): void {
  const checks: Array<[unknown, (n: number) => boolean, string]> = [
    [schema.minimum, (n) => value >= n, 'must be >='],
    [schema.maximum, (n) => value <= n, 'must be <='],
    [schema.exclusiveMinimum, (n) => value > n, 'must be >'],
    [schema.exclusiveMaximum, (n) => value < n, 'must be <'],
  ];
  for (const [bound, ok, text] of checks) {
    const n = num(bound);
    if (n !== undefined && !ok(n)) out.push(`${path}: ${text} ${n}`);
  }
}

/** Every problem of `value` against `schema` (at most 20); empty when it is valid. */
export function validateSchema(schema: unknown, value: unknown, path = '$'): string[] {
  const out: string[] = [];
  validateInto(schema as Schema, value, path, out);
  return out;
}

export type ParsedAnswer = { ok: true; value: unknown } | { ok: false; problem: string };

const WHOLE_FENCE = /^```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;
const ANY_FENCE = /```(?:json|JSON)[ \t]*\r?\n([\s\S]*?)```/;

/** The answer text as JSON: the whole text, the body of a fence that is the whole text, or a ```json block inside it. */
export function parseJsonAnswer(text: string): ParsedAnswer {
  const trimmed = text.trim();
  const candidates = [trimmed];
  const whole = trimmed.match(WHOLE_FENCE);
  if (whole) candidates.unshift(whole[1].trim());
  else {
    const inner = trimmed.match(ANY_FENCE);
    if (inner) candidates.push(inner[1].trim());
  }
  let firstError = '';
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (e) {
      firstError ||= (e as Error).message;
    }
  }
  return { ok: false, problem: `$: the answer is not valid JSON (${firstError})` };
}

export type SchemaCheck = { ok: true; json: string } | { ok: false; problems: string[] };

/** Parses and validates a final answer; on success gives the compact JSON text. */
export function checkAnswer(schema: Record<string, unknown>, text: string): SchemaCheck {
  const parsed = parseJsonAnswer(text);
  if (!parsed.ok) return { ok: false, problems: [parsed.problem] };
  const problems = validateSchema(schema, parsed.value);
  return problems.length ? { ok: false, problems } : { ok: true, json: JSON.stringify(parsed.value) };
}
