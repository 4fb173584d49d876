// API paths of objects: /v1/<plural>[/<name>][?namespace=…], names percent-encoded.
import type { KindDefinition } from '../../registry/kind';
import { ApiCallError } from './errors';
import type { ApiClient } from './client';

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function listPath(def: KindDefinition, namespace?: string, extra: Record<string, string | undefined> = {}): string {
  return `/v1/${def.plural}${query({ namespace, ...extra })}`;
}

export function objectPath(def: KindDefinition, name: string, namespace?: string, sub = ''): string {
  return `/v1/${def.plural}/${encodeURIComponent(name)}${sub}${query({ namespace })}`;
}

/** The live object, or undefined when the server answers 404. */
export async function getOrUndefined(client: ApiClient, def: KindDefinition, name: string, namespace?: string): Promise<any | undefined> {
  try {
    return await client.get(objectPath(def, name, namespace));
  } catch (e) {
    if (e instanceof ApiCallError && e.status === 404) return undefined;
    throw e;
  }
}
