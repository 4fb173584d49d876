// Strings must be well-formed Unicode: a lone UTF-16 surrogate ("\ud800" in JSON) cannot be stored
// as UTF-8, so it would come back as U+FFFD and two different names would become one object.
import type { Cause } from '../errors';
import { isObj } from './normalize';
import { keyPath } from './validation';

const MAX_CAUSES = 20;
const MESSAGE = 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)';

/** Where a value sits, as a chain of keys and indexes: the dotted path is only built for a cause. */
interface At {
  up: At | undefined;
  key: string | number;
}

function pathOf(at: At | undefined, prefix: string): string {
  if (!at) return prefix;
  const up = pathOf(at.up, prefix);
  return typeof at.key === 'number' ? `${up}[${at.key}]` : keyPath(up, at.key);
}

/** A cause on every string or key of a JSON value that holds a lone surrogate (at most 20). */
export function loneSurrogateCauses(value: unknown, prefix = ''): Cause[] {
  const causes: Cause[] = [];
  const walk = (v: unknown, at: At | undefined): void => {
    if (causes.length >= MAX_CAUSES) return;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) causes.push({ field: pathOf(at, prefix) || '(body)', message: MESSAGE });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], { up: at, key: i });
    } else if (isObj(v)) {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        // keyPath quotes such a key with JSON.stringify, which escapes the surrogate as \udXXX.
        if (!k.isWellFormed()) causes.push({ field: keyPath(pathOf(at, prefix), k), message: `key ${MESSAGE}` });
        else walk(v[k], { up: at, key: k });
      }
    }
  };
  walk(value, undefined);
  return causes.slice(0, MAX_CAUSES);
}
