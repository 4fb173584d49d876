// CRUD, list and status routes for every registered kind, generated from the registry.
import { Elysia } from 'elysia';
import type { KindDefinition, StoredObject } from '../registry/kind';
import { API_VERSION, parseIfMatch } from '../registry/manifest';
import type { Registry } from '../registry/registry';
import { satisfies } from '../auth/roles';
import type { Identity } from '../auth/service';
import { Forbidden } from '../errors';
import { isObj } from '../registry/normalize';
import { readDocument } from './body';
import { operation, param } from './openapi';
import { kindExamples } from './openapi-examples';
import type { RouteTable } from './route-table';
import { addRoute, json, type HandlerContext } from './routing';

const ns = (q: HandlerContext['query']) => q.namespace?.trim() || undefined;
const etag = (o: StoredObject) => ({ ETag: `"${o.metadata.resourceVersion}"` });
const statusView = (o: StoredObject) => ({ apiVersion: API_VERSION, kind: o.kind, metadata: o.metadata, status: o.status });

const COMMON_ERRORS = { 400: 'Invalid request or manifest', 401: 'No or bad credential', 403: 'Role too small' };

export function resourceRoutes(registry: Registry, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-resources' });
  for (const def of registry.kinds) addKind(app, table, registry, def);
  return app;
}

