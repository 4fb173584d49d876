// The web console as the server serves it: `/` redirects to /ui, every /ui path answers the app
// shell (deep links), the embedded script and style have their content types, gzip, validators and
// long caching, the bundle asks for nothing outside the origin and stays under its size budget;
// and a write with a session cookie from another origin is refused (CSRF).
import { describe, expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { testApp } from '../support/app';

const { app, call } = testApp();

async function shell() {
  const r = await call('GET', '/ui');
  const js = /src="\/ui\/assets\/(console\.[0-9a-f]{8}\.js)"/.exec(r.text)?.[1];
  const css = /href="\/ui\/assets\/(console\.[0-9a-f]{8}\.css)"/.exec(r.text)?.[1];
  return { r, js: js!, css: css! };
}

describe('console pages and assets', () => {
  test('/ redirects to /ui; /ui and deep links answer the shell with the kind list', async () => {
    const root = await app.handle(new Request('http://localhost/'));
    expect([root.status, root.headers.get('location')]).toEqual([302, '/ui']);
    const { r, js, css } = await shell();
    expect([r.status, r.headers.get('content-type'), r.headers.get('cache-control')]).toEqual([200, 'text/html; charset=utf-8', 'no-cache']);
    expect(js && css).toBeTruthy();
    const boot = JSON.parse(/<script type="application\/json" id="orrery-boot">(.*?)<\/script>/.exec(r.text)![1]);
    expect(boot.kinds.length).toBe(17);
    expect(boot.kinds).toContainEqual({ kind: 'ToolApproval', plural: 'tool-approvals' });
    for (const path of ['/ui/', '/ui/tasks', '/ui/tasks/default/t1', '/ui/resources/agents/default/a', '/ui/approvals']) {
      const deep = await call('GET', path);
      expect([path, deep.status, deep.text]).toEqual([path, 200, r.text]);
    }
  });

  test('assets: content types, gzip when accepted, ETag and 304, a year of caching; unknown → 404', async () => {
    const { js, css } = await shell();
    const a = await call('GET', `/ui/assets/${js}`);
    expect([a.status, a.headers.get('content-type'), a.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    expect(a.headers.get('content-encoding')).toBeNull();
    expect((await call('GET', `/ui/assets/${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const zipped = await app.handle(new Request(`http://localhost/ui/assets/${js}`, { headers: { 'accept-encoding': 'gzip, br' } }));
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await zipped.arrayBuffer())))).toBe(a.text);
    const etag = a.headers.get('etag')!;
    const again = await call('GET', `/ui/assets/${js}`, undefined, { 'if-none-match': etag });
    expect([again.status, again.text]).toEqual([304, '']);
    const missing = await call('GET', '/ui/assets/console.00000000.js');
    expect([missing.status, missing.json.reason]).toEqual([404, 'NotFound']);
  });

  test('the bundle references no URL outside the origin and stays under 200 KB gzipped', async () => {
    const { js, css } = await shell();
    const text = (await call('GET', `/ui/assets/${js}`)).text + (await call('GET', `/ui/assets/${css}`)).text + (await shell()).r.text;
    expect(text.length).toBeGreaterThan(20_000);
    // The SVG namespace is a name, not a request.
    const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg');
    expect(urls).toEqual([]);
    expect(text).not.toMatch(/@import|fonts\.googleapis|cdn\./i);
    const gzipped = Bun.gzipSync(new TextEncoder().encode(text)).length;
    console.log(`console bundle: ${(text.length / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
    expect(gzipped).toBeLessThan(200 * 1024);
  });
});

describe('CSRF: cookie-authenticated writes come from the server\'s own origin', () => {
  const SETUP = { username: 'admin', password: 'a-long-password-please' };

  async function session(cors?: string[]) {
    const t = testApp({ auth: { mode: 'native' }, cors });
    const r = await t.call('POST', '/v1/auth/setup', SETUP);
    expect(r.status).toBe(201);
    const cookie = r.headers.get('set-cookie')!.split(';')[0];
    const write = (headers: Record<string, string>) => t.call('POST', '/v1/agents', { metadata: { name: `a${Math.random().toString(36).slice(2, 8)}` }, spec: { model_ref: 'm' } }, { cookie, ...headers });
    return { t, cookie, write };
  }

  test('a session write with a foreign Origin or Sec-Fetch-Site cross-site → 403; same origin and no Origin pass', async () => {
    const { t, cookie, write } = await session();
    const foreign = await write({ origin: 'http://evil.example' });
    expect([foreign.status, foreign.json.reason, foreign.json.message]).toEqual([403, 'Forbidden', "a write with a session cookie must come from this server's own origin"]);
    expect((await write({ origin: 'http://localhost:9999' })).status).toBe(403);
    expect((await write({ origin: 'null' })).status).toBe(403);
    expect((await write({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await write({ origin: 'http://localhost' })).status).toBe(201);
    expect((await write({ origin: 'http://localhost', 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await write({})).status).toBe(201);
    // Reads stay open to any origin's cookie (CORS decides what a page may see).
    expect((await t.call('GET', '/v1/agents', undefined, { cookie, origin: 'http://evil.example' })).status).toBe(200);
  });

  test('an origin named in --cors-allowed-origins may write with the cookie; bearer tokens are not cookies', async () => {
    const { write } = await session(['https://ui.example']);
    expect((await write({ origin: 'https://ui.example' })).status).toBe(201);
    expect((await write({ origin: 'https://other.example' })).status).toBe(403);
    const bearer = testApp({ auth: { mode: 'native', envTokens: parseEnvTokens({ ORLOJ_API_TOKEN: 'tok-1234567890' }).tokens } });
    const r = await bearer.call('POST', '/v1/agents', { metadata: { name: 'b' }, spec: { model_ref: 'm' } }, { authorization: 'Bearer tok-1234567890', origin: 'http://evil.example' });
    expect(r.status).toBe(201);
  });
});
