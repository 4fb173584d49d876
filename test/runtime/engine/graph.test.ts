// AgentSystem graph queries: routes, predecessors, entries, cycles, route selection, joins,
// downstream joins and task-time validation, including the example graphs of the runtime notes.
import { describe, expect, test } from 'bun:test';
import { delegateJoinSpec, delegatesOf, entryAgents, findCycle, hasCycle } from '../../../src/runtime/engine/graph';
import { joinSpec, predecessors, routesOf, selectRoutes, validateSystem, type SystemSpec } from '../../../src/runtime/engine/graph';

const pipeline: SystemSpec = {
  agents: ['intake', 'analyst', 'reporter'],
  graph: { intake: { edges: [{ to: 'analyst' }] }, analyst: { next: 'reporter' } },
};
const hierarchical: SystemSpec = {
  agents: ['director', 'lead-a', 'lead-b', 'worker-a', 'worker-b', 'assembler'],
  graph: {
    director: { edges: [{ to: 'lead-a' }, { to: 'lead-b' }] },
    'lead-a': { edges: [{ to: 'worker-a' }] },
    'lead-b': { edges: [{ to: 'worker-b' }] },
    'worker-a': { edges: [{ to: 'assembler' }] },
    'worker-b': { edges: [{ to: 'assembler' }] },
    assembler: { join: { mode: 'wait_for_all' } },
  },
};
const quorum: SystemSpec = {
  agents: ['splitter', 'probe-1', 'probe-2', 'probe-3', 'judge'],
  graph: {
    splitter: { edges: [{ to: 'probe-1' }, { to: 'probe-2' }, { to: 'probe-3' }] },
    'probe-1': { next: 'judge' },
    'probe-2': { next: 'judge' },
    'probe-3': { next: 'judge' },
    judge: { join: { mode: 'quorum', quorum_percent: 60 } },
  },
};
const swarm: SystemSpec = { agents: ['planner', 'critic'], graph: { planner: { edges: [{ to: 'critic' }] }, critic: { edges: [{ to: 'planner' }] } } };
const triage: SystemSpec = {
  agents: ['triage', 'billing', 'tech', 'general'],
  graph: {
    triage: {
      edges: [
        { to: 'billing', condition: { output_json_path: '$.queue', equals: 'billing' } },
        { to: 'tech', condition: { output_contains: 'TECH' } },
        { to: 'general', condition: { default: true } },
      ],
    },
  },
};
const delegation: SystemSpec = {
  agents: ['editor-in-chief', 'fact-checker', 'copy-editor', 'publisher'],
  graph: {
    'editor-in-chief': {
      delegates: [{ to: 'fact-checker' }, { to: 'copy-editor' }],
      delegate_join: { mode: 'wait_for_all' },
      edges: [{ to: 'publisher' }],
    },
  },
};
const noGraph: SystemSpec = { agents: ['a', 'b', 'c'] };
const targets = (routes: { to: string }[]) => routes.map((r) => r.to);

describe('routesOf / delegatesOf', () => {
  test('legacy next comes first and edges pointing at the same agent are dropped', () => {
    const s: SystemSpec = {
      agents: ['Writer', 'Editor', 'Critic'],
      graph: { writer: { next: 'editor', edges: [{ to: 'EDITOR', condition: { output_contains: 'x' } }, { to: ' critic ' }, { to: 'Critic' }] } },
    };
    expect(routesOf(s, 'WRITER')).toEqual([{ to: 'Editor' }, { to: 'Critic' }]);
  });

  test('edges keep their condition and labels, with the agents[] spelling', () => {
    const s: SystemSpec = { agents: ['a', 'B'], graph: { a: { edges: [{ to: 'b', labels: { k: 'v' }, condition: { output_contains: 'go' } }] } } };
    expect(routesOf(s, 'a')).toEqual([{ to: 'B', labels: { k: 'v' }, condition: { output_contains: 'go' } }]);
  });

  test('pipeline: edges and legacy next mean the same thing', () => {
    expect(routesOf(pipeline, 'intake')).toEqual([{ to: 'analyst' }]);
    expect(routesOf(pipeline, 'analyst')).toEqual([{ to: 'reporter' }]);
    expect(routesOf(pipeline, 'reporter')).toEqual([]);
    expect(routesOf(pipeline, 'stranger')).toEqual([]);
  });

  test('without a graph the next declared agent is the only route', () => {
    expect(routesOf(noGraph, 'a')).toEqual([{ to: 'b' }]);
    expect(routesOf(noGraph, 'B')).toEqual([{ to: 'c' }]);
    expect(routesOf(noGraph, 'c')).toEqual([]);
    expect(routesOf({ agents: ['a', 'b'], graph: {} }, 'a')).toEqual([{ to: 'b' }]);
  });

  test('delegates are separate from routes and de-duplicated', () => {
    const s: SystemSpec = { ...delegation, graph: { 'editor-in-chief': { ...delegation.graph!['editor-in-chief'], delegates: [{ to: 'fact-checker' }, { to: 'Fact-Checker' }, { to: 'copy-editor' }] } } };
    expect(targets(delegatesOf(s, 'Editor-In-Chief'))).toEqual(['fact-checker', 'copy-editor']);
    expect(targets(routesOf(s, 'editor-in-chief'))).toEqual(['publisher']);
    expect(delegatesOf(noGraph, 'a')).toEqual([]);
  });
});

