// cancelTask against the real registry: a write that races the cancel makes it re-read and try
// again (so the racing change is kept and cancelled too); five lost races give up with 409.
import { describe, expect, test } from 'bun:test';
import { ApiError } from '../../src/errors';
import { cancelTask } from '../../src/runtime/engine/cancel';
import { testRegistry } from '../support/registry';
import { TEST_STORE } from '../support/backend';

const NOW = new Date('2026-05-06T07:08:09.123Z');

async function setup() {
  const r = testRegistry();
  const tasks = r.kind('tasks');
  await r.registry.apply(tasks, { metadata: { name: 'job' }, spec: { system: 'pipeline' } }, {});
  const queued = (id: string) => ({ message_id: id, from_agent: 'a', to_agent: 'b', phase: 'Queued', attempts: 0 });
  let writes = 0;
  const interfering: Promise<unknown>[] = [];
  /**
   * A status write by someone else (the engine adding a message), unconditionally. It is queued at
   * once (the clock cannot wait), ahead of the cancel's own write, and reads the status inside it.
   */
  const interfere = () => {
    const n = ++writes;
    interfering.push(r.registry.updateStatus(tasks, 'default', 'job', (cur) => ({ ...cur.status, phase: 'Running', messages: [...cur.status.messages, queued(`m${n}`)] })));
  };
  /** Every interfering write, settled (each must have been stored). */
  const interfered = () => Promise.all(interfering);
  const cancelledEvents = async () => (await r.core.eventLog.readAfter(0, await r.core.eventLog.lastId(), 1000)).filter((e) => e.type === 'task.cancelled');
  return { ...r, tasks, interfere, interfered, writes: () => writes, cancelledEvents };
}

describe('cancelTask', () => {
  // Stages the race through the order of SQLite's write queue (see the next test).
  test.skipIf(TEST_STORE === 'postgres')('a concurrent write makes it re-read and retry; the racing change is cancelled too', async () => {
    const ctx = await setup();
    let calls = 0;
    // The clock is read between the read and the write of each attempt: race the first one.
    const racingClock = { now: () => (calls++ === 0 && ctx.interfere(), NOW) };
    const task = await cancelTask(ctx.registry, ctx.core.events, racingClock, 'default', 'job', 'ops');
    await ctx.interfered();
    expect(ctx.writes()).toBe(1);
    expect(calls).toBe(2);
    expect(task.status.phase).toBe('Failed');
    expect(task.status.messages).toEqual([{ message_id: 'm1', from_agent: 'a', to_agent: 'b', phase: 'DeadLetter', attempts: 0, last_error: 'cancelled' }]);
    expect(task.status.history).toEqual([{ timestamp: '2026-05-06T07:08:09Z', type: 'cancelled', worker: 'ops', message: 'task cancelled by ops while Running' }]);
    expect((await ctx.cancelledEvents()).map((e) => [e.message, e.data])).toEqual([['task default/job cancelled by ops', { phase: 'Failed', lastError: 'cancelled' }]]);
  });

  // Stages the race through the order of SQLite's write queue; on PostgreSQL the version check itself is covered by test/store/contract.test.ts.
  test.skipIf(TEST_STORE === 'postgres')('losing five races in a row gives up with the Conflict and publishes nothing', async () => {
    const ctx = await setup();
    const alwaysRacing = { now: () => (ctx.interfere(), NOW) };
    let error: unknown;
    try {
      await cancelTask(ctx.registry, ctx.core.events, alwaysRacing, 'default', 'job');
    } catch (e) {
      error = e;
    }
    await ctx.interfered();
    expect(error).toBeInstanceOf(ApiError);
    expect([(error as ApiError).code, (error as ApiError).reason]).toEqual([409, 'Conflict']);
    expect(ctx.writes()).toBe(5);
    expect((await ctx.registry.get(ctx.tasks, 'default', 'job')).status.phase).toBe('Running');
    expect(await ctx.cancelledEvents()).toEqual([]);
  });
});
