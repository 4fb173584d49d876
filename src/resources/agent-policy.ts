// AgentPolicy: governance limits (token budget, allowed models, blocked tools, child-task limits)
// applied globally or to the systems, tasks and agents it targets.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { dedupe, lower, setDefault } from '../registry/normalize';
import { Enum, StringList, statusSchema, strict, Int, INT32_MAX } from './common';

const PHASES = ['Pending', 'Ready', 'Error'] as const;
const LISTS = ['allowed_models', 'blocked_tools', 'target_systems', 'target_tasks', 'target_agents'];

const spec = strict({
  max_tokens_per_run: t.Optional(Int(0, INT32_MAX, 'Token budget of one task run (0 = unlimited).')),
  allowed_models: t.Optional(StringList('Models agents may use; empty allows all.')),
  blocked_tools: t.Optional(StringList('Tools no agent may call.')),
  apply_mode: t.Optional(Enum(['scoped', 'global'], 'scoped (default): only the targets below; global: everything.')),
  target_systems: t.Optional(StringList('AgentSystems the policy applies to (scoped).')),
  target_tasks: t.Optional(StringList('Tasks the policy applies to (scoped).')),
  target_agents: t.Optional(StringList('Agents the policy applies to (scoped).')),
  max_child_depth: t.Optional(Int(0, INT32_MAX, 'Nesting limit for tasks created by agents (runtime default 5).')),
  max_child_tasks: t.Optional(Int(0, INT32_MAX, 'Child tasks one task may create (runtime default 20).')),
});

export const agentPolicy = defineKind({
  kind: 'AgentPolicy',
  plural: 'agent-policies',
  description: 'Governance limits for agent runs: token budget, allowed models, blocked tools, child-task limits.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  alwaysReady: true,
  initialPhase: 'Ready',
  normalize(s) {
    s.apply_mode = lower(s.apply_mode);
    setDefault(s, 'apply_mode', 'scoped');
    for (const k of LISTS) if (s[k] !== undefined) s[k] = dedupe(s[k]);
    return s;
  },
});
