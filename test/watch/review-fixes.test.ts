// Regressions found in review: retention holes, trimming during a replay, bookmarks, and
// resourceVersion=0 after trimming.
import { expect, test } from 'bun:test';
import { LogRetention } from '../../src/controllers/log-retention';
import { silentLogger } from '../../src/log';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

const agent = (name: string) => ({ metadata: { name }, spec: { model_ref: 'm' } });

test('a deletion is aged by when it happened, so retention never cuts a hole in the log', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const ctx = testApp({ clock: { now: () => now } });
  await ctx.call('POST', '/v1/agents', agent('x'));
  await ctx.call('POST', '/v1/agents', agent('y'));
  now = new Date('2026-01-01T02:00:00Z');
  await ctx.call('DELETE', '/v1/agents/x');
  for (let i = 0; i < 5; i++) await ctx.call('POST', '/v1/agents', agent(`z${i}`));
  const r = new LogRetention(ctx.core.changeLog, ctx.core.eventLog, { changes: 2, changesAgeMs: 3_600_000, events: 2, eventsAgeMs: 3_600_000 }, { now: () => now }, silentLogger);
  r.runOnce();
  // Only the two old changes before the (young) deletion went: 3..8 remain, contiguous.
  expect(ctx.core.changeLog.firstRevision()).toBe(3);
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
  for (let i = 0; i < 1200; i++) ctx.registry.apply(ctx.kind('agents'), agent(`a${i}`), {});
  now = new Date('2026-01-03T00:00:00Z');
  const res = await ctx.app.handle(new Request('http://localhost/v1/agents/watch', { headers: { 'last-event-id': '1' } }));
  const reader = res.body!.getReader();
  await reader.read(); // the opening comment
  await reader.read(); // the first replayed batch
  new LogRetention(ctx.core.changeLog, ctx.core.eventLog, { changes: 10, changesAgeMs: 1, events: 10, eventsAgeMs: 1 }, { now: () => now }, silentLogger).runOnce();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  expect(text).toContain('event: error\ndata: {"reason":"Expired"');
});

test('a watcher whose filter matched nothing still gets a resume point; resourceVersion=0 lists afresh', async () => {
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
