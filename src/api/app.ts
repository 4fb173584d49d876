// Builds the HTTP application from injected dependencies. Tests build it on :memory: and call
// handle(new Request(…)); src/server.ts serves the same handle with Bun.serve.
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
import { defaultSecurity, kindModels, securitySchemes } from './openapi';
import { resourceRoutes } from './resource-routes';
import { RouteTable } from './route-table';
import { refuseAnonymous, servedRoute } from './routing';
import { SystemModels, systemRoutes } from './system-routes';
import { swaggerUi } from './swagger-ui';
import { consoleRoutes } from './console-routes';
import { Forbidden, type ApiError } from '../errors';
import { RateLimiter, rateKey } from '../auth/rate-limit';
import type { AuthService, Identity } from '../auth/service';
import type { Clock } from '../util/time';
import { AuthModels } from './auth-bodies';
import { authRoutes } from './auth-routes';
import { Cors } from './cors';
import { tokenRoutes } from './token-routes';
import { noSealingKeys, sealingRoutes, type SealingKeySource } from './sealing-routes';
import type { EventPublisher } from '../events/publisher';
import { TaskModels, taskRoutes } from './task-routes';
import { CallbackBroker } from '../runtime/tools';
import { ToolCallbackModels, toolCallbackRoutes } from './tool-callback-routes';
import { ApprovalModels, approvalRoutes } from './approval-routes';
import { scheduleRoutes } from './schedule-routes';
import type { WebhookDeliveries } from '../runtime/webhooks';
import { WebhookModels, webhookRoutes } from './webhook-routes';
import type { MemoryBackends } from '../runtime/memory/types';
import { MemoryModels, memoryRoutes } from './memory-routes';
import type { Logs } from '../store/backend';

export interface AppDeps {
  registry: Registry;
  watch: WatchService;
  auth: AuthService;
  /** Checks of the store behind /readyz (src/store/health.ts). */
  storeChecks: () => Record<string, string> | Promise<Record<string, string>>;
  log: Logger;
  clock: Clock;
  /** Publishes runtime events (task.cancelled); core.events. */
  events: EventPublisher;
  /** Task and agent log lines; the engine appends to the same instance. */
  logs: Logs;
  /** Where webhook-callback tool results are delivered; the engine waits on the same broker. */
  callbacks?: CallbackBroker;
  /** The sealing keypair behind GET /v1/sealing-key/public (503 when absent). */
  sealing?: SealingKeySource;
  /** Origins allowed to call from browsers (default: same origin only). */
  corsOrigins?: string[];
  controllers?: () => Record<string, boolean>;
  /** Verifies webhook deliveries and creates their run tasks (without it deliveries answer 404). */
  webhooks?: WebhookDeliveries;
  /** Memory backends behind /v1/memories/{name}/entries (without them those routes answer 503). */
  memory?: MemoryBackends;
}

export interface App {
  /** `peer` is the TCP peer address (Bun's requestIP); rate limits key on it. */
  handle(request: Request, peer?: string): Promise<Response>;
  routes: RouteTable;
  metrics: HttpMetrics;
  /** Every method and path the framework serves, to prove the route table misses none. */
  served(): { method: string; path: string }[];
}