describe('predecessors / entryAgents', () => {
  test('predecessors are the distinct agents routing to the node, in declaration order', () => {
    expect(predecessors(hierarchical, 'assembler')).toEqual(['worker-a', 'worker-b']);
    expect(predecessors(quorum, 'judge')).toEqual(['probe-1', 'probe-2', 'probe-3']);
    expect(predecessors(hierarchical, 'director')).toEqual([]);
    expect(predecessors(swarm, 'planner')).toEqual(['critic']);
    expect(predecessors(delegation, 'fact-checker')).toEqual([]);
  });

  test('without a graph the previous agent is the only predecessor', () => {
    expect(predecessors(noGraph, 'c')).toEqual(['b']);
    expect(predecessors(noGraph, 'a')).toEqual([]);
  });

  test('entry agents are zero-indegree agents in declaration order', () => {
    expect(entryAgents(pipeline)).toEqual(['intake']);
    expect(entryAgents(hierarchical)).toEqual(['director']);
    const twoRoots: SystemSpec = { agents: ['x', 'a', 'b'], graph: { a: { next: 'x' }, b: { next: 'x' } } };
    expect(entryAgents(twoRoots)).toEqual(['a', 'b']);
  });

  test('delegate targets are not entry agents', () => {
    expect(entryAgents(delegation)).toEqual(['editor-in-chief']);
  });

  test('a fully cyclic graph and a graph-less system start at the first agent', () => {
    expect(entryAgents(swarm)).toEqual(['planner']);
    expect(entryAgents(noGraph)).toEqual(['a']);
    expect(entryAgents({ agents: [] })).toEqual([]);
  });
});

describe('cycles', () => {
  test('acyclic example graphs have no cycle', () => {
    for (const s of [pipeline, hierarchical, quorum, triage, delegation, noGraph]) expect(hasCycle(s)).toBe(false);
  });

  test('the swarm loop is reported as a path', () => {
    expect(findCycle(swarm)).toEqual(['planner', 'critic', 'planner']);
    expect(hasCycle(swarm)).toBe(true);
  });

  test('self-loops, longer loops and delegate back-edges count', () => {
    expect(findCycle({ agents: ['a'], graph: { a: { next: 'A' } } })).toEqual(['a', 'a']);
    const loop: SystemSpec = { agents: ['s', 'a', 'b', 'c'], graph: { s: { next: 'a' }, a: { next: 'b' }, b: { next: 'c' }, c: { next: 'a' } } };
    expect(findCycle(loop)).toEqual(['a', 'b', 'c', 'a']);
    const back: SystemSpec = { agents: ['boss', 'helper'], graph: { boss: { delegates: [{ to: 'helper' }] }, helper: { next: 'boss' } } };
    expect(findCycle(back)).toEqual(['boss', 'helper', 'boss']);
  });
});

