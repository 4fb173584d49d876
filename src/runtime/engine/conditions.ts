// Edge conditions: whether one route's condition matches an agent's final output (text, regex and
// JSON-path operators). Route selection over a node's routes lives in graph.ts.
import { compileOutputPattern } from '../../resources/agent-system';

/** The condition of an edge or delegate as normalized by the AgentSystem kind. */
export interface RouteCondition {
  output_contains?: string;
  output_not_contains?: string;
  output_matches?: string;
  default?: boolean;
  output_json_path?: string;
  equals?: string;
  not_equals?: string;
  contains?: string;
  greater_than?: string;
  less_than?: string;
}

/** A set field; empty strings count as unset, as in Orloj. Numbers written unquoted are accepted. */
const field = (v: unknown): string | undefined =>
  v === undefined || v === null || v === '' ? undefined : String(v);

/** True when every set field of the condition matches the output (an empty condition matches). */
export function conditionMatches(condition: RouteCondition, output: string): boolean {
  const c = condition as Record<string, unknown>;
  const lowered = output.toLowerCase();
  const contains = field(c.output_contains);
  if (contains !== undefined && !lowered.includes(contains.toLowerCase())) return false;
  const notContains = field(c.output_not_contains);
  if (notContains !== undefined && lowered.includes(notContains.toLowerCase())) return false;
  const pattern = field(c.output_matches);
  if (pattern !== undefined) {
    const re = compiled(pattern);
    if (!re || !re.test(output)) return false;
  }
  const path = field(c.output_json_path);
  if (path !== undefined && !jsonConditionMatches(c, path, output)) return false;
  return true;
}

function jsonConditionMatches(c: Record<string, unknown>, path: string, output: string): boolean {
  const parsed = parseJsonOutput(output);
  if (!parsed.ok) return false;
  const hit = jsonPathLookup(parsed.value, path);
  if (!hit.found) return false;
  const value = hit.value;
  const equals = field(c.equals);
  if (equals !== undefined && jsonValueString(value) !== equals) return false;
  const notEquals = field(c.not_equals);
  if (notEquals !== undefined && jsonValueString(value) === notEquals) return false;
  const contains = field(c.contains);
  if (contains !== undefined && !jsonValueContains(value, contains)) return false;
  for (const [key, above] of [['greater_than', true], ['less_than', false]] as const) {
    const raw = field(c[key]);
    if (raw === undefined) continue;
    const threshold = parseNumber(raw);
    const num = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : undefined;
    if (threshold === undefined || num === undefined) return false;
    if (above ? !(num > threshold) : !(num < threshold)) return false;
  }
  return true;
}

const FENCE = /```(?:json)?[ \t]*\r?\n?([\s\S]*?)```/i;

/** Parses the output as JSON, or else the first ```json (or bare ```) fenced block in it. */
export function parseJsonOutput(output: string): { ok: true; value: unknown } | { ok: false } {
  const attempt = (text: string) => {
    try {
      return { ok: true as const, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false as const };
    }
  };
  const whole = attempt(output.trim());
  if (whole.ok) return whole;
  const fenced = output.match(FENCE);
  return fenced ? attempt(fenced[1].trim()) : { ok: false };
}

/**
 * Resolves "$.a.b.0" (also "$.a.b[0]") against a parsed JSON value; "$" alone is the whole value.
 * Numeric segments index arrays; on objects they are ordinary keys.
 */
export function jsonPathLookup(root: unknown, path: string): { found: boolean; value?: unknown } {
  const segments = path
    .trim()
    .replace(/^\$/, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let current = root;
  for (const seg of segments) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(seg) || Number(seg) >= current.length) return { found: false };
      current = current[Number(seg)];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.prototype.hasOwnProperty.call(current, seg)) return { found: false };
      current = (current as Record<string, unknown>)[seg];
    } else return { found: false };
  }
  return { found: true, value: current };
}

/**
 * The string form compared by equals / not_equals / array contains: strings as they are, numbers
 * in plain decimal (integral ones without decimals), booleans as true/false, null as "", and
 * arrays/objects as compact JSON with sorted keys.
 */
export function jsonValueString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return plainNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(sortKeys(value));
}

function jsonValueContains(value: unknown, target: string): boolean {
  if (Array.isArray(value)) return value.some((v) => jsonValueString(v) === target);
  return jsonValueString(value).toLowerCase().includes(target.toLowerCase());
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}

/** Decimal notation without an exponent, like Go's FormatFloat 'f' (1e-7 → "0.0000001"). */
function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  const text = String(n);
  const m = text.match(/^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/);
  if (!m) return text;
  const [, sign, lead, frac = '', exp] = m;
  const digits = lead + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number (Go ParseFloat's everyday forms, plus Inf/Infinity); undefined otherwise. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim();
  if (NUMBER.test(s)) return Number(s);
  const inf = s.match(/^([+-]?)inf(inity)?$/i);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

// Patterns come from a handful of AgentSystem specs, so a small cache keeps evaluation cheap.
const patterns = new Map<string, RegExp | null>();

function compiled(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = compileOutputPattern(pattern);
    } catch {
      re = null;
    }
    if (patterns.size >= 256) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}
