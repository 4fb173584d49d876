// Converts between stored rows and API objects, applying a kind's at-rest decoding and its
// redaction for readers.
import type { SecretCipher } from '../store/secret-cipher';
import type { ResourceRow } from '../store/resource-store';
import type { KindDefinition, StoredObject } from './kind';
import { API_VERSION } from './manifest';

function rowMetadata(row: ResourceRow): StoredObject['metadata'] {
  const metadata: StoredObject['metadata'] = {
    name: row.name,
    namespace: row.namespace,
    uid: row.uid,
    resourceVersion: String(row.resourceVersion),
    generation: row.generation,
    createdAt: row.createdAt,
  };
  if (row.labels !== '{}') metadata.labels = JSON.parse(row.labels);
  if (row.annotations !== '{}') metadata.annotations = JSON.parse(row.annotations);
  return metadata;
}

export function rowToObject(def: KindDefinition, row: ResourceRow, cipher: SecretCipher): StoredObject {
  let spec = JSON.parse(row.spec);
  if (def.decode) spec = def.decode(spec, cipher);
  return { apiVersion: API_VERSION, kind: def.kind, metadata: rowMetadata(row), spec, status: JSON.parse(row.status) };
}

/**
 * The JSON text readers receive. For kinds that neither decode nor redact, the stored spec and
 * status text is spliced in as is: parsing and re-serializing them was most of a list's cost.
 */
export function rowToJson(def: KindDefinition, row: ResourceRow, cipher: SecretCipher): string {
  if (def.decode || def.redact) return JSON.stringify(present(def, rowToObject(def, row, cipher)));
  return `{"apiVersion":"${API_VERSION}","kind":${JSON.stringify(def.kind)},"metadata":${JSON.stringify(rowMetadata(row))},"spec":${row.spec},"status":${row.status}}`;
}

/** The object as every reader sees it: Secrets' values are replaced by "***". */
export function present(def: KindDefinition, obj: StoredObject): StoredObject {
  return def.redact ? { ...obj, spec: def.redact(obj.spec) } : obj;
}
