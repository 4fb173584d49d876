// The composition both processes share (src/core.ts): a task's step journal is dropped once per
// commit that ends or deletes the task, whether the process runs an engine or not. Serve used to
// register the cleanup twice (the server and the engine each did).
import { afterEach, describe, expect, test } from 'bun:test';
import { systemClock } from '../src/util/time';
import { startHarness, type Harness } from './runtime/engine/harness';
import { testRegistry } from './support/registry';

type Registry = ReturnType<typeof testRegistry>;

/** Counts the journal drops of each task (the spy still drops). */
function countDrops(r: Registry): Map<string, number> {
  const drops = new Map<string, number>();
  const journal = r.core.journal;
  const drop = journal.drop.bind(journal);
  journal.drop = async (uid) => {
    drops.set(uid, (drops.get(uid) ?? 0) + 1);
    await drop(uid);
  };
  return drops;
}

/** A task no engine of these tests claims (it asks for a GPU), ended and deleted by hand. */
async function endThenDelete(r: Registry, drops: Map<string, number>) {
  const task = (await r.registry.apply(r.kind('tasks'), { metadata: { name: 'gpu-job' }, spec: { system: 'sys', requirements: { gpu: true } } }, {})).object;
  const uid = task.metadata.uid;
  await r.core.journal.putIfAbsent(uid, 'm01', '"recorded"');
  await r.registry.replaceStatus(r.kind('tasks'), 'default', 'gpu-job', { status: { phase: 'Running' } }, '*');
  expect({ drops: drops.get(uid) ?? 0, rows: await r.core.journal.count(uid) }).toEqual({ drops: 0, rows: 1 });
  await r.registry.replaceStatus(r.kind('tasks'), 'default', 'gpu-job', { status: { phase: 'Succeeded' } }, '*');
  expect({ drops: drops.get(uid), rows: await r.core.journal.count(uid) }).toEqual({ drops: 1, rows: 0 });
  await r.registry.delete(r.kind('tasks'), 'default', 'gpu-job');
  expect(drops.get(uid)).toBe(2);
}

describe('journal cleanup, once per process', () => {
  let h: Harness | undefined;
  let r: Registry | undefined;
  afterEach(async () => {
    await h?.close();
    r?.close();
    h = r = undefined;
  });

  test('serve without an embedded worker: the core alone drops the journal of a finished task', async () => {
    r = testRegistry(systemClock);
    await endThenDelete(r, countDrops(r));
  });

  test('serve with its embedded worker, and `orrery worker`: starting the engine adds no second cleanup', async () => {
    h = await startHarness({ gpu: false });
    const drops = countDrops(h.r);
    await endThenDelete(h.r, drops);
  });
});
