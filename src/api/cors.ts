// CORS: by default same origin only (no CORS headers at all). Origins listed in
// --cors-allowed-origins (or "*") are echoed back; every OPTIONS preflight is answered 204
// before authentication, as browsers send no credentials on preflight.
const METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const HEADERS = 'Authorization, Content-Type, If-Match, Last-Event-ID, X-Request-ID';

export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(allowed: string[]) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed.filter((o) => o !== '*').map((o) => o.replace(/\/$/, '').toLowerCase()));
  }

  private allowed(origin: string | null): origin is string {
    // "null" is what sandboxed frames and file: pages send: never trust it.
    return !!origin && origin !== 'null' && (this.any || this.origins.has(origin.toLowerCase()));
  }

  /** Credentials (cookies) only for origins named explicitly, never through "*". */
  private credentials(origin: string): boolean {
    return this.origins.has(origin.toLowerCase());
  }

  preflight(request: Request): Response {
    const origin = request.headers.get('origin');
    const headers: Record<string, string> = { vary: 'Origin' };
    if (this.allowed(origin)) {
      Object.assign(headers, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': METHODS,
        'access-control-allow-headers': HEADERS,
        'access-control-max-age': '86400',
      });
      if (this.credentials(origin)) headers['access-control-allow-credentials'] = 'true';
    }
    return new Response(null, { status: 204, headers });
  }

  /**
   * CSRF: a cookie-authenticated write (any method but GET, HEAD, OPTIONS) from a page of another
   * site is refused. The session cookie is SameSite=Lax already; this also holds for same-site
   * origins (another port or subdomain) and older browsers. A write is cross-origin when its
   * `Origin` is neither the server's own (`host`: the Host the request came in on) nor named in
   * --cors-allowed-origins, or when the browser marks it `Sec-Fetch-Site: cross-site`. Requests
   * without either header (curl with a cookie jar) are not from a browser page and pass.
   */
  crossOriginWrite(request: Request, host: string): boolean {
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return false;
    const origin = request.headers.get('origin');
    if (origin !== null && !this.credentials(origin)) {
      if (origin === 'null') return true;
      try {
        if (new URL(origin).host.toLowerCase() !== host.toLowerCase()) return true;
      } catch {
        return true;
      }
    }
    return request.headers.get('sec-fetch-site') === 'cross-site' && (origin === null || !this.credentials(origin));
  }

  /** Adds the CORS headers to a response for an allowed origin. */
  decorate(request: Request, response: Response): Response {
    const origin = request.headers.get('origin');
    if (!this.allowed(origin)) return response;
    response.headers.set('access-control-allow-origin', origin);
    if (this.credentials(origin)) response.headers.set('access-control-allow-credentials', 'true');
    response.headers.set('access-control-expose-headers', 'ETag, Retry-After');
    response.headers.append('vary', 'Origin');
    return response;
  }
}