describe('selectRoutes', () => {
  const triageRoutes = routesOf(triage, 'triage');

  test('conditional triage: JSON path, contains, and default fallback', () => {
    expect(targets(selectRoutes(triageRoutes, '{"queue":"billing"}').fired)).toEqual(['billing']);
    expect(targets(selectRoutes(triageRoutes, 'this is a tech problem').fired)).toEqual(['tech']);
    expect(targets(selectRoutes(triageRoutes, '{"queue":"billing","note":"tech too"}').fired)).toEqual(['billing', 'tech']);
    expect(selectRoutes(triageRoutes, 'hello')).toEqual({ fired: [{ to: 'general', condition: { default: true } }], terminal: false });
  });

  test('without conditions every route fires; no routes is terminal', () => {
    const routes = [{ to: 'a' }, { to: 'b' }];
    expect(selectRoutes(routes, 'x')).toEqual({ fired: routes, terminal: false });
    expect(selectRoutes([], 'x')).toEqual({ fired: [], terminal: true });
  });

  test('unconditional routes always fire alongside matched or default ones', () => {
    const routes = [{ to: 'audit' }, { to: 'urgent', condition: { output_matches: '(?i)^urgent' } }, { to: 'normal', condition: { default: true } }];
    expect(targets(selectRoutes(routes, 'URGENT: down').fired)).toEqual(['urgent', 'audit']);
    expect(targets(selectRoutes(routes, 'fyi').fired)).toEqual(['normal', 'audit']);
  });

  test('no match, no default: only unconditional routes, and none left means terminal', () => {
    expect(targets(selectRoutes([{ to: 'audit' }, { to: 'x', condition: { output_contains: 'x' } }], 'nope').fired)).toEqual(['audit']);
    expect(selectRoutes([{ to: 'x', condition: { output_contains: 'x' } }], 'nope')).toEqual({ fired: [], terminal: true });
  });
});

describe('joinSpec', () => {
  test('hierarchical assembler waits for both workers', () => {
    expect(joinSpec(hierarchical, 'assembler')).toEqual({ enabled: true, mode: 'wait_for_all', expected: 2, required: 2, onFailure: 'deadletter' });
  });

  test('quorum 60% of 3 probes requires 2', () => {
    expect(joinSpec(quorum, 'judge')).toEqual({ enabled: true, mode: 'quorum', expected: 3, required: 2, onFailure: 'deadletter' });
  });

  test('an implicit wait_for_all gate exists wherever two or more routes meet', () => {
    const s: SystemSpec = { agents: ['a', 'b', 'c'], graph: { a: { next: 'c' }, b: { next: 'c' } } };
    expect(joinSpec(s, 'c')).toEqual({ enabled: true, mode: 'wait_for_all', expected: 2, required: 2, onFailure: 'deadletter' });
  });

  test('single-predecessor wait_for_all and graph-less systems have no gate', () => {
    expect(joinSpec(pipeline, 'analyst')).toEqual({ enabled: false, mode: 'wait_for_all', expected: 1, required: 1, onFailure: 'deadletter' });
    expect(joinSpec(hierarchical, 'director').enabled).toBe(false);
    expect(joinSpec(noGraph, 'b')).toEqual({ enabled: false, mode: 'wait_for_all', expected: 1, required: 1, onFailure: 'deadletter' });
  });

  test('quorum on one or zero predecessors stays enabled with required 1', () => {
    const one: SystemSpec = { agents: ['a', 'b'], graph: { a: { next: 'b' }, b: { join: { mode: 'quorum', quorum_count: 5 } } } };
    expect(joinSpec(one, 'b')).toEqual({ enabled: true, mode: 'quorum', expected: 1, required: 1, onFailure: 'deadletter' });
    expect(joinSpec(one, 'a').enabled).toBe(false);
    const zero: SystemSpec = { agents: ['a'], graph: { a: { join: { mode: 'quorum' } } } };
    expect(joinSpec(zero, 'a')).toEqual({ enabled: true, mode: 'quorum', expected: 0, required: 1, onFailure: 'deadletter' });
  });

  test('quorum required = max(count, ceil(expected × percent)), default expected, clamped', () => {
    const withJoin = (join: Record<string, unknown>): SystemSpec => ({
      agents: ['p1', 'p2', 'p3', 'p4', 'p5', 'j'],
      graph: { p1: { next: 'j' }, p2: { next: 'j' }, p3: { next: 'j' }, p4: { next: 'j' }, p5: { next: 'j' }, j: { join } },
    });
    const required = (join: Record<string, unknown>) => joinSpec(withJoin({ mode: 'quorum', ...join }), 'j').required;
    expect(required({})).toBe(5);
    expect(required({ quorum_count: 0, quorum_percent: 0 })).toBe(5);
    expect(required({ quorum_count: 2 })).toBe(2);
    expect(required({ quorum_percent: 50 })).toBe(3);
    expect(required({ quorum_count: 4, quorum_percent: 20 })).toBe(4);
    expect(required({ quorum_count: 1, quorum_percent: 70 })).toBe(4);
    expect(required({ quorum_count: 9 })).toBe(5);
    expect(required({ quorum_percent: 1 })).toBe(1);
    expect(required({ quorum_percent: 100 })).toBe(5);
  });

  test('on_failure is carried through; an explicit expected overrides the predecessor count', () => {
    const s: SystemSpec = { ...quorum, graph: { ...quorum.graph, judge: { join: { mode: 'quorum', quorum_percent: 60, on_failure: 'continue_partial' } } } };
    expect(joinSpec(s, 'judge').onFailure).toBe('continue_partial');
    expect(joinSpec(s, 'judge', 2)).toEqual({ enabled: true, mode: 'quorum', expected: 2, required: 2, onFailure: 'continue_partial' });
    expect(joinSpec(hierarchical, 'assembler', 1).enabled).toBe(false);
  });

  test('delegation gate counts dispatched delegates', () => {
    expect(delegateJoinSpec(delegation, 'editor-in-chief', 2)).toEqual({ enabled: true, mode: 'wait_for_all', expected: 2, required: 2, onFailure: 'deadletter' });
    expect(delegateJoinSpec(delegation, 'editor-in-chief', 1)).toEqual({ enabled: true, mode: 'wait_for_all', expected: 1, required: 1, onFailure: 'deadletter' });
    expect(delegateJoinSpec(delegation, 'editor-in-chief', 0).enabled).toBe(false);
    const q: SystemSpec = { agents: ['boss', 'w1', 'w2', 'w3'], graph: { boss: { delegates: [{ to: 'w1' }, { to: 'w2' }, { to: 'w3' }], delegate_join: { mode: 'quorum', quorum_count: 2, on_failure: 'skip' } } } };
    expect(delegateJoinSpec(q, 'boss', 3)).toEqual({ enabled: true, mode: 'quorum', expected: 3, required: 2, onFailure: 'skip' });
  });
});

