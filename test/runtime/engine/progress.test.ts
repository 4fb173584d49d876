// Live progress of an agent turn (a log line and an event per model or tool call) is best effort:
// a failing progress write never aborts the turn.
import { describe, expect, test } from 'bun:test';
import { worldPerTest } from './harness';

const { world: plainWorld } = worldPerTest();
/** Agents limited to one model or tool step per turn. */
const world = (answer: Parameters<typeof plainWorld>[0], agents: string[], graph: Record<string, unknown> = {}) => plainWorld(answer, agents, graph, { limits: { max_steps: 1 } });

describe('live progress', () => {
  // progress() runs inside TraceRecorder.add, in the middle of the agent loop: one failing log or
  // event write (SQLITE_BUSY after busy_timeout, say) throws out of runAgent, the turn is abandoned
  // after its model call, and the message is re-begun as a "resume" and its model called again.
  test('a failing progress write does not abort the agent turn', async () => {
    const { h, model } = await world((c) => `${c.agent} ok`, ['a']);
    const logs = h.engine.deps.logs as any;
    const original = logs.append.bind(logs);
    let thrown = 0;
    logs.append = (...args: any[]) => {
      if (thrown === 0 && String(args[3]).startsWith('agent step:')) {
        thrown++;
        throw new Error('database is locked');
      }
      return original(...args);
    };
    await h.apply('Task', 't', { system: 'sys' });
    const t: any = await h.settled('t', 5_000);
    expect(thrown).toBe(1);
    expect(t.status.phase).toBe('Succeeded');
    expect(model.byAgent('a').length).toBe(1);
    expect((t.status.trace as any[]).filter((r) => r.type === 'agent_message_resumed')).toEqual([]);
  });
});
