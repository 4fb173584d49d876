// Lease takeover between two `orrery worker` processes on one data directory: a worker frozen
// mid-task loses its lease to another, which finishes the work; when the stale worker wakes up it
// cannot overwrite the new owner's progress.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startWorker } from '../../support/server-process';
import { api, applyPipeline, countingTool, holdingModel, tasks, until } from './durable-fakes';

const work = mkdtempSync(join(tmpdir(), 'orrery-takeover-'));
const model = holdingModel(5);
const tool = countingTool();
afterAll(async () => {
  await model.stop();
  await tool.stop();
  rmSync(work, { recursive: true, force: true });
});

const timing = { ORLOJ_TASK_LEASE_DURATION: '1500ms', ORLOJ_TASK_HEARTBEAT_INTERVAL: '300ms' };

const worker = (dir: string, id: string) => startWorker(dir, id, timing);

test('a lapsed lease is taken over and the stale worker is fenced out', async () => {
  const dir = join(work, 'data');
  const server = await startServer(dir, { env: { ...timing, ORLOJ_EMBEDDED_WORKER: 'false' } });
  const a = worker(dir, 'worker-a');
  let b: ReturnType<typeof worker> | undefined;
  try {
    await applyPipeline(server.url, model.url, tool.url);
    model.hold();
    for (const name of ['x1', 'x2']) await api(server.url, 'POST', '/v1/tasks', { metadata: { name }, spec: { system: 'pipe' } });
    await until(() => model.hanging === 2, 'worker-a to call the model for both tasks');
    const claimed = await tasks(server.url);
    expect(claimed.map((t) => t.status.claimedBy)).toEqual(['worker-a', 'worker-a']);
    // Freeze worker-a: its lease lapses while it holds the calls.
    a.proc.kill('SIGSTOP');
    model.answer();
    b = worker(dir, 'worker-b');
    await until(async () => (await tasks(server.url)).every((t) => t.status.phase === 'Succeeded'), 'worker-b to finish both tasks', 60_000);
    const done = await tasks(server.url);
    for (const t of done) {
      const takeover = t.status.history.find((x: any) => x.type === 'takeover');
      expect(takeover).toMatchObject({ worker: 'worker-b', message: 'worker lease expired; task reassigned from worker-a to worker-b' });
      expect(t.status.output.result).toBe('c done');
    }
    // Wake worker-a: it finds the tasks owned by someone else and stops without writing.
    a.proc.kill('SIGCONT');
    await until(() => (a.log().match(/task run stopped/g) ?? []).length === 2, 'worker-a to give both tasks up', 30_000);
    const after = await tasks(server.url);
    expect(after.map((t) => t.metadata.resourceVersion)).toEqual(done.map((t) => t.metadata.resourceVersion));
    expect(after.map((t) => t.status.phase)).toEqual(['Succeeded', 'Succeeded']);
    expect([...model.answered.values()].filter((n) => n > 1)).toEqual([]);
    const workers = (await api(server.url, 'GET', '/v1/workers')).items.map((w: any) => w.metadata.name);
    expect(workers).toEqual(['worker-a', 'worker-b']);
  } finally {
    a.proc.kill('SIGKILL');
    b?.proc.kill('SIGTERM');
    await b?.proc.exited;
    server.proc.kill('SIGTERM');
    await server.proc.exited;
  }
}, 120_000);
