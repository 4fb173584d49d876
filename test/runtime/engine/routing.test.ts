// Routing message by message through a graph: ids stay unique when a loop passes a join that was
// released at quiescence (shown at the unit level, since end to end the defect starves the process).
import { describe, expect, test } from 'bun:test';
import { newMessage } from '../../../src/runtime/engine/records';
import { route } from '../../../src/runtime/engine/routing';
import { arrive, sourceOf } from '../../../src/runtime/engine/joins';
import { joinSpec } from '../../../src/runtime/engine/graph';
import { settleIfQuiet } from '../../../src/runtime/engine/endings';

describe('loops through a join released at quiescence', () => {
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
