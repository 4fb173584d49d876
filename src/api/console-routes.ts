// The web console: `/` redirects to `/ui`, every path under /ui/ answers the app shell (client-side
// routing, so deep links load), and /ui/assets/ serves the script and style built into the
// executable by a macro (console-bundle.ts). The shell carries no data; the console reads the API
// with the caller's session like any client. The kind list is written into the shell so the
// browser code imports nothing from the server.
import { Elysia } from 'elysia';
import { consoleBundle } from './console-bundle' with { type: 'macro' };
import type { KindDefinition } from '../registry/kind';
import { VERSION } from '../version';

const BUNDLE = consoleBundle();

interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  type: string;
  etag: string;
}

function asset(text: string, type: string): Asset {
  const body = new TextEncoder().encode(text);
  return { body, gzip: Bun.gzipSync(body), type, etag: `"${Bun.hash(body).toString(16)}"` };
}

/** Name → asset; the names carry a content hash, so they may be cached for a year. */
export function consoleAssets(): Record<string, Asset> {
  const js = asset(BUNDLE.js, 'text/javascript; charset=utf-8');
  const css = asset(BUNDLE.css, 'text/css; charset=utf-8');
  return { [`console.${js.etag.slice(1, 9)}.js`]: js, [`console.${css.etag.slice(1, 9)}.css`]: css };
}

const escapeJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function shell(kinds: readonly KindDefinition[], assets: Record<string, Asset>): string {
  const names = Object.keys(assets);
  const js = names.find((n) => n.endsWith('.js'))!;
  const css = names.find((n) => n.endsWith('.css'))!;
  const list = kinds.map((k) => ({ kind: k.kind, plural: k.plural }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Orrery console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/${css}">
<script type="application/json" id="orrery-boot">${escapeJson({ version: VERSION, kinds: list })}</script>
<script type="module" src="/ui/assets/${js}"></script>
</head>
<body>
<noscript>The Orrery console needs JavaScript; the API is at /v1 and its reference at /swagger.</noscript>
<div id="app"></div>
</body>
</html>`;
}

const notFound = (file: string) =>
  new Response(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `no console asset ${file}` }), {
    status: 404,
    headers: { 'content-type': 'application/json' },
  });

export function consoleRoutes(kinds: readonly KindDefinition[]) {
  const assets = consoleAssets();
  const page = asset(shell(kinds, assets), 'text/html; charset=utf-8');
  const send = (request: Request, a: Asset, cache: string) => {
    const headers: Record<string, string> = { 'content-type': a.type, 'cache-control': cache, etag: a.etag, vary: 'Accept-Encoding', 'x-content-type-options': 'nosniff' };
    if (request.headers.get('if-none-match') === a.etag) return new Response(null, { status: 304, headers });
    const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
    if (gzip) headers['content-encoding'] = 'gzip';
    return new Response(gzip ? a.gzip : a.body, { headers });
  };
  const app = ({ request }: { request: Request }) => send(request, page, 'no-cache');
  const hide = { detail: { hide: true } };
  return new Elysia({ name: 'orrery-console' })
    .get('/', () => new Response(null, { status: 302, headers: { location: '/ui' } }), hide)
    .get('/ui', app, hide)
    .get('/ui/*', app, hide)
    .get(
      '/ui/assets/:file',
      ({ request, params }) => {
        const a = assets[params.file];
        return a ? send(request, a, 'public, max-age=31536000, immutable') : notFound(params.file);
      },
      hide,
    );
}
