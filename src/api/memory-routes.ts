// The entries of a Memory: GET /v1/memories/{name}/entries (search with q, else list by prefix),
// PUT and DELETE /v1/memories/{name}/entries/{key}. Keys may hold "/" (ingested chunks are
// <source>/chunk-0000): send it percent-encoded as %2F in the path. Backend failures become Status
// errors: a spec the server cannot serve (pgvector, a missing Secret) 409, a transient backend
// failure 503, any other backend failure 502.
import { Elysia } from 'elysia';
import { Type as t } from '@sinclair/typebox';
import { BadGateway, BadRequest, Conflict, NotFound, ServiceUnavailable, type Cause } from '../errors';
import type { Registry } from '../registry/registry';
import { MemoryError, memoryKeyProblem, memoryValueProblem, type MemoryBackend, type MemoryBackends } from '../runtime/memory/types';
import { readDocument } from './body';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute, json, type HandlerContext } from './routing';

export const MEMORY_ENTRIES_DEFAULT_LIMIT = 100;
export const MEMORY_ENTRIES_MAX_LIMIT = 1000;

const Entry = t.Object({
  key: t.String(),
  value: t.String(),
  score: t.Optional(t.Number({ minimum: 0, maximum: 1, description: 'Set when q is: 0–1, higher is closer.' })),
});

export const MemoryModels = {
  MemoryEntries: t.Object(
    { entries: t.Array(Entry), count: t.Integer({ description: 'Number of entries returned.' }) },
    { description: 'Entries of a Memory: search results (best first, with score) or a key-ordered listing.' },
  ),
  MemoryEntry: t.Object({ key: t.String(), value: t.String() }, { description: 'One stored entry.' }),
  MemoryEntryWrite: t.Object({ value: t.String({ description: 'The text to store (at most 1 MiB of UTF-8).' }) }, { additionalProperties: false, example: { value: 'Refunds over 500 EUR need a manager.' } }),
  MemoryEntryDeleted: t.Object({ key: t.String(), deleted: t.Literal(true) }, { description: 'The entry was deleted.' }),
};

export interface MemoryRouteDeps {
  registry: Registry;
  /** This process's memory backends; without them the routes answer 503. */
  memory?: MemoryBackends;
}

const ERRORS = {
  401: 'No or bad credential',
  404: 'No such Memory in the namespace',
  409: 'The Memory\'s spec cannot be served here (pgvector, a missing Secret or ModelEndpoint); details.causes names the field',
  502: 'The memory backend answered with a failure',
  503: 'The memory backend is unreachable or busy; retry',
};
const keyParam = { name: 'key', in: 'path', required: true, description: 'Entry key; encode "/" as %2F.', schema: { type: 'string' } };
const namespaceOf = (q: HandlerContext['query']) => q.namespace?.trim() || 'default';

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return MEMORY_ENTRIES_DEFAULT_LIMIT;
  const n = /^\+?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MEMORY_ENTRIES_MAX_LIMIT) {
    const cause = { field: 'limit', message: `must be an integer from 1 to ${MEMORY_ENTRIES_MAX_LIMIT}, got "${raw}"` };
    throw new BadRequest(`${cause.field}: ${cause.message}`, { causes: [cause] });
  }
  return n;
}

function checkKey(key: string): void {
  const problem = memoryKeyProblem(key);
  if (problem) throw new BadRequest(`key: ${problem}`, { causes: [{ field: 'key', message: problem }] });
}

async function readValue(request: Request): Promise<string> {
  const body = await readDocument(request, { required: false });
  const causes: Cause[] = [];
  if (body === undefined) causes.push({ field: 'value', message: 'is required: send {"value": "<string>"}' });
  else if (typeof body !== 'object' || body === null || Array.isArray(body)) causes.push({ field: 'body', message: 'must be an object {"value": "<string>"}' });
  else {
    const doc = body as Record<string, unknown>;
    if (!('value' in doc)) causes.push({ field: 'value', message: 'is required' });
    else if (typeof doc.value !== 'string') causes.push({ field: 'value', message: 'must be a string' });
    else {
      const problem = memoryValueProblem(doc.value);
      if (problem) causes.push({ field: 'value', message: problem });
    }
    for (const k of Object.keys(doc)) if (k !== 'value') causes.push({ field: k, message: 'is not a field of a memory entry (only value)' });
  }
  if (causes.length) throw new BadRequest(causes.map((c) => `${c.field}: ${c.message}`).join('; '), { causes });
  return (body as { value: string }).value;
}

