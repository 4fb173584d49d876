// AgentPolicy enforcement: matching, per-task and per-agent token budgets, model and tool checks.
import { describe, expect, test } from 'bun:test';
import {
  agentTokenBudget,
  checkAgent,
  matchPolicies,
  policiesForAgent,
  taskTokenBudget,
  type PolicyObject,
  type PolicySpec,
} from '../../../src/runtime/engine/governance';

const policy = (name: string, spec: PolicySpec, namespace = 'default'): PolicyObject => ({ metadata: { name, namespace }, spec });
const names = (ps: PolicyObject[]) => ps.map((p) => p.metadata.name);
const at = { namespace: 'default', task: 'nightly-report', system: 'Research-Team' };

describe('matchPolicies', () => {
  test('global policies apply to every task of their namespace', () => {
    const ps = [policy('g', { apply_mode: 'global' }), policy('other-ns', { apply_mode: 'global' }, 'team-b')];
    expect(names(matchPolicies(ps, at))).toEqual(['g']);
    expect(names(matchPolicies(ps, { ...at, namespace: 'team-b' }))).toEqual(['other-ns']);
  });

  test('scoped policies match target_tasks or target_systems case-insensitively', () => {
    const ps = [
      policy('by-task', { apply_mode: 'scoped', target_tasks: ['NIGHTLY-REPORT'] }),
      policy('by-system', { target_systems: ['research-team'] }),
      policy('by-ref', { target_systems: ['default/research-team'] }),
      policy('elsewhere', { target_tasks: ['other'], target_systems: ['other'] }),
      policy('agents-only', { target_agents: ['writer'] }),
      policy('wrong-ns', { target_tasks: ['nightly-report'] }, 'team-b'),
    ];
    expect(names(matchPolicies(ps, at))).toEqual(['by-task', 'by-system', 'by-ref']);
  });

  test('a missing policy namespace means default', () => {
    const p: PolicyObject = { metadata: { name: 'bare' }, spec: { apply_mode: 'global' } };
    expect(names(matchPolicies([p], at))).toEqual(['bare']);
    expect(matchPolicies([p], { ...at, namespace: 'x' })).toEqual([]);
  });
});

describe('token budgets', () => {
  const matched = [
    policy('wide-a', { apply_mode: 'global', max_tokens_per_run: 5000 }),
    policy('wide-b', { apply_mode: 'global', max_tokens_per_run: 3000 }),
    policy('unlimited', { apply_mode: 'global', max_tokens_per_run: 0 }),
    policy('writer-cap', { apply_mode: 'global', target_agents: ['Writer'], max_tokens_per_run: 800 }),
    policy('writer-cap-2', { apply_mode: 'global', target_agents: ['writer', 'editor'], max_tokens_per_run: 1200 }),
  ];

  test('the task budget is the smallest positive budget of untargeted policies', () => {
    expect(taskTokenBudget(matched)).toBe(3000);
    expect(taskTokenBudget([policy('u', { max_tokens_per_run: 0 })])).toBeUndefined();
    expect(taskTokenBudget([])).toBeUndefined();
  });

  test('an agent budget comes only from policies targeting that agent', () => {
    expect(agentTokenBudget(matched, 'WRITER')).toBe(800);
    expect(agentTokenBudget(matched, 'editor')).toBe(1200);
    expect(agentTokenBudget(matched, 'critic')).toBeUndefined();
  });
});

describe('checkAgent', () => {
  test('a disallowed primary model is a violation; allowed fallbacks stay', () => {
    const matched = [policy('models', { apply_mode: 'global', allowed_models: ['GPT-4o-mini', 'claude-3-haiku'] })];
    expect(checkAgent(matched, { agent: 'writer', models: ['gpt-4o', 'gpt-4o-mini', 'claude-3-haiku'], tools: [] })).toEqual({
      violations: [{ policy: 'models', message: 'policy models disallows model gpt-4o for agent writer' }],
      allowedModelIndexes: [1, 2],
    });
  });

  test('a disallowed fallback is dropped without a violation', () => {
    const matched = [policy('models', { apply_mode: 'global', allowed_models: ['gpt-4o'] })];
    expect(checkAgent(matched, { agent: 'writer', models: ['GPT-4O', 'llama3', 'gpt-4o'], tools: [] })).toEqual({
      violations: [],
      allowedModelIndexes: [0, 2],
    });
  });

  test('an empty allow-list allows every model', () => {
    expect(checkAgent([policy('p', { allowed_models: [] })], { agent: 'a', models: ['m1', 'm2'], tools: [] })).toEqual({ violations: [], allowedModelIndexes: [0, 1] });
  });

  test('a blocked declared tool is a violation per tool and policy', () => {
    const matched = [policy('no-shell', { blocked_tools: ['Shell', 'http-get'] }), policy('no-http', { blocked_tools: ['HTTP-GET'] })];
    expect(checkAgent(matched, { agent: 'ops', models: ['m'], tools: ['shell', 'http-get', 'search'] })).toEqual({
      violations: [
        { policy: 'no-shell', message: 'policy no-shell blocks tool shell for agent ops' },
        { policy: 'no-shell', message: 'policy no-shell blocks tool http-get for agent ops' },
        { policy: 'no-http', message: 'policy no-http blocks tool http-get for agent ops' },
      ],
      allowedModelIndexes: [0],
    });
  });

  test('agent-targeted policies only constrain their agents', () => {
    const matched = [policy('writer-only', { target_agents: ['Writer'], allowed_models: ['small'], blocked_tools: ['web'] })];
    expect(names(policiesForAgent(matched, 'writer'))).toEqual(['writer-only']);
    expect(policiesForAgent(matched, 'editor')).toEqual([]);
    expect(checkAgent(matched, { agent: 'editor', models: ['big'], tools: ['web'] })).toEqual({ violations: [], allowedModelIndexes: [0] });
    expect(checkAgent(matched, { agent: 'writer', models: ['big', 'small'], tools: ['web'] })).toEqual({
      violations: [
        { policy: 'writer-only', message: 'policy writer-only disallows model big for agent writer' },
        { policy: 'writer-only', message: 'policy writer-only blocks tool web for agent writer' },
      ],
      allowedModelIndexes: [1],
    });
  });

  test('several allow-lists intersect', () => {
    const matched = [policy('a', { allowed_models: ['m1', 'm2'] }), policy('b', { allowed_models: ['m2', 'm3'] })];
    expect(checkAgent(matched, { agent: 'x', models: ['m2', 'm1', 'm3'], tools: [] })).toEqual({ violations: [], allowedModelIndexes: [0] });
  });
});
