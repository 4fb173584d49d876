// ToolPermission: which permissions an agent needs to invoke a tool, and per-operation verdicts
// (allow, deny, approval_required).
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { dedupe, isObj, lower, setDefault, trim } from '../registry/normalize';
import type { Cause } from '../errors';
import { Enum, StringList, statusSchema, strict } from './common';
import { Ref } from './formats';

const PHASES = ['Pending', 'Ready', 'Error'] as const;

const spec = strict({
  tool_ref: t.Optional(Ref('Tool this permission guards (default: metadata.name).')),
  action: t.Optional(t.String({ description: 'Action name, lower-cased (default invoke).' })),
  required_permissions: t.Optional(StringList('Permissions the agent must hold through its roles.')),
  match_mode: t.Optional(Enum(['all', 'any'], 'Hold all (default) or any of required_permissions.')),
  apply_mode: t.Optional(Enum(['global', 'scoped'], 'global (default) or only for target_agents.')),
  target_agents: t.Optional(StringList('Agents this permission applies to (required when scoped).')),
  operation_rules: t.Optional(
    t.Array(
      strict({
        operation_class: t.Optional(Enum(['read', 'write', 'delete', 'admin', '*'], 'Default *.')),
        verdict: t.Optional(Enum(['allow', 'deny', 'approval_required'], 'Default allow.')),
      }),
      { description: 'Verdict per operation class; the most restrictive match wins.' },
    ),
  ),
});

export const toolPermission = defineKind({
  kind: 'ToolPermission',
  plural: 'tool-permissions',
  description: 'Permissions required to invoke a tool, with per-operation-class verdicts.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  alwaysReady: true,
  initialPhase: 'Ready',
  normalize(s, ctx) {
    s.tool_ref = trim(s.tool_ref);
    setDefault(s, 'tool_ref', ctx.name);
    s.action = lower(s.action);
    setDefault(s, 'action', 'invoke');
    s.match_mode = lower(s.match_mode);
    setDefault(s, 'match_mode', 'all');
    s.apply_mode = lower(s.apply_mode);
    setDefault(s, 'apply_mode', 'global');
    for (const k of ['required_permissions', 'target_agents']) if (s[k] !== undefined) s[k] = dedupe(s[k]);
    if (Array.isArray(s.operation_rules)) {
      for (const rule of s.operation_rules) {
        if (!isObj(rule)) continue;
        rule.operation_class = lower(rule.operation_class);
        setDefault(rule, 'operation_class', '*');
        rule.verdict = lower(rule.verdict);
        setDefault(rule, 'verdict', 'allow');
      }
    }
    return s;
  },
  validate(s) {
    const causes: Cause[] = [];
    if (s.apply_mode === 'scoped' && !s.target_agents?.length) {
      causes.push({ field: 'spec.target_agents', message: 'is required when apply_mode is scoped' });
    }
    return causes;
  },
});
