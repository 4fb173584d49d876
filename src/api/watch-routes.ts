// SSE routes: GET /v1/<plural>/watch for every kind and GET /v1/events/watch.
import { Elysia } from 'elysia';
import type { Registry } from '../registry/registry';
import type { WatchService } from '../watch/service';
import { operation, param } from './openapi';
import type { RouteTable } from './route-table';
import { addRoute } from './routing';

const sse = (description: string) => ({ 200: { description, content: { 'text/event-stream': { schema: { type: 'string' } } } } });
const resume = [
  { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this id: every change after it is replayed, then live.', schema: { type: 'string' } },
];

export function watchRoutes(registry: Registry, watch: WatchService, table: RouteTable) {
  const app = new Elysia({ name: 'orrery-watch' });
  for (const def of registry.kinds) {
    addRoute(
      app,
      table,
      { method: 'GET', path: `/v1/${def.plural}/watch`, tag: def.plural, plural: def.plural, action: 'watch' },
      ({ request, query }) => watch.resourceWatch(def, request, query),
      operation({
        tag: def.plural,
        summary: `Watch ${def.plural} (server-sent events)`,
        parameters: [
          param.namespace(false),
          param.query('name', 'Only the object with this name.'),
          param.query('labelSelector', 'Only objects whose labels match.'),
          param.query('resourceVersion', 'Resume after this revision (same as Last-Event-ID).', 'integer'),
          ...resume,
        ],
        ok: sse('Frames `event: resource`, `id: <revision>`, `data: {"type":"added|updated|deleted","resource":{…}}`; without a resume point the current objects come first as added. `event: error` with reason Expired (resume point older than the change log keeps or newer than the newest revision: list again) or SlowConsumer (the watcher held more than its byte budget: resume with the last id) ends the stream and the connection.'),
        errors: { 400: 'Bad resume point or selector', 503: 'Too many open streams' },
      }),
    );
  }
  addRoute(
    app,
    table,
    { method: 'GET', path: '/v1/events/watch', tag: 'events', action: 'watch' },
    ({ request, query }) => watch.eventWatch(request, query),
    operation({
      tag: 'events',
      summary: 'Watch the event stream (server-sent events)',
      parameters: [
        param.query('since', 'Replay events with a greater id first (same as Last-Event-ID).', 'integer'),
        ...['source', 'type', 'kind', 'name', 'namespace'].map((f) => param.query(f, `Only events whose ${f} equals this (case-insensitive).`)),
        ...resume,
      ],
      ok: sse('Frames `event: event`, `id: <event id>`, `data: <Event>`. `event: error` with reason Expired (resume point older than the log keeps or newer than the newest event) or SlowConsumer (the watcher held more than its byte budget: resume with the last id) ends the stream and the connection.'),
      errors: { 400: 'Bad resume point', 503: 'Too many open streams' },
    }),
  );
  return app;
}
