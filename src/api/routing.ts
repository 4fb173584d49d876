// Registers a route on the Elysia app and in the RouteTable together, so the 404/405 logic, the
// metrics labels and the OpenAPI document can never disagree with what is served.
import type { Elysia } from 'elysia';
import { requirementFor } from '../auth/policy';
import type { Identity } from '../auth/service';
import { BadRequest } from '../errors';
import type { Method, RouteInfo, RouteTable } from './route-table';

export interface HandlerContext {
  request: Request;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  identity: Identity;
}

const OPEN: Identity = { authenticated: true, method: 'none', role: 'admin' };

export type Handler = (ctx: HandlerContext) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** The route pattern that served each request, for metrics labels without re-matching. */
export const servedRoute = new WeakMap<Request, string>();

export function addRoute(app: Elysia<any, any, any, any, any, any, any>, table: RouteTable, route: RouteInfo, handler: Handler, detail: object): void {
  const info: RouteInfo = { ...route, required: route.required ?? requirementFor(route.method, route.path) };
  table.add(info);
  const hook = { parse: 'none' as const, detail: detail as any };
  const fn = (c: any) => {
    servedRoute.set(c.request, info.path);
    const params: Record<string, string> = c.params ?? {};
    for (const [k, v] of Object.entries(params)) {
      // Elysia yields null for a segment whose percent-encoding is malformed (e.g. %zz).
      if (typeof v !== 'string') throw new BadRequest(`the URL path segment for ${k} is not valid percent-encoding`);
    }
    const identity = table.guard ? table.guard(c.request, info.required!) : OPEN;
    return handler({ request: c.request, params, query: c.query ?? {}, identity });
  };
  const m: Record<Method, 'get' | 'post' | 'put' | 'delete'> = { GET: 'get', POST: 'post', PUT: 'put', DELETE: 'delete' };
  (app as any)[m[info.method]](info.path, fn, hook);
}
