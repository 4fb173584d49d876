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

async function expectExpiredThenEnd(w: SseReader, message: string) {
  await w.waitUntil(() => w.ended);
  expect(w.data.map((f) => ({ event: f.event, id: f.id, data: json(f) }))).toEqual([{ event: 'error', id: undefined, data: { reason: 'Expired', message } }]);
}

describe('a resume point beyond the newest one', () => {
  test('the event stream ends with Expired for since and for Last-Event-ID', async () => {
    const ctx = testApp();
    for (let i = 0; i < 3; i++) await ctx.call('POST', '/v1/agents', agent(`a${i}`));
    const message = "is newer than anything this server has written (newest 3); watch again without a resume point";
    await expectExpiredThenEnd(await watch(ctx, '/v1/events/watch?since=4'), `event 4 ${message}`);
    await expectExpiredThenEnd(await watch(ctx, '/v1/events/watch', { 'last-event-id': '99' }), `event 99 ${message}`);
  });

  test('an empty server refuses any event id above 0', async () => {
    const ctx = testApp();
    await expectExpiredThenEnd(await watch(ctx, '/v1/events/watch?since=1'), 'event 1 is newer than anything this server has written (newest 0); watch again without a resume point');
  });

  test('resource watches end with the same reason for resourceVersion and Last-Event-ID', async () => {
    const ctx = testApp();
    for (let i = 0; i < 3; i++) await ctx.call('POST', '/v1/agents', agent(`a${i}`));
    const message = "is newer than anything this server has written (newest 3); list again and watch from the list's resourceVersion";
    await expectExpiredThenEnd(await watch(ctx, '/v1/agents/watch?resourceVersion=4'), `revision 4 ${message}`);
    await expectExpiredThenEnd(await watch(ctx, '/v1/tools/watch', { 'last-event-id': '50' }), `revision 50 ${message}`);
  });

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
