// Resume across a server restart on the same data directory, and watches that see writes made
// by another process (an `orrery worker`) on the same database — with real processes.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kindOf, manifestsUnder } from '../support/manifests';
import { NO_WORKER, startServer, startWorker } from '../support/server-process';
import { json, SseReader } from '../support/sse';

const work = mkdtempSync(join(tmpdir(), 'orrery-watch-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const apply = (url: string, name: string, model: string) =>
  fetch(`${url}/v1/agents`, { method: 'POST', body: JSON.stringify({ metadata: { name }, spec: { model_ref: model } }), headers: { 'content-type': 'application/json' } });

test('a client that resumes after a restart receives exactly the 500 changes it missed, in order', async () => {
  const dir = join(work, 'restart');
  const first = await startServer(dir, NO_WORKER);
  await apply(first.url, 'seed', 'm');
  const w = new SseReader(await fetch(`${first.url}/v1/agents/watch`));
  const [seed] = await w.waitFor(1);
  await w.close();
  for (let i = 0; i < 500; i++) expect((await apply(first.url, `n${i % 25}`, `m${i}`)).ok).toBe(true);
  first.proc.kill('SIGTERM');
  expect(await first.proc.exited).toBe(0);

  const second = await startServer(dir, NO_WORKER);
  const again = new SseReader(await fetch(`${second.url}/v1/agents/watch`, { headers: { 'Last-Event-ID': seed.id! } }));
  const events = new SseReader(await fetch(`${second.url}/v1/events/watch?since=490`));
  const frames = await again.waitFor(500);
  expect(frames.map((f) => Number(f.id))).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
  expect(frames.map((f) => json(f).resource.spec.model_ref)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  expect((await events.waitFor(11)).map((f) => Number(f.id))).toEqual(Array.from({ length: 11 }, (_, i) => i + 491));
  await apply(second.url, 'after-restart', 'm');
  expect(json((await again.waitFor(501))[500]).resource.metadata).toMatchObject({ name: 'after-restart', resourceVersion: '502' });
  await again.close();
  await events.close();
  // Open streams must not hold up a graceful stop.
  const lingering = new SseReader(await fetch(`${second.url}/v1/agents/watch`));
  await lingering.waitFor(1);
  second.proc.kill('SIGTERM');
  expect(await second.proc.exited).toBe(0);
  await lingering.waitUntil(() => lingering.ended);
});

test('a watch sees writes committed by another process on the same database', async () => {
  const dir = join(work, 'two-processes');
  const server = await startServer(dir, NO_WORKER);
  const worker = startWorker(dir, 'other-process');
  try {
    // An empty collection: the stream must still open at once (headers flushed, no data yet).
    const w = new SseReader(await fetch(`${server.url}/v1/tasks/watch`));
    const ev = new SseReader(await fetch(`${server.url}/v1/events/watch?kind=Task&type=task.succeeded`));
    const docs = manifestsUnder(join(import.meta.dir, '../../examples/blueprints/pipeline'));
    for (const doc of docs) {
      const r = await fetch(`${server.url}/v1/${kindOf(doc.manifest)!.plural}`, { method: 'POST', body: doc.text, headers: { 'content-type': 'application/yaml' } });
      expect(r.status).toBe(201);
    }
    // Every later write of the task is the worker process's; the server's watches see each one.
    const resources = () => w.data.filter((f) => f.event === 'resource');
    await w.waitUntil(() => resources().some((f) => json(f).resource.status?.phase === 'Succeeded'), 30_000);
    const frames = resources();
    expect(frames.map((f) => json(f).resource.status?.phase ?? 'Pending')).toEqual([
      'Pending',
      ...Array(frames.length - 2).fill('Running'),
      'Succeeded',
    ]);
    expect(new Set(frames.slice(1, -1).map((f) => json(f).resource.status.claimedBy))).toEqual(new Set(['other-process']));
    const ids = frames.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const [done] = await ev.waitFor(1);
    expect(json(done)).toMatchObject({ kind: 'Task', name: 'pipeline-brief', type: 'task.succeeded', data: { claimedBy: 'other-process' } });
    await w.close();
    await ev.close();
  } finally {
    worker.proc.kill('SIGTERM');
    expect(await worker.proc.exited).toBe(0);
    server.proc.kill('SIGTERM');
    expect(await server.proc.exited).toBe(0);
  }
});

test('a watcher that stopped reading does not hold up a graceful stop', async () => {
  const srv = await startServer(join(work, 'stalled'), NO_WORKER);
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 4000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => fetch(`${srv.url}/v1/agents`, { method: 'POST', body: JSON.stringify({ metadata: { name: `a${i + j}` }, spec: { model_ref: 'm', prompt: big } }), headers: { 'content-type': 'application/json' } })));
  }
  // Start a full replay (about 10 MB) and never read it.
  const res = await fetch(`${srv.url}/v1/agents/watch`, { headers: { 'Last-Event-ID': '1' } });
  expect(res.status).toBe(200);
  // Without the grace period this never exits and the test times out.
  srv.proc.kill('SIGTERM');
  expect(await srv.proc.exited).toBe(0);
  await res.body?.cancel().catch(() => {});
});
