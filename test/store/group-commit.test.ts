// Group commit on a real server process: the API writes that arrive in one turn of the event loop
// share one transaction, yet each gets its own revision and its own error, a write is readable
// once acknowledged, watchers see the writes in revision order, and no acknowledged write is lost
// when the process is killed.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer } from '../support/server-process';
import { testRegistry } from '../support/registry';
import { json, SseReader } from '../support/sse';

const work = mkdtempSync(join(tmpdir(), 'orrery-group-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const agent = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ metadata: { name, ...extra }, spec: { model_ref: 'm', prompt: `p-${name}` } });
const post = (url: string, body: string) => fetch(`${url}/v1/agents`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

test('64 concurrent applies: distinct revisions, readable when answered, watched in revision order; bad ones fail alone', async () => {
  const srv = await startServer(join(work, 'burst'), NO_WORKER);
  try {
    const w = new SseReader(await fetch(`${srv.url}/v1/agents/watch`));
    await post(srv.url, agent('seed'));
    await w.waitFor(1);
    const good = Array.from({ length: 64 }, (_, i) => `a${i}`);
    const answers = await Promise.all([
      ...good.map(async (name) => {
        const r = await post(srv.url, agent(name));
        const body = (await r.json()) as any;
        // Read-your-writes: acknowledged means committed and visible.
        const read = await fetch(`${srv.url}/v1/agents/${name}`);
        return { name, status: r.status, rv: body.metadata?.resourceVersion, read: read.status };
      }),
      // In the same burst: an invalid body and a stale resourceVersion, each with its own error.
      post(srv.url, JSON.stringify({ metadata: { name: 'bad' }, spec: { model_ref: 5 } })).then(async (r) => ({ name: 'bad', status: r.status, body: await r.json() })),
      post(srv.url, agent('seed', { resourceVersion: '999' })).then(async (r) => ({ name: 'stale', status: r.status, body: await r.json() })),
    ]);
    const ok = answers.filter((a) => good.includes(a.name)) as { name: string; status: number; rv: string; read: number }[];
    expect(ok.map((a) => [a.status, a.read])).toEqual(good.map(() => [201, 200]));
    const revisions = ok.map((a) => Number(a.rv));
    expect(new Set(revisions).size).toBe(64);
    const bad = answers.find((a) => a.name === 'bad') as any;
    expect([bad.status, bad.body.details.causes[0].field]).toEqual([400, 'spec.model_ref']);
    expect((answers.find((a) => a.name === 'stale') as any).status).toBe(409);

    const frames = (await w.waitFor(65)).slice(1);
    const ids = frames.map((f) => Number(f.id));
    expect(ids).toEqual([...revisions].sort((a, b) => a - b));
    expect(frames.map((f) => json(f).resource.metadata.resourceVersion)).toEqual(ids.map(String));
    await w.close();
  } finally {
    srv.proc.kill('SIGTERM');
    await srv.proc.exited;
  }
});

test('kill -9 during a stream of concurrent applies: every acknowledged write is there after a restart', async () => {
  const dir = join(work, 'crash');
  const srv = await startServer(dir, NO_WORKER);
  const acked = new Map<string, string>();
  let n = 0;
  let killed = false;
  const writer = async () => {
    while (!killed) {
      const name = `c${n++}`;
      const r = await post(srv.url, agent(name)).catch(() => undefined);
      if (r?.status === 201) acked.set(name, ((await r.json()) as any).metadata.resourceVersion);
    }
  };
  const writers = Array.from({ length: 32 }, writer);
  while (acked.size < 300) await Bun.sleep(5);
  srv.proc.kill('SIGKILL');
  killed = true;
  await srv.proc.exited;
  await Promise.all(writers);
  expect(acked.size).toBeGreaterThanOrEqual(300);

  const again = await startServer(dir, NO_WORKER);
  try {
    const lost: string[] = [];
    for (const [name, rv] of acked) {
      const r = await fetch(`${again.url}/v1/agents/${name}`);
      if (r.status !== 200 || ((await r.json()) as any).metadata.resourceVersion !== rv) lost.push(name);
    }
    expect(lost).toEqual([]);
  } finally {
    again.proc.kill('SIGTERM');
    await again.proc.exited;
  }
});

test('a write that nests registry writes: they publish only after its COMMIT; when it fails, nothing is stored or published', async () => {
  const { registry, store, kind } = testRegistry();
  const agents = kind('agents');
  const seen: string[] = [];
  registry.onCommit((c) => seen.push(c.object.metadata.name));
  const ok = store.write(async () => {
    await registry.apply(agents, { metadata: { name: 'kept' }, spec: { model_ref: 'm' } }, {});
    // Still inside the open transaction: not yet published.
    return [...seen];
  });
  const bad = store.write(async () => {
    await registry.apply(agents, { metadata: { name: 'undone' }, spec: { model_ref: 'm' } }, {});
    throw new Error('the hop failed after writing');
  });
  // Queued for this turn's group commit: nothing is committed or published yet.
  expect(seen).toEqual([]);
  expect(await ok).toEqual([]);
  expect(await bad.catch((e: Error) => e.message)).toBe('the hop failed after writing');
  expect(seen).toEqual(['kept']);
  expect(await registry.findDecoded(agents, 'default', 'kept')).toBeDefined();
  expect(await registry.findDecoded(agents, 'default', 'undone')).toBeUndefined();
});

test('writes of one turn share one transaction: a later write of the batch sees an earlier one, each has its own revision', async () => {
  const { registry, kind } = testRegistry();
  const agents = kind('agents');
  const [a, b] = await Promise.all([
    registry.apply(agents, { metadata: { name: 'a' }, spec: { model_ref: 'm' } }, {}),
    registry.apply(agents, { metadata: { name: 'b' }, spec: { model_ref: 'm' } }, {}),
  ]);
  expect([a.object.metadata.resourceVersion, b.object.metadata.resourceVersion]).toEqual(['1', '2']);
  expect(await registry.currentRevision()).toBe(2);
});

test('a write that makes SQLite drop the whole group transaction (a full disk) fails alone with its own error; nothing is stored outside a transaction', async () => {
  const { registry, kind, handle } = testRegistry();
  const agents = kind('agents');
  const pages = handle.sqlite.query<{ n: number }, []>('PRAGMA page_count').get() as unknown as Record<string, number>;
  handle.sqlite.run(`PRAGMA max_page_count = ${Object.values(pages)[0] + 40}`);
  const seen: string[] = [];
  registry.onCommit((c) => seen.push(c.object.metadata.name));
  const apply = (name: string, prompt = 'p') => registry.apply(agents, { metadata: { name }, spec: { model_ref: 'm', prompt } }, {});
  const outcomes = await Promise.allSettled([apply('small-1'), apply('big', 'x'.repeat(600_000)), apply('small-2')]);
  const big = outcomes[1];
  expect(big.status).toBe('rejected');
  expect((big as PromiseRejectedResult).reason.code).toBe(507);
  for (const [i, name] of [[0, 'small-1'], [2, 'small-2']] as const) {
    const o = outcomes[i];
    // Each small write either committed (and is there, and was published) or failed with the
    // disk's 507 — never a driver error, never stored while reported failed.
    const stored = !!(await registry.findDecoded(agents, 'default', name));
    if (o.status === 'fulfilled') expect([stored, seen.includes(name)]).toEqual([true, true]);
    else expect([(o as PromiseRejectedResult).reason.code, stored, seen.includes(name)]).toEqual([507, false, false]);
  }
  expect(await registry.findDecoded(agents, 'default', 'big')).toBeUndefined();
});