/** A backend's MemoryError as the Status the caller gets; anything else passes through. */
function asApiError(e: unknown, name: string): unknown {
  if (!(e instanceof MemoryError)) return e;
  if (e.field) {
    const prefix = `${e.field}: `;
    const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return new Conflict(e.message, { kind: 'Memory', name, causes: [{ field: e.field, message }] });
  }
  return e.retryable ? new ServiceUnavailable(e.message) : new BadGateway(e.message);
}

export function memoryRoutes(deps: MemoryRouteDeps, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-memory-routes' });
  const def = deps.registry.byPlural.get('memories')!;

  /** Runs `fn` on the backend of an existing Memory (404 when there is none). */
  const withBackend = async <T>(ctx: HandlerContext, fn: (b: MemoryBackend) => Promise<T>): Promise<T> => {
    const name = ctx.params.name;
    const memory = await deps.registry.get(def, namespaceOf(ctx.query), name);
    if (!deps.memory) throw new ServiceUnavailable('memory backends are not available in this process');
    try {
      return await fn(await deps.memory.backendFor(memory));
    } catch (e) {
      throw asApiError(e, name);
    }
  };
  const entryPath = '/v1/memories/:name/entries/:key';

  addRoute(
    app,
    table,
    { method: 'GET', path: '/v1/memories/:name/entries', tag: 'memories', plural: 'memories', action: 'entries', required: 'reader' },
    async (ctx) => {
      const { q, prefix } = ctx.query;
      const limit = parseLimit(ctx.query.limit);
      const entries = await withBackend(ctx, (b) =>
        q !== undefined && q.trim() !== '' ? b.search(q, limit, ctx.request.signal) : b.list(prefix ?? '', limit, ctx.request.signal),
      );
      return json({ entries, count: entries.length });
    },
    operation({
      tag: 'memories',
      summary: 'Search (q) or list (prefix) the entries of a Memory',
      parameters: [
        param.name,
        param.namespace(true),
        param.query('q', 'Search text: keyword ranking (FTS5) on sqlite, hybrid with vectors when the Memory has an embedding_model; each entry gets a score. prefix is ignored when q is set.'),
        param.query('prefix', 'Only keys starting with this text, sorted by key (default: all).'),
        param.query('limit', `At most this many entries: 1 to ${MEMORY_ENTRIES_MAX_LIMIT}, default ${MEMORY_ENTRIES_DEFAULT_LIMIT} (top_k of a search).`, 'integer'),
      ],
      ok: { 200: { description: 'The entries', schema: 'MemoryEntries' } },
      errors: { 400: 'Bad limit (details.causes names it)', ...ERRORS, 403: 'Role too small (needs reader)' },
    }),
  );

  addRoute(
    app,
    table,
    { method: 'PUT', path: entryPath, tag: 'memories', plural: 'memories', action: 'entry', required: 'writer' },
    async (ctx) => {
      const key = ctx.params.key;
      checkKey(key);
      const value = await readValue(ctx.request);
      await withBackend(ctx, (b) => b.put(key, value, ctx.request.signal));
      return json({ key, value });
    },
    operation({
      tag: 'memories',
      summary: 'Store an entry under a key (created or replaced)',
      parameters: [param.name, keyParam, param.namespace(true)],
      body: 'MemoryEntryWrite',
      ok: { 200: { description: 'The stored entry', schema: 'MemoryEntry' } },
      errors: { 400: 'Bad key or body: value missing, not a string or too large (details.causes names the field)', ...ERRORS, 403: 'Role too small (needs writer)' },
    }),
  );

  addRoute(
    app,
    table,
    { method: 'DELETE', path: entryPath, tag: 'memories', plural: 'memories', action: 'entry', required: 'writer' },
    async (ctx) => {
      const key = ctx.params.key;
      checkKey(key);
      const deleted = await withBackend(ctx, (b) => b.delete(key, ctx.request.signal));
      if (!deleted) throw new NotFound('Memory', ctx.params.name, `memory ${namespaceOf(ctx.query)}/${ctx.params.name} has no entry "${key}"`);
      return json({ key, deleted: true });
    },
    operation({
      tag: 'memories',
      summary: 'Delete one entry',
      parameters: [param.name, keyParam, param.namespace(true)],
      ok: { 200: { description: 'The entry was deleted', schema: 'MemoryEntryDeleted' } },
      errors: { ...ERRORS, 404: 'No such Memory, or no entry under the key', 403: 'Role too small (needs writer)' },
    }),
  );
  return app;
}
