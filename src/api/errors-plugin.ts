// The one place errors become responses: ApiErrors, Elysia's own VALIDATION/PARSE/NOT_FOUND and
// anything unexpected are all rendered as the Status body; a 500 never reveals internals.
import { Elysia } from 'elysia';
import { ApiError, BadRequest, ClientClosedRequest, InternalError, MethodNotAllowed, NotFound } from '../errors';
import type { Logger } from '../log';
import type { RouteTable } from './route-table';

export function statusResponse(err: ApiError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(err.headers ?? {}) };
  return new Response(JSON.stringify(err.toStatus()), { status: err.code, headers });
}

export function toApiError(code: string | number, error: unknown, request: Request, routes: RouteTable, log: Logger): ApiError {
  if (error instanceof ApiError) {
    // A client that hung up mid-body is routine: no ERROR line, and the metric counts 499.
    if (error instanceof ClientClosedRequest) log.debug('client closed the request', { method: request.method, path: new URL(request.url).pathname });
    return error;
  }
  if (code === 'NOT_FOUND') {
    const url = new URL(request.url);
    const hit = routes.match(url.pathname);
    if (hit && !hit.methods.includes(request.method)) return new MethodNotAllowed(request.method, url.pathname, hit.methods);
    return new NotFound('route', url.pathname, `no route for ${request.method} ${url.pathname}`);
  }
  if (code === 'PARSE') return new BadRequest('request body could not be parsed');
  if (code === 'VALIDATION') return new BadRequest((error as Error)?.message?.split('\n')[0] ?? 'invalid request');
  log.error('unhandled error', { method: request.method, path: new URL(request.url).pathname, error: String((error as Error)?.stack ?? error) });
  return new InternalError();
}

export function errorsPlugin(routes: RouteTable, log: Logger) {
  return new Elysia({ name: 'orrery-errors' }).onError({ as: 'global' }, ({ code, error, request }) =>
    statusResponse(toApiError(code, error, request, routes, log)),
  );
}
