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
