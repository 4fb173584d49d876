// Request bodies must be plain JSON values of bounded depth: YAML can produce Maps, Sets, Dates,
// binary and aliases that JSON storage would silently drop or that blow the stack later.
import { BadRequest, type Cause } from '../errors';

export const MAX_DEPTH = 64;

export function plainJsonProblems(value: unknown, maxDepth = MAX_DEPTH): Cause[] {
  const causes: Cause[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (causes.length >= 20) return;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) causes.push({ field: path || '(body)', message: 'must be a finite number' });
      return;
    }
    if (depth > maxDepth) {
      causes.push({ field: path || '(body)', message: `nests deeper than ${maxDepth} levels` });
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`, depth + 1);
      return;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const k of Object.keys(v)) {
        const p = path ? `${path}.${k}` : k;
        if (k === '__proto__') causes.push({ field: p, message: 'is not an allowed key' });
        else walk((v as Record<string, unknown>)[k], p, depth + 1);
      }
      return;
    }
    const what = v instanceof Map ? 'an ordered map (!!omap/!!pairs)' : v instanceof Set ? 'a set (!!set)' : v instanceof Date ? 'a timestamp (quote it as a string)' : `a ${typeof v === 'object' ? (v?.constructor?.name ?? 'object') : typeof v}`;
    causes.push({ field: path || '(body)', message: `is ${what}; only JSON values are accepted` });
  };
  walk(value, '', 0);
  return causes;
}

export function assertPlainJson(value: unknown): void {
  const causes = plainJsonProblems(value);
  if (causes.length) {
    throw new BadRequest(`request body holds values that are not plain JSON: ${causes.map((c) => `${c.field} ${c.message}`).join('; ')}`, { causes });
  }
}
