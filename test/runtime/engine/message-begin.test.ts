// Messages begun in the same write that creates them: fan-outs wider than branchConcurrency, a
// 409 on the creating write, and a graceful stop before a queued message ever ran.
import { describe, expect, test } from 'bun:test';
import { systemClock } from '../../../src/util/time';
import { worldPerTest } from './harness';

const { world: plainWorld } = worldPerTest();
/** Agents limited to one model or tool step per turn. */
const world = (answer: Parameters<typeof plainWorld>[0], agents: string[], graph: Record<string, unknown> = {}) => plainWorld(answer, agents, graph, { limits: { max_steps: 1 } });

describe('messages begun in the write that creates them', () => {
  const traceOf = (t: any, type: string) => (t.status.trace as any[]).filter((r) => r.type === type);

  // Fan-out beyond branchConcurrency: the pre-begun messages past the limit wait Running and are
  // still processed once each, without a begin write and without a resume.
  test('a fan-out wider than branchConcurrency processes every branch once', async () => {
    const { h, model } = await world((c) => `${c.agent} ok`, ['a', 'b', 'c', 'd'], { a: { edges: [{ to: 'b' }, { to: 'c' }, { to: 'd' }] } });
    (h.engine.deps as any).branchConcurrency = 1;
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    for (const a of ['a', 'b', 'c', 'd']) expect(model.byAgent(a).length).toBe(1);
    expect(traceOf(t, 'agent_message_resumed')).toEqual([]);
    expect(traceOf(t, 'agent_message_received').length).toBe(4);
  });

  // The creating write loses a compare-and-swap once (409): fenced() re-runs the mutation, the ids
  // collected by the discarded run are dropped, and the message is still processed exactly once.
  test('a 409 on the creating write neither loses nor doubles the pre-begun message', async () => {
    const { h, model } = await world((c) => `${c.agent} ok`, ['a', 'b'], { a: { next: 'b' } });
    const reg = h.engine.deps.registry as any;
    const original = reg.writeStatusDelta.bind(reg);
    let conflicts = 0;
    // The engine's writes carry the messages that changed; undefined is a lost compare-and-swap.
    reg.writeStatusDelta = (...args: any[]) => {
      const msgs: any[] = (args[5] ?? []).flatMap((d: any) => (d.field === 'messages' ? (d.upsert ?? []).map((u: any) => u.value) : []));
      if (conflicts === 0 && msgs.some((m) => m.to_agent === 'b' && m.phase === 'Running')) {
        conflicts++;
        return undefined;
      }
      return original(...args);
    };
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(conflicts).toBe(1);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('b').length).toBe(1);
    expect(traceOf(t, 'agent_message_resumed')).toEqual([]);
  });

  // A pre-begun message queued behind branchConcurrency when the worker stops (gracefully) never
  // started, yet it is left Running with attempts 1 and the next run counts it as a resume
  // ("resume 1 of 3"): one of its MAX_RESUMES is spent before it ever ran. Before pre-begin it was
  // left Queued and began fresh.
  test('a queued pre-begun message that never ran is not counted as resumed', async () => {
    const { startEngine } = await import('../../../src/runtime/engine');
    const { createLogger } = await import('../../../src/log');
    let hold = true;
    const { h, model } = await world((c) => (c.agent === 'b' && hold ? 'hang' : `${c.agent} ok`), ['a', 'b', 'c'], { a: { edges: [{ to: 'b' }, { to: 'c' }] } });
    (h.engine.deps as any).branchConcurrency = 1;
    await h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.byAgent('b').length === 1, 'b to be called');
    await h.engine.stop();
    const mid: any = await h.task('t');
    const c = mid.status.messages.find((m: any) => m.to_agent === 'c');
    expect(model.byAgent('c').length).toBe(0);
    expect(c).toMatchObject({ phase: 'Queued', attempts: 0 }); // no free branch slot: not begun yet
    hold = false;
    const again = await startEngine({
      core: h.r.core,
      clock: systemClock,
      log: createLogger('error'),
      logs: h.logs,
      env: {},
      config: { workerId: 'w1', gpu: false, models: [], maxConcurrentTasks: 4, leaseMs: 30_000, heartbeatMs: 10_000, egressPrivate: 'allow' },
    });
    try {
      const t: any = await h.settled('t', 5_000);
      expect(t.status.phase).toBe('Succeeded');
      const resumedC = traceOf(t, 'agent_message_resumed').filter((r) => r.agent === 'c');
      expect(resumedC).toEqual([]);
    } finally {
      await again.stop();
    }
  });
});
