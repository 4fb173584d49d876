// Agent: a model-backed worker with a prompt, tools, memory, execution profile and limits.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { child, dedupe, isObj, lower, positiveOr, setDefault, trim } from '../registry/normalize';
import type { Cause } from '../errors';
import { Enum, StringList, statusSchema, strict, Int, INT32_MAX } from './common';
import { Duration, Ref, RefList } from './formats';
import { trimOrDrop } from './task';

const PHASES = ['Pending', 'Ready', 'Running', 'Error'] as const;
const MEMORY_OPS = ['read', 'write', 'search', 'list', 'ingest'] as const;

const spec = strict({
  model_ref: Ref('ModelEndpoint name or namespace/name.', { minLength: 1 }),
  fallback_model_refs: t.Optional(RefList('Endpoints tried in order on retryable provider errors.')),
  prompt: t.Optional(t.String()),
  tools: t.Optional(RefList('Tools the agent may call (name or namespace/name).')),
  allowed_tools: t.Optional(StringList('Tools allowed without role or permission checks.')),
  roles: t.Optional(StringList('AgentRole names.')),
  memory: t.Optional(
    strict({
      ref: t.Optional(Ref('Memory name or namespace/name.')),
      allow: t.Optional(t.Array(Enum(MEMORY_OPS))),
      type: t.Optional(t.String()),
      provider: t.Optional(t.String()),
    }),
  ),
  execution: t.Optional(
    strict({
      profile: t.Optional(Enum(['dynamic', 'contract'])),
      tool_sequence: t.Optional(StringList()),
      required_output_markers: t.Optional(StringList()),
      duplicate_tool_call_policy: t.Optional(Enum(['short_circuit', 'deny'])),
      on_contract_violation: t.Optional(Enum(['observe', 'non_retryable_error'])),
      tool_use_behavior: t.Optional(Enum(['run_llm_again', 'stop_on_first_tool'])),
      output_schema: t.Optional(t.Record(t.String(), t.Unknown(), { description: 'JSON Schema of the final answer.' })),
    }),
  ),
  limits: t.Optional(
    strict({
      max_steps: t.Optional(Int(1, INT32_MAX, 'Model/tool steps per turn (default 10).')),
      timeout: t.Optional(Duration('Time limit of one agent turn.')),
    }),
  ),
});

/** Nesting depth, without spreading children into arguments (a schema may hold huge arrays). */
function schemaDepth(v: unknown): number {
  if (!isObj(v) && !Array.isArray(v)) return 0;
  let deepest = 0;
  for (const child of Array.isArray(v) ? v : Object.values(v)) deepest = Math.max(deepest, schemaDepth(child));
  return 1 + deepest;
}

export const agent = defineKind({
  kind: 'Agent',
  plural: 'agents',
  description: 'A model-backed agent: prompt, model endpoint, tools, memory and limits.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s) {
    s.model_ref = trim(s.model_ref);
    for (const k of ['fallback_model_refs', 'allowed_tools', 'roles', 'tools']) if (s[k] !== undefined) s[k] = dedupe(s[k]);
    const mem = s.memory;
    if (isObj(mem)) trimOrDrop(mem, 'ref');
    if (isObj(mem) && Array.isArray(mem.allow)) {
      mem.allow = dedupe(mem.allow.map((a: unknown) => (typeof a === 'string' ? lower(a).replace(/^memory\./, '') : a)));
    }
    const ex = child(s, 'execution');
    if (ex) {
      for (const k of ['profile', 'duplicate_tool_call_policy', 'on_contract_violation', 'tool_use_behavior']) ex[k] = lower(ex[k]);
      setDefault(ex, 'profile', 'dynamic');
      setDefault(ex, 'duplicate_tool_call_policy', 'short_circuit');
      setDefault(ex, 'on_contract_violation', 'non_retryable_error');
      setDefault(ex, 'tool_use_behavior', 'run_llm_again');
      if (ex.tool_sequence !== undefined) ex.tool_sequence = dedupe(ex.tool_sequence);
      if (ex.required_output_markers !== undefined) ex.required_output_markers = dedupe(ex.required_output_markers, true);
    }
    const limits = child(s, 'limits');
    if (limits) positiveOr(limits, 'max_steps', 10);
    return s;
  },
  validate(s) {
    const causes: Cause[] = [];
    if (s.memory?.allow?.length && !s.memory.ref) causes.push({ field: 'spec.memory.ref', message: 'is required when memory.allow is set' });
    if (s.execution?.profile === 'contract' && !s.execution.tool_sequence?.length) {
      causes.push({ field: 'spec.execution.tool_sequence', message: 'is required when execution.profile is contract' });
    }
    const schema = s.execution?.output_schema;
    if (schema !== undefined) {
      if (typeof schema.type !== 'string' && !Array.isArray(schema.type)) causes.push({ field: 'spec.execution.output_schema.type', message: 'is required at the schema root' });
      // Size first: the depth walk is cheap only on a schema of sensible size.
      if (JSON.stringify(schema).length > 64 * 1024) causes.push({ field: 'spec.execution.output_schema', message: 'must be at most 64 KiB' });
      else if (schemaDepth(schema) > 10) causes.push({ field: 'spec.execution.output_schema', message: 'must nest at most 10 levels' });
    }
    return causes;
  },
});
