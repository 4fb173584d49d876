// The http provider against a real adapter on port 0: the protocol's five calls, the delete
// extension, the bearer token from auth.secretRef, errors carrying the adapter's status, and the
// egress rule.
import { afterAll, describe, expect, test } from 'bun:test';
import { silentLogger } from '../../../src/log';
import { createMemoryBackends } from '../../../src/runtime/memory/backends';
import { httpBackend } from '../../../src/runtime/memory/http';
import { MemoryError } from '../../../src/runtime/memory/types';
import { openDatabase } from '../../../src/store/database';
import { MemoryEntryStore } from '../../../src/store/memory-entries';
import { systemClock } from '../../../src/util/time';

const TOKEN = 'adapter-token-0123456789';
const seen: { path: string; auth: string | null; body: any }[] = [];

/** A memory service speaking the adapter protocol, with /delete, over an in-process map. */
function adapter(opts: { withDelete: boolean; failWith?: number }) {
  const data = new Map<string, string>();
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const body: any = req.method === 'POST' ? await req.json() : undefined;
      seen.push({ path, auth: req.headers.get('authorization'), body });
      if (req.headers.get('authorization') !== `Bearer ${TOKEN}`) return Response.json({ error: 'bad token' }, { status: 401 });
      // Echoes the credential, as careless services do: it must never reach an error message.
      if (opts.failWith) return Response.json({ error: `backend is having a bad day (token ${TOKEN})` }, { status: opts.failWith });
      switch (path) {
        case '/ping':
          return Response.json({ status: 'ok' });
        case '/put':
          data.set(body.key, body.value);
          return Response.json({ status: 'ok' });
        case '/get':
          return Response.json(data.has(body.key) ? { found: true, key: body.key, value: data.get(body.key) } : { found: false, key: body.key });
        case '/list':
          return Response.json({ entries: [...data].filter(([k]) => k.startsWith(body.prefix ?? '')).map(([key, value]) => ({ key, value })).reverse() });
        case '/search':
          return Response.json({ results: [...data].filter(([, v]) => v.includes(body.query)).slice(0, body.top_k).map(([key, value]) => ({ key, value, score: 1.7 })) });
        case '/delete':
          if (!opts.withDelete) return new Response('not found', { status: 404 });
          return Response.json({ deleted: data.delete(body.key) });
      }
      return new Response('not found', { status: 404 });
    },
  });
}

const good = adapter({ withDelete: true });
const noDelete = adapter({ withDelete: false });
const failing = adapter({ withDelete: true, failWith: 503 });
afterAll(() => [good, noDelete, failing].forEach((s) => s.stop(true)));

const backend = (url: string, token: string | undefined = TOKEN) => httpBackend({ endpoint: `${url}/`, token, timeoutMs: 5_000, egress: {}, fetch });

