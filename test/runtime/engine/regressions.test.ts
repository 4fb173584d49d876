// Regression tests for defects a review of the engine found: duplicate ids through released joins,
// delegation and max_turns, trimmed records, delegate branches, journals, env secrets, failures.
import { afterEach, describe, expect, test } from 'bun:test';
import { cancelTask } from '../../../src/runtime/engine/cancel';
import { CAPS, newMessage } from '../../../src/runtime/engine/records';
import { route } from '../../../src/runtime/engine/routing';
import { arrive, sourceOf } from '../../../src/runtime/engine/joins';
import { joinSpec } from '../../../src/runtime/engine/graph';
import { settleIfQuiet } from '../../../src/runtime/engine/endings';
import { systemClock } from '../../../src/util/time';
import { Resolver } from '../../../src/runtime/engine/resolve';
import { testRegistry } from '../../support/registry';
import { worldPerTest } from './harness';

const { world: plainWorld } = worldPerTest();
const world = (answer: Parameters<typeof plainWorld>[0], agents: string[], graph: Record<string, unknown> = {}) => plainWorld(answer, agents, graph, { limits: { max_steps: 1 } });

describe('review: loops through a join released at quiescence', () => {
  // a -> b (only b's condition matches) -> j (wait_for_all over b and c, released at quiescence
  // because c never fires) -> a, with max_turns. The release id has no /hNNN/ segment, so hopOf()
  // reads 1 and j's hand-off restarts at hop 2 every iteration: iteration 2 mints the same id as
  // iteration 1. Run end to end, the copy is never processed (findMessage returns the old terminal
  // record), TaskRun.loop relaunches it forever through microtasks only, and the whole process
  // starves (timers, HTTP, heartbeats) -- so this is shown at the unit level instead.
  test('two iterations through a released join mint distinct message ids', () => {
    const system = {
      agents: ['a', 'b', 'c', 'j'],
      graph: {
        a: { edges: [{ to: 'b', condition: { output_contains: 'B' } }, { to: 'c', condition: { output_contains: 'C' } }] },
        b: { next: 'j' },
        c: { next: 'j' },
        j: { next: 'a' },
      },
    };
    const ctx = { namespace: 'default', name: 't', attempt: 1, system: 'sys', maxAttempts: 1, now: new Date().toISOString() };
    const s: any = { phase: 'Running', attempts: 1, messages: [] };
    const seen: string[] = [];
    let parent: any = newMessage(ctx, { from: 'system', to: 'a', type: 'task_start', content: 'go', branch: 'b001' });
    s.messages.push(parent);
    for (let iteration = 0; iteration < 2; iteration++) {
      // a -> b -> j(wait) along the graph
      for (const out of ['route B', 'b done']) {
        parent.phase = 'Succeeded';
        const { next } = route(s, ctx, system, parent, out, 0);
        expect(next).toHaveLength(1);
        parent = next[0];
        s.messages.push(parent);
      }
      // j's arrival waits; quiescence releases the join
      arrive(s, 'join_states', 1, 'j', joinSpec(system, 'j'), sourceOf(parent, ctx.now), ctx.now);
      parent.phase = 'Succeeded';
      settleIfQuiet(s, ctx, 'w1');
      const release = s.messages[s.messages.length - 1];
      expect(release.type).toBe('join_release');
      release.phase = 'Succeeded';
      const { next } = route(s, ctx, system, release, 'j done', 0);
      parent = next[0];
      s.messages.push(parent);
      seen.push(parent.message_id);
    }
    expect(seen[1]).not.toBe(seen[0]); // both are default/t/a001/b001/h002/j/a
  });
});

describe('review: max_turns on delegation cycles', () => {
  // d delegates to e and e delegates to d: findCycle sees the cycle and requires max_turns, but
  // route() dispatches delegates before it checks max_turns, so the loop never stops.
  test('mutual delegation stops at max_turns', async () => {
    const { h, model } = world((c) => `${c.agent} says hi`, ['d', 'e'], { d: { delegates: [{ to: 'e' }] }, e: { delegates: [{ to: 'd' }] } });
    h.apply('Task', 't', { system: 'sys', max_turns: 4 });
    try {
      const t = await h.settled('t', 3_000);
      expect(t.status!.phase).not.toBe('Running');
    } finally {
      // Bounded by max_turns, a handful of calls; the defect makes hundreds.
      expect(model.calls.length).toBeLessThan(20);
    }
  });
});

describe('review: max_turns counted from capped records', () => {
  // turnsOnPath counts retained message records; addMessages drops the oldest finished ones beyond
  // CAPS.messages, so a max_turns above what the cap keeps is never reached (shown with a small cap).
  test('a two-node loop stops at max_turns even when old messages are trimmed', async () => {
    const saved = CAPS.messages;
    CAPS.messages = 8;
    try {
      const { h, model } = world((c) => `${c.agent} turn`, ['a', 'b'], { a: { next: 'b' }, b: { next: 'a' } });
      h.apply('Task', 't', { system: 'sys', max_turns: 12 });
      try {
        const t = await h.settled('t', 3_000);
        expect(t.status!.phase).toBe('Succeeded');
      } finally {
        expect(model.calls.length).toBeLessThanOrEqual(12);
      }
    } finally {
      CAPS.messages = saved;
    }
  });
});

