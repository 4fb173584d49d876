// Label selectors: "a=b", "a==b", "a!=b", "a", "!a", "a in (x,y)", "a notin (x,y)", comma-joined.
import { BadRequest } from '../errors';

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Selector = Requirement[];

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._\-/]*[A-Za-z0-9])?$/;

function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key)) throw new BadRequest(`invalid labelSelector term "${term}": bad label key "${key}"`);
  return key;
}

export function parseSelector(text: string | undefined | null): Selector {
  if (!text || !text.trim()) return [];
  return splitTerms(text).map((term): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3].split(',').map((v) => v.trim()).filter(Boolean);
      return { op: set[2] as 'in' | 'notin', key: checkKey(set[1], term), values };
    }
    const neq = /^([^=!\s]+)\s*!=\s*(.*)$/.exec(term);
    if (neq) return { op: 'neq', key: checkKey(neq[1], term), value: neq[2].trim() };
    const eq = /^([^=!\s]+)\s*==?\s*(.*)$/.exec(term);
    if (eq) return { op: 'eq', key: checkKey(eq[1], term), value: eq[2].trim() };
    if (term.startsWith('!')) return { op: 'notexists', key: checkKey(term.slice(1).trim(), term) };
    if (/^\S+$/.test(term)) return { op: 'exists', key: checkKey(term, term) };
    throw new BadRequest(`invalid labelSelector term "${term}"`);
  });
}

export function matches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}
