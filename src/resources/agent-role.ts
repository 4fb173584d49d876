// AgentRole: a named set of permission strings agents are bound to through spec.roles.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { dedupe, trim } from '../registry/normalize';
import { StringList, statusSchema, strict } from './common';

const PHASES = ['Pending', 'Ready', 'Error'] as const;

const spec = strict({
  description: t.Optional(t.String()),
  permissions: t.Optional(StringList('Permission strings such as tool:web_search:invoke or capability:web.read.')),
});

export const agentRole = defineKind({
  kind: 'AgentRole',
  plural: 'agent-roles',
  description: 'A reusable grant of permissions that agents bind through spec.roles.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  alwaysReady: true,
  initialPhase: 'Ready',
  normalize(s) {
    s.description = trim(s.description);
    if (s.permissions !== undefined) s.permissions = dedupe(s.permissions);
    return s;
  },
});
