// Small, type-tolerant helpers kinds use to canonicalize specs before validation: they change
// only values of the expected type and leave anything else for the schema to report.
export const isObj = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function lower<T>(v: T): T {
  return (typeof v === 'string' ? v.trim().toLowerCase() : v) as T;
}

export function trim<T>(v: T): T {
  return (typeof v === 'string' ? v.trim() : v) as T;
}

/** Trims entries, drops empty ones and removes duplicates (case-insensitive unless exact). */
export function dedupe<T>(v: T, exact = false): T {
  if (!Array.isArray(v)) return v;
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of v) {
    if (typeof item !== 'string') {
      out.push(item);
      continue;
    }
    const s = item.trim();
    const key = exact ? s : s.toLowerCase();
    if (!s || seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out as T;
}

/** Sets obj[key] = value when the field is absent, null or an empty string. */
export function setDefault(obj: Record<string, any>, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** Returns obj[key] as an object, creating it when absent (leaves a wrong-typed value alone). */
export function child(obj: Record<string, any>, key: string): Record<string, any> | undefined {
  if (obj[key] === undefined || obj[key] === null) obj[key] = {};
  return isObj(obj[key]) ? obj[key] : undefined;
}

/**
 * Non-positive or absent integers take the default (Orloj's "when ≤0" rule). Only exact whole
 * numbers: -1e308 or -0.5 are left for the schema to refuse, as Go refuses them for an int.
 */
export function positiveOr(obj: Record<string, any>, key: string, value: number): void {
  const v = obj[key];
  if (v === undefined || v === null || (Number.isSafeInteger(v) && v <= 0)) obj[key] = value;
}

export function deepClone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/** Trims the listed string fields that are present. */
export function trimFields(obj: Record<string, any>, keys: string[]): void {
  for (const k of keys) if (k in obj) obj[k] = trim(obj[k]);
}

/** Trims a required string; an empty result is removed so the schema reports "is required". */
export function trimRequired(obj: Record<string, any>, key: string): void {
  obj[key] = trim(obj[key]);
  if (obj[key] === '' || obj[key] === null) delete obj[key];
}
