// Builds the HTTP application from injected dependencies. Tests build it on :memory: and call
// handle(new Request(…)); src/server.ts serves the same handle with Bun.serve.
import type { Database } from 'bun:sqlite';
import { Elysia } from 'elysia';
import { swagger } from '@elysiajs/swagger';
import type { Logger } from '../log';
import type { Registry } from '../registry/registry';
import type { WatchService } from '../watch/service';
import { watchRoutes } from './watch-routes';
import { VERSION } from '../version';
import { EventSchema } from '../events/event';
import { errorsPlugin, statusResponse, toApiError } from './errors-plugin';
import { HttpMetrics } from './metrics';
import { kindModels } from './openapi';
import { resourceRoutes } from './resource-routes';
import { RouteTable } from './route-table';
import { servedRoute } from './routing';
import { SystemModels, systemRoutes } from './system-routes';
import { swaggerUi } from './swagger-ui';

export interface AppDeps {
  registry: Registry;
  watch: WatchService;
  sqlite: Database;
  log: Logger;
  controllers?: () => Record<string, boolean>;
}

export interface App {
  handle(request: Request): Promise<Response>;
  routes: RouteTable;
  metrics: HttpMetrics;
}

export function createApp(deps: AppDeps): App {
  const routes = new RouteTable();
  const metrics = new HttpMetrics();
  const elysia = new Elysia()
    .use(errorsPlugin(routes, deps.log))
    .use(
      swagger({
        path: '/swagger',
        provider: 'swagger-ui',
        documentation: {
          info: {
            title: 'Orrery API',
            version: VERSION,
            description: 'The orloj.dev/v1 resource API served by Orrery. Errors use the Status body.',
          },
          tags: [
            { name: 'system' },
            { name: 'events', description: 'The event stream.' },
            ...deps.registry.kinds.map((k) => ({ name: k.plural, description: k.description })),
          ],
        },
      }),
    )
    .use(swaggerUi())
    .model({ ...kindModels(deps.registry.kinds), ...SystemModels, Event: EventSchema })
    .use(systemRoutes({ registry: deps.registry, sqlite: deps.sqlite, metrics, watch: deps.watch, controllers: deps.controllers ?? (() => ({})) }, routes))
    .use(watchRoutes(deps.registry, deps.watch, routes))
    .use(resourceRoutes(deps.registry, routes));

  const handle = async (request: Request): Promise<Response> => {
    const started = performance.now();
    let response: Response;
    try {
      response = await elysia.handle(request);
    } catch (e) {
      response = statusResponse(toApiError('UNKNOWN', e, request, routes, deps.log));
    }
    const label = servedRoute.get(request) ?? fallbackLabel(request, routes);
    metrics.observe(request.method, label, response.status, (performance.now() - started) / 1000);
    return response;
  };
  return { handle, routes, metrics };
}

/** Requests that no table route served: errors before routing, Swagger, unknown paths. */
function fallbackLabel(request: Request, routes: RouteTable): string {
  const path = new URL(request.url).pathname;
  return routes.match(path)?.path ?? (path.startsWith('/swagger') ? '/swagger' : 'unmatched');
}
