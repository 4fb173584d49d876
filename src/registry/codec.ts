// Converts between stored rows and API objects, applying a kind's at-rest decoding and its
// redaction for readers.
import type { SecretCipher } from '../store/secret-cipher';
import type { ResourceRow } from '../store/resource-store';
import type { KindDefinition, StoredObject } from './kind';
import { API_VERSION } from './manifest';

export function rowToObject(def: KindDefinition, row: ResourceRow, cipher: SecretCipher): StoredObject {
  const labels = JSON.parse(row.labels) as Record<string, string>;
  const annotations = JSON.parse(row.annotations) as Record<string, string>;
  let spec = JSON.parse(row.spec);
  if (def.decode) spec = def.decode(spec, cipher);
  const metadata: StoredObject['metadata'] = {
    name: row.name,
    namespace: row.namespace,
    uid: row.uid,
    resourceVersion: String(row.resourceVersion),
    generation: row.generation,
    createdAt: row.createdAt,
  };
  if (Object.keys(labels).length) metadata.labels = labels;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: API_VERSION, kind: def.kind, metadata, spec, status: JSON.parse(row.status) };
}

/** The object as every reader sees it: Secrets' values are replaced by "***". */
export function present(def: KindDefinition, obj: StoredObject): StoredObject {
  return def.redact ? { ...obj, spec: def.redact(obj.spec) } : obj;
}
