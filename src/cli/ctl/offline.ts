// The server's own manifest checks without a server: the envelope (readManifest), then the kind's
// prepare, normalize, schema and cross-field rules, in the order the registry runs them on a
// write. Used by `validate` (offline) and by `apply --dry-run`/`diff` to compare a manifest with
// the live object in the server's normal form.
import type { Cause } from '../../errors';
import type { KindDefinition, StoredObject } from '../../registry/kind';
import { readManifest } from '../../registry/manifest';
import { buildSpec } from '../../registry/validation';

export interface Checked {
  causes: Cause[];
  /** The manifest as the server would store it: metadata name/namespace/labels/annotations and the normalized spec. */
  normal: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, any> };
}

export function checkManifest(def: KindDefinition, body: unknown, namespace?: string, existing?: StoredObject): Checked {
  let envelope: ReturnType<typeof readManifest>;
  try {
    envelope = readManifest(def, body, { queryNamespace: namespace });
  } catch (e) {
    return { causes: [{ field: '', message: (e as Error).message }], normal: { name: '', namespace: namespace ?? 'default', labels: {}, annotations: {}, spec: {} } };
  }
  const { manifest, causes } = envelope;
  const ctx = { namespace: manifest.namespace, name: manifest.name, now: new Date(), existing };
  const spec = buildSpec(def, manifest.spec, ctx, causes);
  return { causes, normal: { name: manifest.name, namespace: manifest.namespace, labels: manifest.labels, annotations: manifest.annotations, spec } };
}

/** The comparable part of a live object: what a manifest sets (status and server fields left out). */
export function comparable(o: { metadata?: Record<string, any>; spec?: Record<string, any> }): { labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, any> } {
  return { labels: o.metadata?.labels ?? {}, annotations: o.metadata?.annotations ?? {}, spec: o.spec ?? {} };
}

/** Key-order-independent equality of JSON values. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

export function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as any)[k])]));
  return v;
}