describe('http memory backend', () => {
  test('speaks the adapter protocol with the bearer token', async () => {
    const b = backend(good.url.origin);
    await b.ping();
    await b.put('k/2', 'two apples');
    await b.put('k/1', 'one apple');
    await b.put('z', 'zebra');
    expect(await b.get('k/1')).toEqual({ key: 'k/1', value: 'one apple' });
    expect(await b.get('nope')).toBeUndefined();
    // Sorted by key and cut to the limit here, whatever order the adapter answers in.
    expect(await b.list('k/', 10)).toEqual([
      { key: 'k/1', value: 'one apple' },
      { key: 'k/2', value: 'two apples' },
    ]);
    expect(await b.list('', 1)).toEqual([{ key: 'k/1', value: 'one apple' }]);
    // Scores are clamped into 0–1.
    expect(await b.search('apple', 5)).toEqual([
      { key: 'k/2', value: 'two apples', score: 1 },
      { key: 'k/1', value: 'one apple', score: 1 },
    ]);
    expect(await b.delete('z')).toBe(true);
    expect(await b.delete('z')).toBe(false);
    const last = seen.filter((s) => s.path === '/search').at(-1)!;
    expect(last).toEqual({ path: '/search', auth: `Bearer ${TOKEN}`, body: { query: 'apple', top_k: 5 } });
    expect(seen.find((s) => s.path === '/list')!.body).toEqual({ prefix: 'k/', limit: 10 });
  });

  test('an adapter error carries its status and message, and never the token', async () => {
    const err = await backend(failing.url.origin).put('k', 'v').catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`http memory ${failing.url.origin}: put failed status=503: backend is having a bad day (token [REDACTED])`);
    expect(err.message).not.toContain(TOKEN);
    const denied = await backend(good.url.origin, 'wrong').ping().catch((e) => e);
    expect(denied.status).toBe(401);
    expect(denied.retryable).toBe(false);
    expect(denied.message).toContain('ping failed status=401: bad token');
    expect(denied.message).not.toContain(TOKEN);
  });

  test('delete on an adapter without the extension is refused clearly', async () => {
    const err = await backend(noDelete.url.origin).delete('k').catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.message).toContain('this adapter does not support delete (POST /delete answered 404');
  });

  test('an unreachable adapter is a retryable error; a refused address is not', async () => {
    const down = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const url = down.url.origin;
    await down.stop(true);
    const err = await backend(url).ping().catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.retryable).toBe(true);
    const refused = await httpBackend({ endpoint: 'http://169.254.169.254', timeoutMs: 1_000, egress: {}, fetch }).ping().catch((e) => e);
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('egress refused');
    const privateDenied = await httpBackend({ endpoint: good.url.origin, token: TOKEN, timeoutMs: 1_000, egress: { privateAddresses: 'deny' }, fetch }).ping().catch((e) => e);
    expect(privateDenied.message).toContain('egress refused');
  });

  test('a reply above the size cap is refused without reading it whole', async () => {
    const big = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ entries: [{ key: 'k', value: 'x'.repeat(4096) }] }) });
    try {
      const capped = httpBackend({ endpoint: big.url.origin, timeoutMs: 5_000, egress: {}, fetch, maxReplyBytes: 1024 });
      const err = await capped.list('', 10).catch((e) => e);
      expect(err).toBeInstanceOf(MemoryError);
      expect([err.message, err.retryable]).toEqual(['memory adapter list: the reply is larger than 1024 bytes (ask for fewer entries)', false]);
      const roomy = httpBackend({ endpoint: big.url.origin, timeoutMs: 5_000, egress: {}, fetch, maxReplyBytes: 8192 });
      expect((await roomy.list('', 10)).map((e) => e.key)).toEqual(['k']);
    } finally {
      await big.stop(true);
    }
  });

  test('through the registry: endpoint and token come from Secrets', async () => {
    const handle = openDatabase(':memory:');
    const secrets: Record<string, string> = { 'default/adapter-token': TOKEN, 'default/adapter-url': good.url.origin };
    const backends = createMemoryBackends({
      entries: new MemoryEntryStore(handle),
      endpoint: () => undefined,
      secret: (ns, ref) => secrets[`${ns}/${ref}`],
      clock: systemClock,
      log: silentLogger,
    });
    const memory = (spec: Record<string, unknown>, generation = 1) => ({ metadata: { name: 'remote', namespace: 'default', uid: 'u1', generation }, spec });
    const b = await backends.backendFor(memory({ provider: 'http', endpoint_secret_ref: 'adapter-url', auth: { secretRef: 'adapter-token' } }));
    await b.put('via', 'registry');
    expect(await b.get('via')).toEqual({ key: 'via', value: 'registry' });
    const missing = await backends.backendFor(memory({ provider: 'http', endpoint: good.url.origin, auth: { secretRef: 'nope' } }, 2)).catch((e) => e);
    expect(missing).toBeInstanceOf(MemoryError);
    expect(missing.field).toBe('spec.auth.secretRef');
    backends.close();
    handle.close();
  });
});
