// Secret: base64 values for tool, model and webhook credentials. Folds write-only stringData into
// data, keeps "***" placeholders, encrypts every value at rest and redacts every value on read.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec, type WriteContext } from '../registry/kind';
import { isObj } from '../registry/normalize';
import { keyPath } from '../registry/validation';
import type { Cause } from '../errors';
import type { SecretCipher } from '../store/secret-cipher';
import { StringMap, statusSchema, strict } from './common';
import { SecretValue, isStdBase64 } from './formats';

export { isStdBase64 };

const PHASES = ['Pending', 'Ready'] as const;
export const REDACTED = '***';

const spec = strict({
  data: t.Optional(
    t.Record(t.String(), SecretValue(), {
      description: 'Values as non-empty standard base64. Every value reads back as "***"; sending "***" keeps the stored value.',
    }),
  ),
  stringData: t.Optional(StringMap('Write-only plain-text values, base64-encoded into data on write (never stored or returned).')),
});

function mapValues(data: unknown, fn: (v: string) => string): unknown {
  if (!isObj(data)) return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? fn(v) : v]));
}

export const secret = defineKind({
  kind: 'Secret',
  plural: 'secrets',
  description: 'Credentials as base64 values, encrypted at rest and always redacted on read.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  prepare(raw: Spec, ctx: WriteContext) {
    const causes: Cause[] = [];
    const s: Spec = { ...raw };
    if (s.data === undefined || s.data === null) s.data = {};
    if (!isObj(s.data)) return { spec: s, causes };
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.data)) if (k.trim()) data[k.trim()] = v;
    if (s.stringData !== undefined && s.stringData !== null) {
      if (!isObj(s.stringData)) return { spec: s, causes };
      for (const [k, v] of Object.entries(s.stringData)) {
        const key = k.trim();
        if (!key) continue;
        if (typeof v === 'string') data[key] = Buffer.from(v, 'utf8').toString('base64');
        else causes.push({ field: keyPath('spec.stringData', key), message: 'must be a string' });
      }
    }
    delete s.stringData;
    const stored = ctx.existing?.spec?.data;
    for (const [k, v] of Object.entries(data)) {
      if (v !== REDACTED) continue;
      if (isObj(stored) && typeof stored[k] === 'string') data[k] = stored[k];
      else {
        causes.push({ field: keyPath('spec.data', k), message: `is the redacted placeholder "${REDACTED}" but no stored value exists for this key` });
        delete data[k];
      }
    }
    s.data = data;
    return { spec: s, causes };
  },
  normalize(s) {
    if (isObj(s.data)) s.data = mapValues(s.data, (v) => v.replace(/[\r\n]/g, ''));
    return s;
  },
  encode: (s: Spec, cipher: SecretCipher) => ({ ...s, data: mapValues(s.data, (v) => cipher.encrypt(v)) }),
  decode: (s: Spec, cipher: SecretCipher) => ({ ...s, data: mapValues(s.data, (v) => cipher.decrypt(v)) }),
  redact(s: Spec): Spec {
    const { stringData: _dropped, ...rest } = s;
    return { ...rest, data: mapValues(s.data ?? {}, () => REDACTED) };
  },
});