describe('review: delegate branch with more than one terminal point', () => {
  // d delegates to x; x fans out to y and z (both terminal), so two delegation_returns come back to
  // a gate that expects one: the second opens a new round and d reviews (and forwards) twice.
  test('the delegator reviews once and its edges fire once', async () => {
    const { h, model } = world((c) => `${c.agent} ok`, ['d', 'x', 'y', 'z', 'p'], {
      d: { delegates: [{ to: 'x' }], edges: [{ to: 'p' }] },
      x: { edges: [{ to: 'y' }, { to: 'z' }] },
    });
    h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('d').length).toBe(2); // dispatch + one review
    expect(model.byAgent('p').length).toBe(1);
  });
});

describe('review: journal cleanup', () => {
  test('cancelling a running task drops its step journal', async () => {
    const { h, model } = world((c) => (c.agent === 'b' ? 'hang' : 'a done'), ['a', 'b'], { a: { next: 'b' } });
    const task = h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.byAgent('b').length === 1, 'b to be called');
    expect(h.engine.deps.journal.count(task.metadata.uid)).toBeGreaterThan(0);
    cancelTask(h.r.registry, h.r.core.events, systemClock, 'default', 't');
    await h.waitFor(() => h!.engine.worker.running === 0, 'the run to stop');
    expect(h.engine.deps.journal.count(task.metadata.uid)).toBe(0);
  });
});

describe('review: failure upstream of a tolerant join', () => {
  // a fans out to b and c, which join at d (on_failure skip). When a itself fails, d is told of one
  // failed source out of two, never fires, and the task ends Succeeded with no result and no error.
  test('an entry agent that dead-letters does not end the task Succeeded', async () => {
    const { h } = world((c) => (c.agent === 'a' ? { status: 400 } : `${c.agent} ok`), ['a', 'b', 'c', 'd'], {
      a: { edges: [{ to: 'b' }, { to: 'c' }] },
      b: { next: 'd' },
      c: { next: 'd' },
      d: { join: { mode: 'wait_for_all', on_failure: 'skip' } },
    });
    h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).not.toBe('Succeeded');
  });
});

describe('review: secretRef environment fallback', () => {
  // Resolver.apiKey falls back to ORLOJ_SECRET_<REF>, then <REF> and the raw ref: anyone who may write
  // a ModelEndpoint can name a server variable (the at-rest key, the admin token) as its secretRef and
  // point base_url at a host of their choosing; the value leaves as the Authorization header.
  test('server configuration variables are not readable as model API keys', () => {
    const r = testRegistry(systemClock);
    try {
      const resolver = new Resolver(r.registry, { ORLOJ_SECRET_ENCRYPTION_KEY: 'at-rest-key', ORLOJ_API_TOKEN: 'admin-token', ORLOJ_SECRET_OPENAI: 'sk-ok' });
      expect(resolver.apiKey('default', 'openai')).toBe('sk-ok');
      expect(resolver.apiKey('default', 'ORLOJ_API_TOKEN')).toBeUndefined();
      expect(resolver.apiKey('default', 'encryption-key')).toBeUndefined();
    } finally {
      r.close();
    }
  });
});

describe('review: delegation edge cases', () => {
  // delegate_join.on_failure is validated but fail() only looks at edge joins downstream of the
  // failed node, so a failing delegate always ends the task.
  test('delegate_join on_failure skip: the delegator reviews the delegates that succeeded', async () => {
    const { h, model } = world((c) => (c.agent === 'y' ? { status: 400 } : `${c.agent} ok`), ['d', 'x', 'y'], {
      d: { delegates: [{ to: 'x' }, { to: 'y' }], delegate_join: { mode: 'wait_for_all', on_failure: 'skip' } },
    });
    h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('d').length).toBe(2);
  });

  // Inside a delegate branch, a join released at quiescence runs from a join_release message that
  // carries no delegate_of, so the branch never returns to its delegator: the delegator never
  // reviews and its edges never fire, yet the task ends Succeeded.
  test('a released join inside a delegate branch still returns to the delegator', async () => {
    const { h, model } = world((c) => (c.agent === 'a' ? 'route B' : `${c.agent} ok`), ['d', 'a', 'b', 'c', 'j', 'p'], {
      d: { delegates: [{ to: 'a' }], edges: [{ to: 'p' }] },
      a: { edges: [{ to: 'b', condition: { output_contains: 'B' } }, { to: 'c', condition: { output_contains: 'C' } }] },
      b: { next: 'j' },
      c: { next: 'j' },
    });
    h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('p').length).toBe(1);
  });
});

