// Resume points beyond the newest change or event: resource watches and the event stream both end
// with one Expired frame (the client re-lists), never silently start from now.
import { describe, expect, test } from 'bun:test';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

async function watch(ctx: ReturnType<typeof testApp>, path: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.handle(new Request(`http://localhost${path}`, { headers }));
  expect(res.status).toBe(200);
  return new SseReader(res);
}

const agent = (name: string) => ({ metadata: { name }, spec: { model_ref: 'm' } });

const ahead = (point: string, newest: number, again: string) => `${point} is newer than anything this server has written (newest ${newest}); ${again}`;
const EVENTS_AGAIN = 'watch again without a resume point';
const LIST_AGAIN = "list again and watch from the list's resourceVersion";

describe('a resume point beyond the newest one', () => {
  const cases: [what: string, writes: number, path: string, headers: Record<string, string>, message: string][] = [
    ['event stream, since', 3, '/v1/events/watch?since=4', {}, ahead('event 4', 3, EVENTS_AGAIN)],
    ['event stream, Last-Event-ID', 3, '/v1/events/watch', { 'last-event-id': '99' }, ahead('event 99', 3, EVENTS_AGAIN)],
    ['event stream of an empty server', 0, '/v1/events/watch?since=1', {}, ahead('event 1', 0, EVENTS_AGAIN)],
    ['resource watch, resourceVersion', 3, '/v1/agents/watch?resourceVersion=4', {}, ahead('revision 4', 3, LIST_AGAIN)],
    ['resource watch of another kind, Last-Event-ID', 3, '/v1/tools/watch', { 'last-event-id': '50' }, ahead('revision 50', 3, LIST_AGAIN)],
  ];
  for (const [what, writes, path, headers, message] of cases) {
    test(`${what}: one Expired frame, then the stream ends`, async () => {
      const ctx = testApp();
      for (let i = 0; i < writes; i++) await ctx.call('POST', '/v1/agents', agent(`a${i}`));
      const w = await watch(ctx, path, headers);
      await w.waitUntil(() => w.ended);
      expect(w.data.map((f) => ({ event: f.event, id: f.id, data: json(f) }))).toEqual([{ event: 'error', id: undefined, data: { reason: 'Expired', message } }]);
    });
  }

  test('the newest id itself is a valid resume point: nothing is replayed, live frames follow', async () => {
    const ctx = testApp();
    for (let i = 0; i < 3; i++) await ctx.call('POST', '/v1/agents', agent(`a${i}`));
    const events = await watch(ctx, '/v1/events/watch?since=3');
    const agents = await watch(ctx, '/v1/agents/watch?resourceVersion=3');
    await ctx.call('POST', '/v1/agents', agent('live'));
    expect((await events.waitFor(1)).map((f) => [f.event, f.id, json(f).name])).toEqual([['event', '4', 'live']]);
    expect((await agents.waitFor(1)).map((f) => [f.event, f.id, json(f).resource.metadata.name])).toEqual([['resource', '4', 'live']]);
    expect(events.ended || agents.ended).toBe(false);
    await events.close();
    await agents.close();
  });
});