function addKind(app: Elysia, table: RouteTable, registry: Registry, def: KindDefinition) {
  const base = `/v1/${def.plural}`;
  const one = `${base}/:name`;
  const tag = def.plural;
  // Kinds whose writes need admin (McpServer) say so; status writes keep the controller rule.
  const writeRole = (method: string, path: string) => (def.writeRole === 'admin' && method !== 'GET' && !path.endsWith('/status') ? 'admin' : undefined);
  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, action: string, handler: (c: HandlerContext) => Response | Promise<Response>, detail: object) =>
    addRoute(app, table, { method, path, tag, plural: def.plural, action, required: writeRole(method, path) }, handler, detail);
  const checkSpecRole = (body: unknown, identity: Identity) => {
    const spec = isObj(body) ? body.spec : undefined;
    if (isObj(spec) && def.requiresAdmin?.(spec) && !(identity.role && satisfies(identity.role, 'admin'))) {
      throw new Forbidden(`writing this ${def.kind} needs the admin role (it runs processes on the host)`);
    }
  };

  route(
    'GET',
    base,
    'list',
    async ({ query }) => {
      const res = await registry.listJson(def, {
        namespace: ns(query),
        limit: query.limit,
        after: query.after ?? query.continue,
        labelSelector: query.labelSelector ?? query.labels,
        offset: query.offset,
      });
      const metadata: Record<string, string> = { resourceVersion: String(res.revision) };
      if (res.continue) metadata.continue = res.continue;
      const tail = res.continue ? `,"continue":${JSON.stringify(res.continue)}` : '';
      // Items arrive as JSON text (see rowToJson); the envelope is written around them.
      const body = `{"apiVersion":"${API_VERSION}","kind":"${def.kind}List","metadata":${JSON.stringify(metadata)},"items":[${res.items.join(',')}]${tail}}`;
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    },
    operation({
      tag,
      summary: `List ${def.plural}`,
      parameters: [
        param.namespace(false),
        param.query('limit', 'Page size, 1–1000 (default 1000).', 'integer'),
        param.query('after', 'Cursor: the continue value of the previous page (namespace/name).'),
        param.query('labelSelector', 'e.g. app=web,tier!=db,env in (dev,qa),!legacy'),
        ...(def.kind === 'Task' ? [param.query('offset', 'Deprecated: skip this many items (use after).', 'integer')] : []),
      ],
      ok: { 200: { description: 'A page of objects', schema: `${def.kind}List` } },
      errors: COMMON_ERRORS,
    }),
  );

  route(
    'POST',
    base,
    'apply',
    async ({ request, query, identity }) => {
      const body = await readDocument(request);
      checkSpecRole(body, identity);
      const { object, created } = await registry.apply(def, body, { queryNamespace: ns(query) });
      return json(object, created ? 201 : 200, etag(object));
    },
    operation({
      tag,
      summary: `Create or update (apply) one ${def.kind}`,
      parameters: [param.namespace(true)],
      body: def.kind,
      example: kindExamples[def.kind],
      ok: { 201: { description: 'Created', schema: def.kind }, 200: { description: 'Updated an existing object', schema: def.kind } },
      errors: { ...COMMON_ERRORS, 409: 'metadata.resourceVersion is stale', 413: 'Body over 4 MiB', 415: 'Unsupported Content-Type' },
    }),
  );

  route(
    'GET',
    one,
    'get',
    async ({ params, query }) => {
      const o = await registry.getJson(def, ns(query) ?? 'default', params.name);
      return new Response(o.json, { headers: { 'content-type': 'application/json', ETag: `"${o.resourceVersion}"` } });
    },
    operation({ tag, summary: `Read one ${def.kind}`, parameters: [param.name, param.namespace(true)], ok: { 200: { description: 'The object', schema: def.kind } }, errors: { ...COMMON_ERRORS, 404: 'Not found' } }),
  );

  if (def.allowPut !== false) {
    route(
      'PUT',
      one,
      'replace',
      async ({ request, params, query, identity }) => {
        const body = await readDocument(request);
        checkSpecRole(body, identity);
        const o = await registry.replace(def, params.name, body, { queryNamespace: ns(query) }, parseIfMatch(request.headers.get('if-match')));
        return json(o, 200, etag(o));
      },
      operation({
        tag,
        summary: `Replace one ${def.kind} (needs If-Match or metadata.resourceVersion)`,
        parameters: [param.name, param.namespace(true), param.ifMatch],
        body: def.kind,
      example: kindExamples[def.kind],
        ok: { 200: { description: 'Replaced', schema: def.kind } },
        errors: { ...COMMON_ERRORS, 404: 'Not found', 409: 'Stale resourceVersion', 413: 'Body over 4 MiB', 415: 'Unsupported Content-Type', 428: 'No precondition sent' },
      }),
    );
  }

  route(
    'DELETE',
    one,
    'delete',
    async ({ params, query }) => json(await registry.delete(def, ns(query) ?? 'default', params.name)),
    operation({ tag, summary: `Delete one ${def.kind}`, parameters: [param.name, param.namespace(true)], ok: { 200: { description: 'The deleted object as last stored', schema: def.kind } }, errors: { ...COMMON_ERRORS, 404: 'Not found' } }),
  );

  route(
    'GET',
    `${one}/status`,
    'get-status',
    async ({ params, query }) => {
      const o = await registry.get(def, ns(query) ?? 'default', params.name);
      return json(statusView(o), 200, etag(o));
    },
    operation({ tag, summary: `Read the status of one ${def.kind}`, parameters: [param.name, param.namespace(true)], ok: { 200: { description: 'metadata and status', schema: `${def.kind}Status` } }, errors: { ...COMMON_ERRORS, 404: 'Not found' } }),
  );

  route(
    'PUT',
    `${one}/status`,
    'replace-status',
    async ({ request, params, query }) => {
      const body = await readDocument(request);
      const o = await registry.replaceStatus(def, ns(query) ?? 'default', params.name, body, parseIfMatch(request.headers.get('if-match')));
      return json(statusView(o), 200, etag(o));
    },
    operation({
      tag,
      summary: `Replace the status of one ${def.kind} (generation is kept)`,
      parameters: [param.name, param.namespace(true), param.ifMatch],
      body: `${def.kind}Status`,
      ok: { 200: { description: 'metadata and status', schema: `${def.kind}Status` } },
      errors: { ...COMMON_ERRORS, 404: 'Not found', 409: 'Stale resourceVersion', 428: 'No precondition sent' },
    }),
  );
}
