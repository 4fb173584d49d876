// The graph drawing on shapes the blueprints do not cover: conditions, a delegator with edges
// after its delegates, two entry agents, an agent no route reaches, no graph at all.
import { expect, test } from 'bun:test';
import { nodeStates, renderGraph } from '../../../src/cli/ctl/graph-render';

test('conditions, delegation then edges, two entries, a join, an unreachable agent', () => {
  const system = {
    agents: ['triage', 'intake', 'lead', 'helper', 'escalate', 'answer', 'orphan'],
    graph: {
      triage: { edges: [{ to: 'escalate', condition: { output_contains: 'urgent' } }, { to: 'answer', condition: { default: true } }] },
      intake: { next: 'lead' },
      lead: { delegates: [{ to: 'helper' }], edges: [{ to: 'answer' }] },
      answer: { join: { mode: 'wait_for_all' } },
      orphan: { next: 'orphan' },
    },
  };
  expect(renderGraph(system)).toBe(
    [
      'triage',
      '├─→ escalate [output_contains="urgent"]',
      '└─→ answer (join wait_for_all) [default]',
      'intake',
      '└─→ lead',
      '   ├─⇢ delegate helper',
      '   └─→ answer (above)',
      'orphan (unreachable)',
      '└─↺ back to orphan',
      '',
    ].join('\n'),
  );
});

test('without a graph the agents run in order', () => {
  expect(renderGraph({ agents: ['a', 'b', 'c'] })).toBe('a\n└─→ b\n   └─→ c\n');
});

test('node states: the newest message of an agent wins, a dead letter sticks', () => {
  const task = {
    status: {
      messages: [
        { to_agent: 'a', phase: 'Succeeded' },
        { to_agent: 'B', phase: 'DeadLetter' },
        { to_agent: 'b', phase: 'Succeeded' },
        { to_agent: 'c', phase: 'Queued' },
        { to_agent: 'd', phase: 'RetryPending' },
        { to_agent: 'e', phase: 'WaitingApproval' },
      ],
    },
  };
  expect(Object.fromEntries(nodeStates(task))).toEqual({ a: 'Succeeded', b: 'Failed', c: 'Pending', d: 'Running', e: 'WaitingApproval' });
});