export function createApp(deps: AppDeps): App {
  const routes = new RouteTable();
  const metrics = new HttpMetrics();
  const peers = new WeakMap<Request, string>();
  const cors = new Cors(deps.corsOrigins ?? []);
  const identified = new WeakMap<Request, Identity>();
  routes.guard = (request, required) => deps.auth.authorize(request, required, identified.get(request));
  const authDeps = {
    auth: deps.auth,
    limiter: new RateLimiter(deps.clock),
    clock: deps.clock,
    clientIp: (r: Request) => rateKey(deps.auth.clientIp(r, peers.get(r))),
    https: (r: Request) => deps.auth.https(r, peers.get(r)),
  };
  const elysia = new Elysia()
    .use(errorsPlugin(routes, deps.log))
    .use(
      swagger({
        path: '/swagger',
        provider: 'swagger-ui',
        documentation: {
          components: { securitySchemes },
          security: defaultSecurity,
          info: {
            title: 'Orrery API',
            version: VERSION,
            description: 'The orloj.dev/v1 resource API served by Orrery. Errors use the Status body.',
          },
          tags: [
            { name: 'system' },
            { name: 'auth', description: 'Native users, sessions and passwords.' },
            { name: 'tokens', description: 'API tokens (admin).' },
            { name: 'sealing', description: 'The public key SealedSecrets are sealed to.' },
            { name: 'events', description: 'The event stream.' },
            ...deps.registry.kinds.map((k) => ({ name: k.plural, description: k.description })),
          ],
        },
      }),
    )
    .use(swaggerUi())
    .use(consoleRoutes(deps.registry.kinds))
    .model({ ...kindModels(deps.registry.kinds), ...SystemModels, Event: EventSchema })
    .use(systemRoutes({ registry: deps.registry, storeChecks: deps.storeChecks, metrics, watch: deps.watch, controllers: deps.controllers ?? (() => ({})) }, routes))
    .model(AuthModels)
    .use(authRoutes(authDeps, routes))
    .use(tokenRoutes(deps.auth, deps.clock, routes))
    .use(sealingRoutes(deps.sealing ?? noSealingKeys, routes))
    .use(watchRoutes(deps.registry, deps.watch, routes))
    .model(TaskModels)
    .use(taskRoutes({ registry: deps.registry, events: deps.events, logs: deps.logs, clock: deps.clock }, routes))
    .model(ToolCallbackModels)
    .use(toolCallbackRoutes(deps.callbacks ?? new CallbackBroker(), routes))
    .model(ApprovalModels)
    .use(approvalRoutes({ registry: deps.registry, events: deps.events, clock: deps.clock }, routes))
    .use(scheduleRoutes({ registry: deps.registry, events: deps.events, clock: deps.clock }, routes))
    .model(WebhookModels)
    .use(webhookRoutes(deps.webhooks, routes))
    .model(MemoryModels)
    .use(memoryRoutes({ registry: deps.registry, memory: deps.memory }, routes))
    .use(resourceRoutes(deps.registry, routes));

  const handle = async (request: Request, peer?: string): Promise<Response> => {
    const started = performance.now();
    let response: Response;
    if (request.method === 'OPTIONS') return cors.preflight(request);
    const host = new URL(request.url).host;
    request = withRoutableHost(request);
    if (peer) peers.set(request, peer);
    try {
      let refused: ApiError | undefined = await refuseAnonymous(routes, deps.auth, request, identified);
      if (!refused && identified.get(request)?.method === 'session' && cors.crossOriginWrite(request, host)) refused = new Forbidden('a write with a session cookie must come from this server\'s own origin');
      // HEAD would make the framework read a whole body for its length, and watch bodies never end.
      if (!refused && request.method === 'HEAD') return statusResponse(toApiError('NOT_FOUND', undefined, request, routes, deps.log));
      response = cors.decorate(request, refused ? statusResponse(refused) : await elysia.handle(request));
    } catch (e) {
      response = statusResponse(toApiError('UNKNOWN', e, request, routes, deps.log));
    }
    const label = servedRoute.get(request) ?? fallbackLabel(request, routes);
    metrics.observe(request.method, label, response.status, (performance.now() - started) / 1000);
    return response;
  };
  return { handle, routes, metrics, served: () => elysia.routes.map((r) => ({ method: r.method, path: r.path })) };
}

/**
 * Elysia finds the path by searching for "/" from the 12th character of the URL, which misroutes
 * hosts shorter than four characters (e.g. `Host: api`). Such requests get a neutral host; the
 * API never uses the host itself.
 */
function withRoutableHost(request: Request): Request {
  const slash = request.url.indexOf('/', request.url.indexOf('//') + 2);
  if (slash >= 11 || slash < 0) return request;
  const url = new URL(request.url);
  url.host = 'orrery.invalid';
  return new Request(url.toString(), request);
}

/** Requests that no table route served: errors before routing, Swagger, unknown paths. */
function fallbackLabel(request: Request, routes: RouteTable): string {
  const path = new URL(request.url).pathname;
  if (path === '/' || path === '/ui' || path.startsWith('/ui/')) return '/ui';
  return routes.match(path)?.path ?? (path.startsWith('/swagger') ? '/swagger' : 'unmatched');
}
