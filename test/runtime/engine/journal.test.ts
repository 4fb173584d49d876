// The engine's step journal over a task's life: a cancelled task leaves no journal behind.
import { describe, expect, test } from 'bun:test';
import { cancelTask } from '../../../src/runtime/engine/cancel';
import { systemClock } from '../../../src/util/time';
import { worldPerTest } from './harness';

const { world: plainWorld } = worldPerTest();
/** Agents limited to one model or tool step per turn. */
const world = (answer: Parameters<typeof plainWorld>[0], agents: string[], graph: Record<string, unknown> = {}) => plainWorld(answer, agents, graph, { limits: { max_steps: 1 } });

describe('journal cleanup', () => {
  test('cancelling a running task drops its step journal', async () => {
    const { h, model } = await world((c) => (c.agent === 'b' ? 'hang' : 'a done'), ['a', 'b'], { a: { next: 'b' } });
    const task = await h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.byAgent('b').length === 1, 'b to be called');
    expect(await h.engine.deps.journal.count(task.metadata.uid)).toBeGreaterThan(0);
    await cancelTask(h.r.registry, h.r.core.events, systemClock, 'default', 't');
    await h.waitFor(() => h!.engine.worker.running === 0, 'the run to stop');
    expect(await h.engine.deps.journal.count(task.metadata.uid)).toBe(0);
  });
});
