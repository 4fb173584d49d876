// Registers a route on the Elysia app and in the RouteTable together, so the 404/405 logic, the
// metrics labels and the OpenAPI document can never disagree with what is served.
import type { Elysia } from 'elysia';
import type { Method, RouteInfo, RouteTable } from './route-table';

export interface HandlerContext {
  request: Request;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

export type Handler = (ctx: HandlerContext) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** The route pattern that served each request, for metrics labels without re-matching. */
export const servedRoute = new WeakMap<Request, string>();

export function addRoute(app: Elysia<any, any, any, any, any, any, any>, table: RouteTable, info: RouteInfo, handler: Handler, detail: object): void {
  table.add(info);
  const hook = { parse: 'none' as const, detail: detail as any };
  const fn = (c: any) => {
    servedRoute.set(c.request, info.path);
    return handler({ request: c.request, params: c.params ?? {}, query: c.query ?? {} });
  };
  const m: Record<Method, 'get' | 'post' | 'put' | 'delete'> = { GET: 'get', POST: 'post', PUT: 'put', DELETE: 'delete' };
  (app as any)[m[info.method]](info.path, fn, hook);
}
