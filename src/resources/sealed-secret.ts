// SealedSecret: Secret values encrypted to the server's sealing key (RSA-OAEP-SHA256 wrapped
// AES-256-GCM keys), safe to commit; a controller unseals them into a Secret of the same name.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec } from '../registry/kind';
import { annotationCauses, labelCauses } from '../registry/labels';
import { isObj } from '../registry/normalize';
import { StringMap, statusSchema, strict } from './common';
import { Base64 } from './formats';
import { trimOrDrop } from './task';

const PHASES = ['Pending', 'Ready', 'Error'] as const;

const sealedValue = strict(
  {
    keyId: t.String({ description: 'Id of the sealing key used (32 hex characters).' }),
    wrappedKey: Base64('The per-entry AES key wrapped with RSA-OAEP-SHA256, standard base64.'),
    ciphertext: Base64('Standard base64 of nonce(12) ‖ AES-256-GCM ciphertext ‖ tag.'),
  },
  'One sealed Secret value.',
);

const spec = strict({
  encryptedData: t.Optional(t.Record(t.String(), sealedValue, { description: 'Sealed values by Secret data key.' })),
  template: t.Optional(
    strict(
      {
        labels: t.Optional(StringMap('Labels of the generated Secret.')),
        annotations: t.Optional(StringMap('Annotations of the generated Secret.')),
      },
      'Metadata copied to the generated Secret.',
    ),
  ),
});

/** Trims keys and string values, drops empty keys, and drops the map when nothing is left. */
function trimMap(obj: Record<string, any>, key: string): void {
  const m = obj[key];
  if (m === null) delete obj[key];
  if (!isObj(m)) return;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (k.trim()) out[k.trim()] = typeof v === 'string' ? v.trim() : v;
  if (Object.keys(out).length) obj[key] = out;
  else delete obj[key];
}

export const sealedSecret = defineKind({
  kind: 'SealedSecret',
  plural: 'sealed-secrets',
  description: 'Secret values sealed to the server public key (GET /v1/sealing-key/public); unsealed into a Secret.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s: Spec) {
    if (s.encryptedData === undefined || s.encryptedData === null) s.encryptedData = {};
    if (isObj(s.encryptedData)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.encryptedData)) {
        if (!k.trim()) continue;
        if (isObj(v)) for (const f of ['keyId', 'wrappedKey', 'ciphertext']) trimOrDrop(v, f);
        out[k.trim()] = v;
      }
      s.encryptedData = out;
    }
    if (isObj(s.template)) {
      trimMap(s.template, 'labels');
      trimMap(s.template, 'annotations');
    }
    return s;
  },
  // The generated Secret's metadata follows the label and annotation rules of every object, so a
  // bad template is refused here rather than failing later in the controller.
  validate(s: Spec) {
    return [...labelCauses(s.template?.labels ?? {}, 'spec.template.labels'), ...annotationCauses(s.template?.annotations ?? {}, 'spec.template.annotations')];
  },
});
