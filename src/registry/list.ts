// Keyset-paginated listing ordered by (namespace, name), with label selectors applied while
// paging so every page is full when more matches exist, and Tasks' deprecated offset.
import { BadRequest } from '../errors';
import type { ResourceRow } from '../store/resource-store';
import type { KindDefinition, StoredObject } from './kind';
import { matches, parseSelector } from './selectors';
import type { Resources } from '../store/backend';

export const MAX_LIMIT = 1000;

export interface ListOptions {
  namespace?: string;
  limit?: string | null;
  after?: string | null;
  labelSelector?: string | null;
  offset?: string | null;
}

export interface ListResult<T = StoredObject> {
  items: T[];
  continue?: string;
  revision: number;
}

function parseLimit(raw: string | null | undefined): number {
  if (raw === undefined || raw === null || raw === '') return MAX_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BadRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${raw}"`);
  return Math.min(n, MAX_LIMIT);
}

function parseOffset(raw: string | null | undefined): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`offset must be a non-negative integer, got "${raw}"`);
  return n;
}

/** "ns/name" is a scoped cursor; a bare name is read in the request namespace. */
export function parseCursor(raw: string | null | undefined, namespace: string | undefined) {
  if (!raw) return undefined;
  const slash = raw.indexOf('/');
  if (slash >= 0) return { namespace: raw.slice(0, slash), name: raw.slice(slash + 1) };
  return { namespace: namespace ?? 'default', name: raw };
}

export async function listObjects<T>(
  store: Resources,
  def: KindDefinition,
  opts: ListOptions,
  decode: (row: ResourceRow) => T,
): Promise<ListResult<T>> {
  const limit = parseLimit(opts.limit);
  const selector = parseSelector(opts.labelSelector);
  let skip = def.kind === 'Task' && !opts.after ? parseOffset(opts.offset) : 0;
  let cursor = parseCursor(opts.after, opts.namespace);
  const batch = selector.length || skip ? Math.max(limit + 1, 256) : limit + 1;
  const found: ResourceRow[] = [];
  // One read transaction: the page and the revision come from the same snapshot.
  const revision = await store.read(async () => {
      while (found.length <= limit) {
        const rows = await store.list({ kind: def.kind, namespace: opts.namespace, after: cursor, limit: batch });
        for (const row of rows) {
          if (selector.length && !matches(selector, JSON.parse(row.labels))) continue;
          if (skip > 0) {
            skip--;
            continue;
          }
          found.push(row);
          if (found.length > limit) break;
        }
        if (rows.length < batch) break;
        const last = rows[rows.length - 1];
        cursor = { namespace: last.namespace, name: last.name };
      }
      return store.currentRevision();
    });
  const more = found.length > limit;
  const page = more ? found.slice(0, limit) : found;
  const last = page[page.length - 1];
  return {
    items: page.map(decode),
    continue: more && last ? `${last.namespace}/${last.name}` : undefined,
    revision,
  };
}
