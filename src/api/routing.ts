// Registers a route on the Elysia app and in the RouteTable together, so the 404/405 logic, the
// metrics labels and the OpenAPI document can never disagree with what is served. Also decides
// which requests under /v1/ a caller without a valid credential may route at all.
import type { Elysia } from 'elysia';
import { requirementFor } from '../auth/policy';
import type { AuthService, Identity } from '../auth/service';
import { BadRequest, type Unauthorized } from '../errors';
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
  const fn = async (c: any) => {
    servedRoute.set(c.request, info.path);
    const params: Record<string, string> = c.params ?? {};
    for (const [k, v] of Object.entries(params)) {
      // Elysia yields null for a segment whose percent-encoding is malformed (e.g. %zz).
      if (typeof v !== 'string') throw new BadRequest(`the URL path segment for ${k} is not valid percent-encoding`);
    }
    const identity = table.guard ? await table.guard(c.request, info.required!) : OPEN;
    return await handler({ request: c.request, params, query: c.query ?? {}, identity });
  };
  const m: Record<Method, 'get' | 'post' | 'put' | 'delete'> = { GET: 'get', POST: 'post', PUT: 'put', DELETE: 'delete' };
  (app as any)[m[info.method]](info.path, fn, hook);
}

/**
 * Under /v1/ a caller without a valid credential learns nothing of the route table: unless the
 * method and path are public, it gets the 401 of a protected route before routing, so unknown
 * paths and wrong methods answer exactly as real routes do. A wrong method on a public path keeps
 * its 405 when every method of that path is public (it names only what anyone may call). Returns
 * the 401 to answer, or undefined to route; the identity found is kept in `known` for the guard,
 * so a request is identified (and its session slid) once.
 */
export async function refuseAnonymous(table: RouteTable, auth: Pick<AuthService, 'identify' | 'unauthorized'>, request: Request, known: WeakMap<Request, Identity>): Promise<Unauthorized | undefined> {
  const path = pathOf(request.url);
  if (path !== '/v1' && !path.startsWith('/v1/')) return undefined;
  const id = await auth.identify(request);
  if (!id.authenticated && !isPublic(table, request.method, path)) return await auth.unauthorized(id);
  known.set(request, id);
  return undefined;
}

function isPublic(table: RouteTable, method: string, path: string): boolean {
  const hit = table.match(path);
  if (!hit) return false;
  const routes = table.routes.filter((r) => r.path === hit.path);
  const same = routes.find((r) => r.method === method);
  return same ? same.required === 'none' : routes.every((r) => r.required === 'none');
}

/** The path of a request URL, which Request has already parsed and normalized. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}
