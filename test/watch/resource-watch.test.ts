// Resource watches through the real app: frame format and order for every kind, snapshot,
// filters, redaction, resume (also after a filter matched nothing), expiry, slow consumers,
// stream limits, cleanup, and HEAD answered 405.
import { describe, expect, test } from 'bun:test';
import { kinds } from '../../src/resources';
import { fixtures } from '../fixtures/kinds';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';
import { TEST_STORE } from '../support/backend';

type Ctx = ReturnType<typeof testApp>;

async function watch(ctx: Ctx, path: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.handle(new Request(`http://localhost${path}`, { headers }));
  expect(res.status).toBe(200);
  return new SseReader(res);
}

const manifest = (kind: string, name: string, spec: unknown, labels?: Record<string, string>) => ({ kind, metadata: { name, ...(labels ? { labels } : {}) }, spec });

describe('frames for every kind', () => {
  for (const def of kinds) {
    test(`${def.kind}: create → update → status → delete arrive in order with ids`, async () => {
      const ctx = testApp();
      const base = `/v1/${def.plural}`;
      const w = await watch(ctx, `${base}/watch`);
      expect(w.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(w.response.headers.get('cache-control')).toBe('no-cache');
      expect(w.response.headers.get('x-accel-buffering')).toBe('no');
      const fx = fixtures[def.plural];
      await ctx.call('POST', base, manifest(def.kind, 'one', fx.spec));
      await ctx.call('POST', base, manifest(def.kind, 'one', fx.changed));
      await ctx.call('PUT', `${base}/one/status`, { status: { phase: def.phases[def.phases.length - 1] } }, { 'if-match': '*' });
      const deleted = await ctx.call('DELETE', `${base}/one`);
      const frames = await w.waitFor(4);
      expect(frames.map((f) => [f.event, f.id, json(f).type])).toEqual([
        ['resource', '1', 'added'],
        ['resource', '2', 'updated'],
        ['resource', '3', 'updated'],
        ['resource', '4', 'deleted'],
      ]);
      expect(json(frames[0]).resource.metadata).toMatchObject({ name: 'one', resourceVersion: '1', generation: 1 });
      expect(json(frames[1]).resource.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
      expect(json(frames[2]).resource.status.phase).toBe(def.phases[def.phases.length - 1]);
      // Frames carry what a list shows: a Task's record streams stay out (the DELETE answer has them).
      const summary = { ...deleted.json.status };
      for (const field of Object.keys(def.records ?? {})) delete summary[field];
      expect(json(frames[3]).resource).toEqual({ ...deleted.json, metadata: { ...deleted.json.metadata, resourceVersion: '4' }, status: summary });
      await w.close();
      expect(ctx.core.watch.subscribers).toBe(0);
    });
  }
});

describe('watch behaviour', () => {
  test('without a resume point the current objects come first, oldest version first, then live', async () => {
    const ctx = testApp();
    for (const n of ['b', 'a', 'c']) await ctx.call('POST', '/v1/agents', manifest('Agent', n, { model_ref: 'm' }));
    await ctx.call('POST', '/v1/agents', manifest('Agent', 'b', { model_ref: 'm2' }));
    const w = await watch(ctx, '/v1/agents/watch');
    await w.waitFor(3);
    await ctx.call('POST', '/v1/agents', manifest('Agent', 'd', { model_ref: 'm' }));
    const frames = await w.waitFor(4);
    expect(frames.map((f) => [f.id, json(f).type, json(f).resource.metadata.name])).toEqual([
      ['2', 'added', 'a'],
      ['3', 'added', 'c'],
      ['4', 'added', 'b'],
      ['5', 'added', 'd'],
    ]);
    await w.close();
  });

  test('filters: namespace, name and label selector apply to snapshot and live frames', async () => {
    const ctx = testApp();
    const put = (ns: string, name: string, labels?: Record<string, string>) => ctx.call('POST', `/v1/agents?namespace=${ns}`, manifest('Agent', name, { model_ref: 'm' }, labels));
    await put('a', 'x', { env: 'dev' });
    await put('b', 'x', { env: 'prod' });
    const byNs = await watch(ctx, '/v1/agents/watch?namespace=a');
    const byName = await watch(ctx, '/v1/agents/watch?name=y');
    const byLabel = await watch(ctx, `/v1/agents/watch?labelSelector=${encodeURIComponent('env in (prod,qa)')}`);
    await put('a', 'y', { env: 'qa' });
    await put('b', 'z');
    const seen = (w: SseReader) => w.data.map((f) => `${json(f).resource.metadata.namespace}/${json(f).resource.metadata.name}`);
    await byNs.waitFor(2);
    await byName.waitFor(1);
    await byLabel.waitFor(2);
    await ctx.call('POST', '/v1/tools', { metadata: { name: 'other-kind' }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    await ctx.call('POST', '/v1/agents?namespace=a', manifest('Agent', 'last', { model_ref: 'm' }));
    await byNs.waitFor(3);
    expect(seen(byNs)).toEqual(['a/x', 'a/y', 'a/last']);
    expect(seen(byName)).toEqual(['a/y']);
    expect(seen(byLabel)).toEqual(['b/x', 'a/y']);
    for (const w of [byNs, byName, byLabel]) await w.close();
  });

  test('secret values never appear in watch frames', async () => {
    const ctx = testApp();
    const w = await watch(ctx, '/v1/secrets/watch');
    await ctx.call('POST', '/v1/secrets', { metadata: { name: 's' }, spec: { stringData: { token: 'hunter2-plaintext' } } });
    await ctx.call('DELETE', '/v1/secrets/s');
    const frames = await w.waitFor(2);
    for (const f of frames) {
      expect(f.data).not.toContain('hunter2-plaintext');
      expect(f.data).not.toContain(Buffer.from('hunter2-plaintext').toString('base64'));
      expect(json(f).resource.spec).toEqual({ data: { token: '***' } });
    }
    await w.close();
  });

  test('resume: 500 writes while away arrive exactly once and in order, then live continues', async () => {
    const ctx = testApp();
    await ctx.call('POST', '/v1/agents', manifest('Agent', 'seed', { model_ref: 'm' }));
    const first = await watch(ctx, '/v1/agents/watch');
    const [seed] = await first.waitFor(1);
    await first.close();
    for (let i = 0; i < 500; i++) await ctx.call('POST', '/v1/agents', manifest('Agent', `n${i % 50}`, { model_ref: `m${i}` }));
    // Another kind's change in the same window must not appear on an agents watch.
    await ctx.call('POST', '/v1/tools', { metadata: { name: 't' }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    const again = await watch(ctx, '/v1/agents/watch', { 'last-event-id': seed.id! });
    await again.waitFor(500);
    await ctx.call('POST', '/v1/agents', manifest('Agent', 'live', { model_ref: 'm' }));
    const frames = await again.waitFor(501);
    expect(frames).toHaveLength(501);
    expect(frames.map((f) => Number(f.id))).toEqual([...Array.from({ length: 500 }, (_, i) => i + 2), 503]);
    expect(json(frames[0]).resource.spec.model_ref).toBe('m0');
    expect(json(frames[499]).resource.spec.model_ref).toBe('m499');
    expect(json(frames[500]).resource.metadata.name).toBe('live');
    // ?resourceVersion= is the same resume point.
    const byQuery = await watch(ctx, '/v1/agents/watch?resourceVersion=500');
    expect((await byQuery.waitFor(2)).map((f) => f.id)).toEqual(['501', '503']);
    await again.close();
    await byQuery.close();
  });

  // Cuts the SQLite change log by hand; PostgreSQL trims through the same contract (test/store/logs-contract.test.ts).
  test.skipIf(TEST_STORE === 'postgres')('a resume point older than the change log keeps gets an Expired frame, then the stream ends', async () => {
    const ctx = testApp();
    for (let i = 0; i < 20; i++) await ctx.call('POST', '/v1/agents', manifest('Agent', `a${i}`, { model_ref: 'm' }));
    ctx.handle.sqlite.exec('DELETE FROM changes WHERE revision <= 10');
    const w = await watch(ctx, '/v1/agents/watch', { 'last-event-id': '5' });
    const frames = await w.waitFor(1);
    expect(frames[0].event).toBe('error');
    expect(frames[0].id).toBeUndefined();
    expect(json(frames[0]).reason).toBe('Expired');
    await w.waitUntil(() => w.ended);
    const ok = await watch(ctx, '/v1/agents/watch', { 'last-event-id': '10' });
    expect((await ok.waitFor(10)).map((f) => f.id)).toEqual(['11', '12', '13', '14', '15', '16', '17', '18', '19', '20']);
    await ok.close();
    const future = await watch(ctx, '/v1/agents/watch?resourceVersion=999');
    expect(json((await future.waitFor(1))[0]).reason).toBe('Expired');
    const bad = await ctx.call('GET', '/v1/agents/watch', undefined, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('Last-Event-ID');
  });

  test('a slow consumer is cut off with a final frame while a fast one keeps up', async () => {
    const ctx = testApp({ watch: { bufferSize: 20 } });
    const fast = await watch(ctx, '/v1/agents/watch');
    const slowRes = await ctx.app.handle(new Request('http://localhost/v1/agents/watch'));
    const slowReader = slowRes.body!.getReader();
    // Writes commit without waiting for readers, so the slow reader (which reads nothing) falls 100 behind.
    for (let i = 0; i < 100; i++) {
      await ctx.registry.apply(ctx.kind('agents'), manifest('Agent', `a${i}`, { model_ref: 'm' }), {});
      if (i % 10 === 9) await fast.waitFor(i + 1);
    }
    expect((await fast.waitFor(100)).map((f) => Number(f.id))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    let text = '';
    for (;;) {
      const { value, done } = await slowReader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: error\ndata: {"reason":"SlowConsumer"');
    expect(ctx.core.watch.changes.hub.size).toBe(1);
    await fast.close();
    expect(ctx.core.watch.subscribers).toBe(0);
    expect(ctx.core.watch.streams).toBe(0);
  });

  test('heartbeat comments keep idle streams alive', async () => {
    const ctx = testApp({ watch: { heartbeatMs: 30 } });
    const w = await watch(ctx, '/v1/agents/watch');
    await w.waitUntil(() => w.frames.filter((f) => f.comment === 'keep-alive').length >= 2);
    await w.close();
  });

  test('the stream limit answers 503 in the Status shape, and closed streams free their slot', async () => {
    const ctx = testApp({ watch: { maxStreams: 2 } });
    const a = await watch(ctx, '/v1/agents/watch');
    const b = await watch(ctx, '/v1/events/watch');
    const c = await ctx.call('GET', '/v1/tools/watch');
    expect(c.status).toBe(503);
    expect(c.json.reason).toBe('ServiceUnavailable');
    await a.close();
    await a.waitUntil(() => ctx.core.watch.streams === 1);
    const d = await watch(ctx, '/v1/tools/watch');
    await b.close();
    await d.close();
    expect(ctx.core.watch.streams).toBe(0);
  });

  test('no leaked subscribers: 50 clients come and go, the counts return to zero', async () => {
    const ctx = testApp();
    const readers = await Promise.all(Array.from({ length: 50 }, (_, i) => watch(ctx, i % 2 ? '/v1/agents/watch' : '/v1/events/watch')));
    expect(ctx.core.watch.subscribers).toBe(50);
    await ctx.call('POST', '/v1/agents', manifest('Agent', 'x', { model_ref: 'm' }));
    await Promise.all(readers.map((r) => r.waitFor(1)));
    await Promise.all(readers.map((r) => r.close()));
    expect(ctx.core.watch.subscribers).toBe(0);
    expect(ctx.core.watch.streams).toBe(0);
    const m = (await ctx.call('GET', '/metrics')).text;
    expect(m).toContain('orrery_watch_subscribers 0');
  });

  // Cuts the SQLite change log by hand (see above).
  test.skipIf(TEST_STORE === 'postgres')('a watcher whose filter matched nothing still gets a resume point; resourceVersion=0 lists afresh', async () => {
    const ctx = testApp();
    for (let i = 0; i < 5; i++) await ctx.call('POST', '/v1/tools', { metadata: { name: `t${i}` }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    const w = new SseReader(await ctx.app.handle(new Request('http://localhost/v1/agents/watch')));
    await w.waitUntil(() => w.frames.some((f) => f.id === '5' && !f.event));
    await w.close();
    ctx.handle.sqlite.exec('DELETE FROM changes WHERE revision < 5');
    const fresh = new SseReader(await ctx.app.handle(new Request('http://localhost/v1/tools/watch?resourceVersion=0')));
    expect((await fresh.waitFor(5)).map((f) => json(f).type)).toEqual(['added', 'added', 'added', 'added', 'added']);
    await fresh.close();
  });
});

describe('requests a watch cannot answer', () => {
  test('HEAD is 405 everywhere (a watch would never answer it); short Host headers still route', async () => {
    const ctx = testApp();
    const head = await ctx.app.handle(new Request('http://localhost/v1/agents/watch', { method: 'HEAD' }));
    expect(head.status).toBe(405);
    expect(ctx.core.watch.streams).toBe(0);
    const short = await ctx.app.handle(new Request('http://api/v1/agents'));
    expect(short.status).toBe(200);
    expect(((await short.json()) as any).kind).toBe('AgentList');
  });
});
