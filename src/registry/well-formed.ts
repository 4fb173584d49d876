// Strings must be well-formed Unicode: a lone UTF-16 surrogate ("\ud800" in JSON) cannot be stored
// as UTF-8, so it would come back as U+FFFD and two different names would become one object.
import type { Cause } from '../errors';
import { isObj } from './normalize';
import { keyPath } from './validation';

const MAX_CAUSES = 20;
const MESSAGE = 'must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair)';

/** A cause on every string or key of a JSON value that holds a lone surrogate (at most 20). */
export function loneSurrogateCauses(value: unknown, prefix = ''): Cause[] {
  const causes: Cause[] = [];
  const walk = (v: unknown, path: string): void => {
    if (causes.length >= MAX_CAUSES) return;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) causes.push({ field: path || '(body)', message: MESSAGE });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (isObj(v)) {
      for (const [k, item] of Object.entries(v)) {
        // keyPath quotes such a key with JSON.stringify, which escapes the surrogate as \udXXX.
        if (!k.isWellFormed()) causes.push({ field: keyPath(path, k), message: `key ${MESSAGE}` });
        else walk(item, keyPath(path, k));
      }
    }
  };
  walk(value, prefix);
  return causes.slice(0, MAX_CAUSES);
}