describe('validateSystem', () => {
  test('the example graphs are valid (the loop with max_turns)', () => {
    for (const s of [pipeline, hierarchical, quorum, triage, delegation, noGraph]) expect(validateSystem(s, { spec: {} })).toEqual([]);
    expect(validateSystem(swarm, { spec: { max_turns: 6 } })).toEqual([]);
  });

  test('a cycle needs max_turns on the task', () => {
    const problem = { field: 'spec.graph', message: 'the graph has a cycle (planner -> critic -> planner); set spec.max_turns on the task' };
    expect(validateSystem(swarm, { spec: { max_turns: 0 } })).toEqual([problem]);
    expect(validateSystem(swarm, undefined)).toEqual([problem]);
  });

  test('every problem is reported with its field', () => {
    const s: SystemSpec = {
      agents: ['writer', 'Editor', 'editor'],
      graph: {
        writer: { next: 'ghost', edges: [{ to: 'editor' }, { to: 'phantom' }], delegates: [{ to: 'spook' }], join: { mode: 'majority', on_failure: 'explode' } },
        stranger: { next: 'writer' },
        Writer: {},
      },
    };
    expect(validateSystem(s, { spec: { max_turns: 0 } })).toEqual([
      { field: 'spec.agents[2]', message: 'agent "editor" duplicates "Editor" (agent names compare case-insensitively)' },
      { field: 'spec.graph.writer.next', message: 'target "ghost" is not listed in spec.agents' },
      { field: 'spec.graph.writer.edges[1].to', message: 'target "phantom" is not listed in spec.agents' },
      { field: 'spec.graph.writer.delegates[0].to', message: 'target "spook" is not listed in spec.agents' },
      { field: 'spec.graph.writer.join.mode', message: '"majority" must be wait_for_all or quorum' },
      { field: 'spec.graph.writer.join.on_failure', message: '"explode" must be deadletter, skip or continue_partial' },
      { field: 'spec.graph.stranger', message: 'node "stranger" is not listed in spec.agents' },
      { field: 'spec.graph.Writer', message: 'node "Writer" duplicates node "writer" (agent names compare case-insensitively)' },
      { field: 'spec.graph', message: 'the graph has no entry agent: every agent in spec.agents has an incoming route' },
    ]);
  });

  test('empty agents and a graph without an entry agent are problems', () => {
    expect(validateSystem({ agents: [] }, { spec: {} })).toEqual([{ field: 'spec.agents', message: 'must list at least one agent' }]);
    expect(validateSystem({ agents: ['b'], graph: { a: { next: 'b' } } }, { spec: {} })).toEqual([
      { field: 'spec.graph.a', message: 'node "a" is not listed in spec.agents' },
      { field: 'spec.graph', message: 'the graph has no entry agent: every agent in spec.agents has an incoming route' },
    ]);
  });
});
