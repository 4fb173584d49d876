// Checks the envelope of a submitted manifest (apiVersion, kind, metadata, top-level fields) and
// the request namespace rules, collecting every problem as a cause.
import { BadRequest, type Cause } from '../errors';
import type { KindDefinition } from './kind';
import { annotationCauses, labelCauses } from './labels';
import { nameProblems } from './names';
import { isObj } from './normalize';
import { keyPath } from './validation';
import { loneSurrogateCauses } from './well-formed';

export const API_VERSION = 'orloj.dev/v1';
const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const METADATA = new Set(['name', 'namespace', 'labels', 'annotations', 'resourceVersion', 'generation', 'createdAt', 'uid']);

export interface Manifest {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Precondition carried in the body, if any. */
  resourceVersion?: string;
  spec: Record<string, any>;
}

export interface RequestScope {
  /** ?namespace= (trimmed), or undefined when the query did not set one. */
  queryNamespace?: string;
  /** Name from the URL for PUT /v1/<res>/{name}. */
  urlName?: string;
}

function stringMap(v: unknown, field: string, causes: Cause[]): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) {
    causes.push({ field, message: 'must be a map of strings' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!k.trim()) causes.push({ field, message: 'keys must not be empty' });
    else if (typeof val !== 'string') causes.push({ field: keyPath(field, k), message: 'must be a string' });
    else out[k] = val;
  }
  return out;
}

/**
 * Reads the envelope. Returns the manifest and the causes found so far; spec validation adds its
 * own causes before the caller reports them all at once.
 */
export function readManifest(def: KindDefinition, body: unknown, scope: RequestScope): { manifest: Manifest; causes: Cause[] } {
  if (!isObj(body)) throw new BadRequest('request body must be a single object (a manifest)');
  // Anywhere in the body, status included: nothing with a lone surrogate can be stored faithfully.
  const causes: Cause[] = loneSurrogateCauses(body);
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key)) causes.push({ field: key, message: 'unknown field' });
  }
  if (body.apiVersion !== undefined && body.apiVersion !== '' && body.apiVersion !== API_VERSION) {
    causes.push({ field: 'apiVersion', message: `must be "${API_VERSION}"` });
  }
  if (body.kind !== undefined && body.kind !== '' && (typeof body.kind !== 'string' || body.kind.toLowerCase() !== def.kind.toLowerCase())) {
    causes.push({ field: 'kind', message: `must be "${def.kind}" for /v1/${def.plural}` });
  }
  const md = body.metadata ?? {};
  if (!isObj(md)) causes.push({ field: 'metadata', message: 'must be an object' });
  const meta: Record<string, any> = isObj(md) ? md : {};
  for (const key of Object.keys(meta)) {
    if (!METADATA.has(key)) causes.push({ field: `metadata.${key}`, message: 'unknown field' });
  }

  let name = typeof meta.name === 'string' ? meta.name.trim() : meta.name;
  if ((name === undefined || name === '') && scope.urlName) name = scope.urlName;
  causes.push(...nameProblems(name, 'metadata.name'));
  if (scope.urlName !== undefined && typeof name === 'string' && name !== scope.urlName) {
    causes.push({ field: 'metadata.name', message: `"${name}" differs from the name in the URL ("${scope.urlName}"); renames are not supported` });
  }

  let namespace = typeof meta.namespace === 'string' ? meta.namespace.trim() : meta.namespace;
  if (namespace !== undefined && typeof namespace !== 'string') {
    causes.push({ field: 'metadata.namespace', message: 'must be a string' });
    namespace = undefined;
  }
  if (!namespace) namespace = scope.queryNamespace || 'default';
  else if (scope.queryNamespace && scope.queryNamespace !== namespace) {
    causes.push({ field: 'metadata.namespace', message: `"${namespace}" differs from ?namespace=${scope.queryNamespace}` });
  }
  causes.push(...nameProblems(namespace, 'metadata.namespace', true));

  let resourceVersion: string | undefined;
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== null && meta.resourceVersion !== '') {
    if (typeof meta.resourceVersion === 'string' || typeof meta.resourceVersion === 'number') {
      resourceVersion = String(meta.resourceVersion).trim();
    } else causes.push({ field: 'metadata.resourceVersion', message: 'must be a string' });
  }

  const spec = body.spec ?? {};
  if (!isObj(spec)) causes.push({ field: 'spec', message: 'must be an object' });
  // A status sent with a spec write is ignored (only the status subresource writes it), but it
  // must still be an object: a GET body sent back always has one.
  const status = body.status;
  if (status !== undefined && status !== null && !isObj(status)) causes.push({ field: 'status', message: 'must be an object' });

  const labels = stringMap(meta.labels, 'metadata.labels', causes);
  const annotations = stringMap(meta.annotations, 'metadata.annotations', causes);
  causes.push(...labelCauses(labels), ...annotationCauses(annotations));

  return {
    manifest: {
      name: typeof name === 'string' ? name : '',
      namespace,
      labels,
      annotations,
      resourceVersion,
      spec: isObj(spec) ? structuredClone(spec) : {},
    },
    causes,
  };
}

/** If-Match normalization: quoted, unquoted and weak forms are accepted; "*" means current. */
export function parseIfMatch(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  let v = header.trim();
  if (/^w\//i.test(v)) v = v.slice(2);
  v = v.replace(/"/g, '').trim();
  return v || undefined;
}
