// Swagger UI served from assets embedded in the executable, so an offline box can still explore
// the API. The OpenAPI document itself comes from @elysiajs/swagger at /swagger/json.
import { Elysia } from 'elysia';
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };
import faviconPath from 'swagger-ui-dist/favicon-32x32.png' with { type: 'file' };
import { VERSION } from '../version';

const ASSETS: Record<string, { path: string; type: string }> = {
  'swagger-ui-bundle.js': { path: bundlePath, type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { path: cssPath, type: 'text/css; charset=utf-8' },
  'favicon-32x32.png': { path: faviconPath, type: 'image/png' },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Orrery API ${VERSION}</title>
  <link rel="icon" type="image/png" href="/swagger/assets/favicon-32x32.png" />
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script>
    window.onload = () => { window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui', deepLinking: true }); };
  </script>
</body>
</html>`;

/** Registered after the swagger plugin so this page replaces the plugin's CDN-based one. */
export function swaggerUi() {
  return new Elysia({ name: 'orrery-swagger-ui' })
    .get('/swagger', () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }), { detail: { hide: true } })
    .get(
      '/swagger/assets/:file',
      ({ params }) => {
        const asset = ASSETS[params.file];
        if (!asset) return new Response(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `no asset ${params.file}` }), { status: 404, headers: { 'content-type': 'application/json' } });
        return new Response(Bun.file(asset.path), { headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' } });
      },
      { detail: { hide: true } },
    );
}