describe('review: messages begun in the write that creates them', () => {
  const traceOf = (t: any, type: string) => (t.status.trace as any[]).filter((r) => r.type === type);

  // Fan-out beyond branchConcurrency: the pre-begun messages past the limit wait Running and are
  // still processed once each, without a begin write and without a resume.
  test('a fan-out wider than branchConcurrency processes every branch once', async () => {
    const { h, model } = world((c) => `${c.agent} ok`, ['a', 'b', 'c', 'd'], { a: { edges: [{ to: 'b' }, { to: 'c' }, { to: 'd' }] } });
    (h.engine.deps as any).branchConcurrency = 1;
    h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    for (const a of ['a', 'b', 'c', 'd']) expect(model.byAgent(a).length).toBe(1);
    expect(traceOf(t, 'agent_message_resumed')).toEqual([]);
    expect(traceOf(t, 'agent_message_received').length).toBe(4);
  });

  // The creating write loses a compare-and-swap once (409): fenced() re-runs the mutation, the ids
  // collected by the discarded run are dropped, and the message is still processed exactly once.
  test('a 409 on the creating write neither loses nor doubles the pre-begun message', async () => {
    const { Conflict } = await import('../../../src/errors');
    const { h, model } = world((c) => `${c.agent} ok`, ['a', 'b'], { a: { next: 'b' } });
    const reg = h.engine.deps.registry as any;
    const original = reg.replaceStatus.bind(reg);
    let conflicts = 0;
    reg.replaceStatus = (...args: any[]) => {
      const msgs: any[] = args[3]?.status?.messages ?? [];
      if (conflicts === 0 && msgs.some((m) => m.to_agent === 'b' && m.phase === 'Running')) {
        conflicts++;
        throw new Conflict('simulated concurrent write');
      }
      return original(...args);
    };
    h.apply('Task', 't', { system: 'sys' });
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
    const { h, model } = world((c) => (c.agent === 'b' && hold ? 'hang' : `${c.agent} ok`), ['a', 'b', 'c'], { a: { edges: [{ to: 'b' }, { to: 'c' }] } });
    (h.engine.deps as any).branchConcurrency = 1;
    h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.byAgent('b').length === 1, 'b to be called');
    await h.engine.stop();
    const mid: any = h.task('t');
    const c = mid.status.messages.find((m: any) => m.to_agent === 'c');
    expect(model.byAgent('c').length).toBe(0);
    expect(c).toMatchObject({ phase: 'Queued', attempts: 0 }); // no free branch slot: not begun yet
    hold = false;
    const again = startEngine({
      core: h.r.core,
      handle: h.r.handle,
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

describe('review: batch claims', () => {
  // claimDue writes each claim as it goes; when a later claim throws (any error that is not a 409),
  // the tasks already claimed in the batch are lost to the caller: Running, leased to this worker,
  // and run by nobody until the lease lapses.
  test('a failing claim in the middle of a batch does not strand the claims before it', async () => {
    const { TaskLeases } = await import('../../../src/runtime/leases');
    const r = testRegistry(systemClock);
    try {
      const tasks = r.kind('tasks');
      for (const name of ['t1', 't2']) r.registry.apply(tasks, { metadata: { name }, spec: { system: 's' } }, {});
      const reg = r.registry as any;
      const original = reg.replaceStatus.bind(reg);
      reg.replaceStatus = (...args: any[]) => {
        if (args[2] === 't2') throw new Error('SQLITE_BUSY: database is locked');
        return original(...args);
      };
      const leases = new TaskLeases(r.registry, systemClock, 30_000);
      let got: string[] = [];
      try {
        got = leases.claimDue({ id: 'w' }, 2).map((t) => t.metadata.name);
      } catch {
        // the worker's tick logs 'task claim failed' and launches nothing
      }
      const t1 = r.registry.getDecoded(tasks, 'default', 't1');
      if (t1.status?.phase === 'Running') expect(got).toContain('t1');
    } finally {
      r.close();
    }
  });
});

describe('review: live progress', () => {
  // progress() runs inside TraceRecorder.add, in the middle of the agent loop: one failing log or
  // event write (SQLITE_BUSY after busy_timeout, say) throws out of runAgent, the turn is abandoned
  // after its model call, and the message is re-begun as a "resume" and its model called again.
  test('a failing progress write does not abort the agent turn', async () => {
    const { h, model } = world((c) => `${c.agent} ok`, ['a']);
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
    h.apply('Task', 't', { system: 'sys' });
    const t: any = await h.settled('t', 5_000);
    expect(thrown).toBe(1);
    expect(t.status.phase).toBe('Succeeded');
    expect(model.byAgent('a').length).toBe(1);
    expect((t.status.trace as any[]).filter((r) => r.type === 'agent_message_resumed')).toEqual([]);
  });
});

describe('review: the Task phase index', () => {
  test('claims still work on a database whose phase index was dropped', async () => {
    const { TaskLeases } = await import('../../../src/runtime/leases');
    const r = testRegistry(systemClock);
    try {
      r.registry.apply(r.kind('tasks'), { metadata: { name: 't' }, spec: { system: 's' } }, {});
      r.handle.sqlite.exec('DROP INDEX resources_task_phase');
      expect(new TaskLeases(r.registry, systemClock).claimNextDue({ id: 'w' })?.metadata.name).toBe('t');
    } finally {
      r.close();
    }
  });
});
