// The event stream: resource events recorded with every write, filters, since/Last-Event-ID
// replay, publisher events, and log retention (no holes in the log, Expired when a replay
// loses its changes).
import { describe, expect, test } from 'bun:test';
import { LogRetention } from '../../src/controllers/log-retention';
import { silentLogger } from '../../src/log';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

const agent = (name: string) => ({ metadata: { name }, spec: { model_ref: 'm' } });

async function watch(ctx: ReturnType<typeof testApp>, path: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.handle(new Request(`http://localhost${path}`, { headers }));
  expect(res.status).toBe(200);
  return new SseReader(res);
}

describe('event stream', () => {
  test('every write records its resource event; frames carry the event id', async () => {
    const ctx = testApp();
    const w = await watch(ctx, '/v1/events/watch');
    await ctx.call('POST', '/v1/agents?namespace=team', { metadata: { name: 'a' }, spec: { model_ref: 'm' } });
    await ctx.call('POST', '/v1/agents?namespace=team', { metadata: { name: 'a' }, spec: { model_ref: 'n' } });
    await ctx.call('PUT', '/v1/agents/a/status?namespace=team', { status: { phase: 'Ready' } }, { 'if-match': '*' });
    await ctx.call('DELETE', '/v1/agents/a?namespace=team');
    const frames = await w.waitFor(4);
    const events = frames.map(json);
    expect(frames.map((f) => [f.event, f.id])).toEqual([
      ['event', '1'],
      ['event', '2'],
      ['event', '3'],
      ['event', '4'],
    ]);
    expect(events.map((e) => [e.type, e.action, e.source, e.kind, e.namespace, e.name])).toEqual([
      ['resource.created', 'created', 'apiserver', 'Agent', 'team', 'a'],
      ['resource.updated', 'updated', 'apiserver', 'Agent', 'team', 'a'],
      ['resource.status', 'status', 'apiserver', 'Agent', 'team', 'a'],
      ['resource.deleted', 'deleted', 'apiserver', 'Agent', 'team', 'a'],
    ]);
    expect(events[0].message).toBe('Agent team/a created');
    expect(events[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(events[1].data.spec.model_ref).toBe('n');
    expect(Object.keys(events[2].data).sort()).toEqual(['metadata', 'status']);
    expect(events[3].data).toEqual({ metadata: { name: 'a', namespace: 'team' } });
    await w.close();
  });

  test('a failed write records no event', async () => {
    const ctx = testApp();
    await ctx.call('POST', '/v1/agents', { metadata: { name: 'a' }, spec: {} });
    await ctx.call('PUT', '/v1/agents/missing', { metadata: { name: 'missing' }, spec: { model_ref: 'm' } }, { 'if-match': '1' });
    expect(await ctx.core.eventLog.lastId()).toBe(0);
  });

  test('filters are case-insensitive equality on source, type, kind, name and namespace', async () => {
    const ctx = testApp();
    const byKind = await watch(ctx, '/v1/events/watch?kind=tool');
    const byType = await watch(ctx, '/v1/events/watch?type=RESOURCE.DELETED&namespace=b');
    const bySource = await watch(ctx, '/v1/events/watch?source=task-controller');
    await ctx.call('POST', '/v1/agents?namespace=b', { metadata: { name: 'a' }, spec: { model_ref: 'm' } });
    await ctx.call('POST', '/v1/tools', { metadata: { name: 't' }, spec: { type: 'http', endpoint: 'http://127.0.0.1/x' } });
    await ctx.call('DELETE', '/v1/agents/a?namespace=b');
    await ctx.call('DELETE', '/v1/tools/t');
    await ctx.core.events.publish({ source: 'task-controller', type: 'task.claimed', kind: 'Task', name: 'x', namespace: 'default', message: 'claimed' });
    expect((await byKind.waitFor(2)).map((f) => json(f).type)).toEqual(['resource.created', 'resource.deleted']);
    expect((await byType.waitFor(1)).map((f) => [json(f).kind, json(f).name])).toEqual([['Agent', 'a']]);
    expect((await bySource.waitFor(1)).map((f) => [f.id, json(f).type])).toEqual([['5', 'task.claimed']]);
    for (const w of [byKind, byType, bySource]) await w.close();
  });

  test('since and Last-Event-ID replay the persisted events, then live', async () => {
    const ctx = testApp();
    for (let i = 0; i < 30; i++) await ctx.call('POST', '/v1/agents', { metadata: { name: `a${i}` }, spec: { model_ref: 'm' } });
    const since = await watch(ctx, '/v1/events/watch?since=25');
    const header = await watch(ctx, '/v1/events/watch', { 'last-event-id': '28' });
    const live = await watch(ctx, '/v1/events/watch');
    await ctx.call('POST', '/v1/agents', { metadata: { name: 'new' }, spec: { model_ref: 'm' } });
    expect((await since.waitFor(6)).map((f) => f.id)).toEqual(['26', '27', '28', '29', '30', '31']);
    expect((await header.waitFor(3)).map((f) => f.id)).toEqual(['29', '30', '31']);
    expect((await live.waitFor(1)).map((f) => f.id)).toEqual(['31']);
    for (const w of [since, header, live]) await w.close();
  });
});

describe('log retention', () => {
  test('keeps whichever is more of the newest N and the last age window, never the newest row', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const ctx = testApp({ clock: { now: () => now } });
    for (let i = 0; i < 10; i++) await ctx.call('POST', '/v1/agents', { metadata: { name: `old${i}` }, spec: { model_ref: 'm' } });
    now = new Date('2026-01-03T00:00:00Z');
    for (let i = 0; i < 5; i++) await ctx.call('POST', '/v1/agents', { metadata: { name: `new${i}` }, spec: { model_ref: 'm' } });
    const r = new LogRetention(ctx.backend.resources, ctx.core.changeLog, ctx.core.eventLog, { changes: 3, changesAgeMs: 3_600_000, events: 12, eventsAgeMs: 3_600_000 }, { now: () => now }, silentLogger);
    expect(await r.runOnce()).toEqual({ changes: 10, events: 3 });
    // Changes: the 10 old ones are beyond the newest 3 and older than an hour; the 5 recent stay.
    expect(await ctx.core.changeLog.firstRevision()).toBe(11);
    // Events: only the 3 beyond the newest 12 went.
    expect(await ctx.core.eventLog.firstId()).toBe(4);
    const all = new LogRetention(ctx.backend.resources, ctx.core.changeLog, ctx.core.eventLog, { changes: 1, changesAgeMs: 1, events: 1, eventsAgeMs: 1 }, { now: () => new Date('2027-01-01T00:00:00Z') }, silentLogger);
    await all.runOnce();
    expect(await ctx.core.changeLog.firstRevision()).toBe(15);
    expect(await ctx.core.changeLog.lastRevision()).toBe(15);
    expect(await ctx.core.eventLog.firstId()).toBe(15);
    const next = await ctx.call('POST', '/v1/agents', { metadata: { name: 'after' }, spec: { model_ref: 'm' } });
    expect(next.json.metadata.resourceVersion).toBe('16');
  });

  test('a deletion is aged by when it happened, so retention never cuts a hole in the log', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const ctx = testApp({ clock: { now: () => now } });
    await ctx.call('POST', '/v1/agents', agent('x'));
    await ctx.call('POST', '/v1/agents', agent('y'));
    now = new Date('2026-01-01T02:00:00Z');
    await ctx.call('DELETE', '/v1/agents/x');
    for (let i = 0; i < 5; i++) await ctx.call('POST', '/v1/agents', agent(`z${i}`));
    const r = new LogRetention(ctx.backend.resources, ctx.core.changeLog, ctx.core.eventLog, { changes: 2, changesAgeMs: 3_600_000, events: 2, eventsAgeMs: 3_600_000 }, { now: () => now }, silentLogger);
    await r.runOnce();
    // Only the two old changes before the (young) deletion went: 3..8 remain, contiguous.
    expect(await ctx.core.changeLog.firstRevision()).toBe(3);
    const w = new SseReader(await ctx.app.handle(new Request('http://localhost/v1/agents/watch', { headers: { 'last-event-id': '2' } })));
    const frames = await w.waitFor(6);
    expect(frames.map((f) => [f.id, json(f).type])).toEqual([
      ['3', 'deleted'],
      ['4', 'added'],
      ['5', 'added'],
      ['6', 'added'],
      ['7', 'added'],
      ['8', 'added'],
    ]);
    await w.close();
  });

  test('changes trimmed while a replay runs end the stream with Expired instead of a silent gap', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const ctx = testApp({ clock: { now: () => now } });
    for (let i = 0; i < 1200; i++) await ctx.registry.apply(ctx.kind('agents'), agent(`a${i}`), {});
    now = new Date('2026-01-03T00:00:00Z');
    const res = await ctx.app.handle(new Request('http://localhost/v1/agents/watch', { headers: { 'last-event-id': '1' } }));
    const reader = res.body!.getReader();
    await reader.read(); // the opening comment
    await reader.read(); // the first replayed batch
    await new LogRetention(ctx.backend.resources, ctx.core.changeLog, ctx.core.eventLog, { changes: 10, changesAgeMs: 1, events: 10, eventsAgeMs: 1 }, { now: () => now }, silentLogger).runOnce();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: error\ndata: {"reason":"Expired"');
  });
});
