// The byte budgets on their own: a frame queued for several watchers counts once in the global
// total, a watcher over its own budget is cut, and over the global one the largest goes first.
import { describe, expect, test } from 'bun:test';
import { parseByteSize, WatchBudget } from '../../src/watch/budget';
import { Hub } from '../../src/watch/hub';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

type Item = { frame: () => Uint8Array };
const item = (bytes: number): Item => {
  const f = new Uint8Array(bytes);
  return { frame: () => f };
};
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(perWatcher: number, total: number) {
  const budget = new WatchBudget({ perWatcher, total });
  const hub = new Hub<Item>();
  const watcher = (match: (i: Item) => boolean = () => true) => {
    const account = budget.open();
    const cuts: number[] = [];
    account.onCut(() => cuts.push(account.bytes));
    const sub = hub.subscribe(match, { capacity: 1000, account, size: (i) => i.frame().byteLength });
    return { account, sub, cuts };
  };
  return { budget, hub, watcher };
}

describe('watch byte budgets', () => {
  test('a frame held by several watchers counts once in the total and once for each of them; taking it gives it back', async () => {
    const { budget, hub, watcher } = setup(1000, 10_000);
    const a = watcher();
    const b = watcher();
    hub.publish(item(300));
    hub.publish(item(200));
    await settled();
    expect([a.account.bytes, b.account.bytes, budget.used]).toEqual([500, 500, 500]);
    const taken = await a.sub.next(300);
    expect(taken).toEqual({ items: [expect.anything()] });
    expect([a.account.bytes, b.account.bytes, budget.used]).toEqual([200, 500, 500]);
    b.sub.close();
    expect([b.account.bytes, budget.used]).toEqual([0, 200]);
    a.sub.close();
    expect(budget.used).toBe(0);
  });

  test('over its own budget a watcher is cut and its queue released; the others keep theirs', async () => {
    const { budget, hub, watcher } = setup(1000, 10_000);
    const slow = watcher();
    const small = watcher((i) => i.frame().byteLength < 500);
    for (const n of [400, 400, 600]) hub.publish(item(n));
    await settled();
    expect(slow.cuts).toEqual([1400]);
    expect(await slow.sub.next()).toEqual({ overflow: true });
    expect([slow.account.bytes, small.account.bytes, budget.used, hub.size]).toEqual([0, 800, 800, 1]);
  });

  test('over the global budget the watcher holding most is cut first, then the next, until the total fits', async () => {
    const { budget, hub, watcher } = setup(10_000, 1000);
    const big = watcher((i) => i.frame().byteLength === 700);
    const medium = watcher((i) => i.frame().byteLength === 250);
    const small = watcher((i) => i.frame().byteLength === 100);
    for (const n of [100, 250, 700]) hub.publish(item(n));
    await settled();
    // 1,050 held: cutting the largest (700) is enough.
    expect([big.cuts, medium.cuts, small.cuts]).toEqual([[700], [], []]);
    expect(budget.used).toBe(350);
    hub.publish(item(250));
    hub.publish(item(250));
    hub.publish(item(250));
    await settled();
    expect([medium.cuts, small.cuts, budget.used]).toEqual([[1000], [], 100]);
  });

  test('a cut watcher whose socket takes nothing for a heartbeat interval has its connection closed and its bytes released', async () => {
    const ctx = testApp({ watch: { bufferBytes: 64 * 1024, heartbeatMs: 50 } });
    const closed: string[] = [];
    ctx.core.watch.closeConnection = (request) => closed.push(new URL(request.url).pathname);
    const res = await ctx.app.handle(new Request('http://localhost/v1/agents/watch'));
    // Holds the body and never reads it: nothing is ever accepted.
    const body = res.body!.getReader();
    for (let i = 0; i < 20; i++) await ctx.registry.apply(ctx.kind('agents'), { kind: 'Agent', metadata: { name: `a${i}` }, spec: { model_ref: 'm', prompt: 'p'.repeat(10_000) } }, {});
    const deadline = Date.now() + 10_000;
    while (!closed.length && Date.now() < deadline) await Bun.sleep(5);
    expect(closed).toEqual(['/v1/agents/watch']);
    expect([ctx.core.watch.streams, ctx.core.watch.subscribers, ctx.core.watch.budget.used, ctx.core.watch.budget.size]).toEqual([0, 0, 0, 0]);
    await body.cancel().catch(() => {});
  });

  test('sizes', () => {
    expect(['8388608', '512KiB', '8MiB', '8Mi', '1GiB', '64B', ' 2 mib '].map(parseByteSize)).toEqual([8388608, 524288, 8388608, 8388608, 1073741824, 64, 2097152]);
    expect(['0', '-1', '8MB', '1.5MiB', 'lots', ''].map(parseByteSize)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('watch byte budgets through the app', () => {
  test('a watch the client aborts while a replay page is on its way gives every byte back', async () => {
    const t = testApp();
    for (let i = 0; i < 50; i++) await t.call('POST', '/v1/agents', { metadata: { name: `a${i}` }, spec: { model_ref: 'm', prompt: 'x'.repeat(1000) } });
    const budget = t.core.watch.budget;
    for (let round = 0; round < 3; round++) {
      const ac = new AbortController();
      const res = await t.app.handle(new Request('http://localhost/v1/agents/watch', { signal: ac.signal }));
      const reader = res.body!.getReader();
      await reader.read(); // the opening comment
      await reader.read(); // the first page
      const pending = reader.read(); // the next page is read while the client goes away
      ac.abort();
      await pending.catch(() => {});
      await settled();
    }
    expect({ used: budget.used, streams: t.core.watch.streams }).toEqual({ used: 0, streams: 0 });
  });
});

describe('replay pages are sized by what the rows weigh', () => {
  test('a small object, then large ones: a reader gets the whole snapshot and the whole resume, never SlowConsumer', async () => {
    // A budget of 1 MiB (pages of 256 KiB): a page sized by the first, tiny object's frame would
    // read 500 rows of 100 KB at once and cut even a watcher that keeps up.
    const t = testApp({ watch: { bufferBytes: 1024 * 1024 } });
    const agent = (name: string, size: number) => ({ metadata: { name }, spec: { model_ref: 'm', prompt: 'x'.repeat(size) } });
    expect((await t.call('POST', '/v1/agents', agent('a-small', 10))).status).toBe(201);
    for (let i = 0; i < 40; i++) expect((await t.call('POST', '/v1/agents', agent(`big-${i}`, 100_000))).status).toBe(201);
    const names = ['a-small', ...Array.from({ length: 40 }, (_, i) => `big-${i}`)];
    for (const headers of [{}, { 'Last-Event-ID': '0' }] as Record<string, string>[]) {
      const w = new SseReader(await t.app.handle(new Request('http://localhost/v1/agents/watch', { headers })));
      const frames = await w.waitFor(41);
      await w.close();
      expect(frames.filter((f) => f.event === 'error')).toEqual([]);
      expect(frames.filter((f) => f.event === 'resource').map((f) => json(f).resource.metadata.name)).toEqual(names);
    }
  });
});
