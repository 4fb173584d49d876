// /v1/memories/{name}/entries over HTTP: search and list with q/prefix/limit/namespace, PUT and
// DELETE of entries (keys with an encoded "/"), limit and body validation, roles, and the Status
// errors of unknown Memories and failing backends.
import { describe, expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { processMemoryBackends } from '../../src/cli/memory-backends';
import { silentLogger } from '../../src/log';
import { systemClock } from '../../src/util/time';
import { testApp } from '../support/app';

const TOKENS = { writer: 'tok-writer-0123456789', reader: 'tok-reader-0123456789' };
const env = { ORLOJ_API_TOKENS: Object.entries(TOKENS).map(([role, tok]) => `${role}:${tok}:${role}`).join(',') };
const as = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

function setup(auth = false) {
  return testApp({
    auth: auth ? { envTokens: parseEnvTokens(env).tokens } : undefined,
    memory: (r) => processMemoryBackends({ entries: r.backend.memory(), registry: r.registry, clock: systemClock, log: silentLogger, env: {} }),
  });
}

async function withMemories(ctx: ReturnType<typeof setup>, headers: Record<string, string> = {}) {
  for (const body of [
    { metadata: { name: 'docs' }, spec: {} },
    { metadata: { name: 'docs', namespace: 'team' }, spec: { provider: 'in-memory' } },
  ]) {
    expect((await ctx.call('POST', '/v1/memories', body, headers)).status).toBe(201);
  }
}

const put = (ctx: ReturnType<typeof setup>, path: string, value: unknown, headers: Record<string, string> = {}) => ctx.call('PUT', path, value, headers);

describe('memory entries API', () => {
  test('PUT, GET by prefix and by q, DELETE; keys may hold an encoded slash', async () => {
    const ctx = setup();
    await withMemories(ctx);
    const r = await put(ctx, '/v1/memories/docs/entries/handbook%2Fchunk-0000', { value: 'Refunds over 500 EUR need a manager.' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ key: 'handbook/chunk-0000', value: 'Refunds over 500 EUR need a manager.' });
    await put(ctx, '/v1/memories/docs/entries/handbook%2Fchunk-0001', { value: 'Shipping takes three days.' });
    await put(ctx, '/v1/memories/docs/entries/faq', { value: 'Refunds take a week.' });
    await put(ctx, '/v1/memories/docs/entries/faq?namespace=team', { value: 'Team memory only.' });

    const listed = await ctx.call('GET', '/v1/memories/docs/entries?prefix=handbook%2F');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({
      entries: [
        { key: 'handbook/chunk-0000', value: 'Refunds over 500 EUR need a manager.' },
        { key: 'handbook/chunk-0001', value: 'Shipping takes three days.' },
      ],
      count: 2,
    });
    expect((await ctx.call('GET', '/v1/memories/docs/entries?limit=1')).json).toEqual({ entries: [{ key: 'faq', value: 'Refunds take a week.' }], count: 1 });

    const found = await ctx.call('GET', '/v1/memories/docs/entries?q=refunds&prefix=ignored');
    expect(found.json.count).toBe(2);
    expect(found.json.entries.map((e: any) => e.key).sort()).toEqual(['faq', 'handbook/chunk-0000']);
    for (const e of found.json.entries) expect(e.score > 0 && e.score <= 1).toBe(true);
    expect((await ctx.call('GET', '/v1/memories/docs/entries?q=refunds&limit=1')).json.count).toBe(1);
    expect((await ctx.call('GET', '/v1/memories/docs/entries?q=%22%20AND%20*')).json).toEqual({ entries: [], count: 0 });

    expect((await ctx.call('GET', '/v1/memories/docs/entries?namespace=team')).json).toEqual({ entries: [{ key: 'faq', value: 'Team memory only.' }], count: 1 });
    expect((await ctx.call('GET', '/v1/memories/docs/entries?namespace=team&q=team')).json).toEqual({ entries: [{ key: 'faq', value: 'Team memory only.', score: 1 }], count: 1 });

    const del = await ctx.call('DELETE', '/v1/memories/docs/entries/handbook%2Fchunk-0001');
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ key: 'handbook/chunk-0001', deleted: true });
    // An unencoded slash is another path: no route.
    expect((await put(ctx, '/v1/memories/docs/entries/handbook/chunk-0001', { value: 'x' })).status).toBe(404);
    const again = await ctx.call('DELETE', '/v1/memories/docs/entries/handbook%2Fchunk-0001');
    expect(again.status).toBe(404);
    expect(again.json.message).toBe('memory default/docs has no entry "handbook/chunk-0001"');
    // Replacing keeps one entry.
    await put(ctx, '/v1/memories/docs/entries/faq', { value: 'Refunds take two weeks.' });
    expect((await ctx.call('GET', '/v1/memories/docs/entries')).json.count).toBe(2);
    expect(await ctx.backend.memory().get('default', 'docs', 'faq')).toEqual({ key: 'faq', value: 'Refunds take two weeks.' });
  });

  test('an unknown Memory is 404 on every route', async () => {
    const ctx = setup();
    for (const [method, path, body] of [
      ['GET', '/v1/memories/ghost/entries', undefined],
      ['PUT', '/v1/memories/ghost/entries/k', { value: 'v' }],
      ['DELETE', '/v1/memories/ghost/entries/k', undefined],
    ] as const) {
      const r = await ctx.call(method, path, body);
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    }
  });

  test('limit must be an integer from 1 to 1000', async () => {
    const ctx = setup();
    await withMemories(ctx);
    for (const bad of ['0', '-1', '1001', '2.5', 'ten', '1e3']) {
      const r = await ctx.call('GET', `/v1/memories/docs/entries?limit=${bad}`);
      expect(r.status).toBe(400);
      expect(r.json.details.causes).toEqual([{ field: 'limit', message: `must be an integer from 1 to 1000, got "${bad}"` }]);
    }
    expect((await ctx.call('GET', '/v1/memories/docs/entries?limit=1000')).status).toBe(200);
  });

  test('the body needs a string value; keys have limits', async () => {
    const ctx = setup();
    await withMemories(ctx);
    const cases: [unknown, string][] = [
      [{}, 'value'],
      [{ value: 42 }, 'value'],
      [{ value: null }, 'value'],
      [{ value: 'ok', extra: 1 }, 'extra'],
      [['value'], 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await put(ctx, '/v1/memories/docs/entries/k', body);
      expect(r.status).toBe(400);
      expect(r.json.details.causes.map((c: any) => c.field)).toEqual([field]);
    }
    // No body at all (or only whitespace) names the missing field too.
    for (const body of [undefined, '  ']) {
      const r = await ctx.call('PUT', '/v1/memories/docs/entries/k', body, { 'content-type': 'application/json' });
      expect(r.status).toBe(400);
      expect(r.json.details.causes.map((c: any) => c.field)).toEqual(['value']);
    }
    const long = await put(ctx, `/v1/memories/docs/entries/${'k'.repeat(1025)}`, { value: 'v' });
    expect(long.status).toBe(400);
    expect(long.json.details.causes).toEqual([{ field: 'key', message: 'must be at most 1024 bytes of UTF-8' }]);
    const control = await put(ctx, '/v1/memories/docs/entries/a%0Ab', { value: 'v' });
    expect(control.json.details.causes).toEqual([{ field: 'key', message: 'must not contain control characters' }]);
    expect((await put(ctx, '/v1/memories/docs/entries/%zz', { value: 'v' })).status).toBe(400);
    expect((await put(ctx, '/v1/memories/docs/entries/%C3%A9t%C3%A9', { value: 'été' })).json).toEqual({ key: 'été', value: 'été' });
  });

  test('a reader may GET but not PUT or DELETE', async () => {
    const ctx = setup(true);
    await withMemories(ctx, as('writer'));
    expect((await put(ctx, '/v1/memories/docs/entries/k', { value: 'v' }, as('writer'))).status).toBe(200);
    expect((await ctx.call('GET', '/v1/memories/docs/entries', undefined, as('reader'))).json.count).toBe(1);
    expect((await put(ctx, '/v1/memories/docs/entries/k', { value: 'w' }, as('reader'))).status).toBe(403);
    expect((await ctx.call('DELETE', '/v1/memories/docs/entries/k', undefined, as('reader'))).status).toBe(403);
    expect((await ctx.call('GET', '/v1/memories/docs/entries')).status).toBe(401);
  });

  test('failing backends answer 409 for a spec the server cannot serve and 503 when unreachable', async () => {
    const ctx = setup();
    await ctx.call('POST', '/v1/memories', { metadata: { name: 'pg' }, spec: { provider: 'pgvector', embedding_model: 'embedder', endpoint: 'postgres://db/x' } });
    const pg = await ctx.call('GET', '/v1/memories/pg/entries');
    expect(pg.status).toBe(409);
    expect(pg.json.details.causes[0].field).toBe('spec.provider');
    // The cause names its field once: in field, not again at the start of its message.
    expect(pg.json.details.causes[0].message).toStartWith('Memory default/pg uses pgvector');
    expect(pg.json.message).toContain('pgvector, which needs a PostgreSQL store');
    const down = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
    const url = down.url.origin;
    void down.stop(true); // Bun's stop promise, not waited for (as before)
    await ctx.call('POST', '/v1/memories', { metadata: { name: 'remote' }, spec: { provider: 'http', endpoint: url } });
    const r = await put(ctx, '/v1/memories/remote/entries/k', { value: 'v' });
    expect(r.status).toBe(503);
    expect(r.json.reason).toBe('ServiceUnavailable');
    expect(r.json.message).toContain(`http memory ${url}: put failed`);
  });

  test('the OpenAPI document lists the routes with their query parameters', async () => {
    const ctx = setup();
    const doc = (await ctx.call('GET', '/swagger/json')).json;
    const get = doc.paths['/v1/memories/{name}/entries'].get;
    expect(get.parameters.map((p: any) => p.name)).toEqual(['name', 'namespace', 'q', 'prefix', 'limit']);
    expect(Object.keys(doc.paths['/v1/memories/{name}/entries/{key}']).sort()).toEqual(['delete', 'put']);
  });
});
