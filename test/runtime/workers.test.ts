// Worker registration, heartbeats through the status path, and NotReady after 20 s of silence.
import { expect, test } from 'bun:test';
import { WorkerHealth, WorkerHeartbeat } from '../../src/runtime/workers';
import { testRegistry } from '../support/registry';

test('a worker registers, heartbeats, turns NotReady when silent and Ready when back', async () => {
  let now = new Date('2026-03-01T10:00:00Z');
  const clock = { now: () => now };
  const r = testRegistry(clock);
  const hb = new WorkerHeartbeat(r.registry, clock, { id: 'edge-1', region: 'home', gpu: false, models: ['llama3.1'], maxConcurrentTasks: 4 });
  const health = new WorkerHealth(r.registry, r.core.events, clock);
  const w = await hb.register();
  expect(w.status).toMatchObject({ phase: 'Pending', lastHeartbeat: '2026-03-01T10:00:00Z', currentTasks: 0 });
  await health.checkOnce();
  expect((await r.registry.getDecoded(r.kind('workers'), 'default', 'edge-1')).status.phase).toBe('Ready');
  const stored = (await r.registry.getDecoded(r.kind('workers'), 'default', 'edge-1'));
  expect(stored.spec).toEqual({ region: 'home', capabilities: { gpu: false, supported_models: ['llama3.1'] }, max_concurrent_tasks: 4 });

  now = new Date('2026-03-01T10:00:15Z');
  await health.checkOnce();
  expect((await r.registry.getDecoded(r.kind('workers'), 'default', 'edge-1')).status.phase).toBe('Ready');
  now = new Date('2026-03-01T10:00:25Z');
  await health.checkOnce();
  const silent = (await r.registry.getDecoded(r.kind('workers'), 'default', 'edge-1')).status;
  expect(silent).toMatchObject({ phase: 'NotReady', lastError: 'no heartbeat for 25s' });
  hb.current = 2;
  await hb.beat();
  await health.checkOnce();
  const back = (await r.registry.getDecoded(r.kind('workers'), 'default', 'edge-1')).status;
  expect(back).toMatchObject({ phase: 'Ready', currentTasks: 2 });
  expect(back.lastError).toBeUndefined();
  const types = (await r.core.eventLog.readAfter(0, 1_000, 100)).filter((e) => e.source === 'worker-controller').map((e) => e.type);
  expect(types).toEqual(['worker.ready', 'worker.not_ready', 'worker.ready']);
});
