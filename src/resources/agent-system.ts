// AgentSystem: the agents of a multi-agent system and their graph (hops, conditional edges, joins,
// delegation, review checkpoints). Graph/agent consistency is checked when a task runs, not here.
import { Type as t } from '@sinclair/typebox';
import { defineKind } from '../registry/kind';
import { child, dedupe, isObj, lower, positiveOr, setDefault, trim, trimRequired } from '../registry/normalize';
import { defineFormat, fieldPath } from '../registry/validation';
import type { Cause } from '../errors';
import { Enum, StringList, StringMap, statusSchema, strict, Int, INT32_MAX } from './common';
import { Duration, Ref } from './formats';
import { trimOrDrop } from './task';

const PHASES = ['Pending', 'Ready', 'Error'] as const;
const JSON_OPERATORS = ['equals', 'not_equals', 'contains', 'greater_than', 'less_than'] as const;
const TEXT_FIELDS = ['output_contains', 'output_not_contains', 'output_matches', 'output_json_path', ...JSON_OPERATORS];
const MAX_PATTERN = 512;

/** Why a pattern cannot be used, or undefined when it compiles. */
function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN) return `must be at most ${MAX_PATTERN} characters`;
  try {
    compileOutputPattern(pattern);
    return undefined;
  } catch (e) {
    return `is not a valid regular expression: ${(e as Error).message}`;
  }
}

const OUTPUT_PATTERN = defineFormat('output-pattern', (v) => patternProblem(v) === undefined, (v) => patternProblem(v)!);
const JSON_PATH = defineFormat('output-json-path', (v) => v.startsWith('$.'), 'must start with "$."');
const NUMBER_TEXT = defineFormat('number-text', (v) => !Number.isNaN(Number(v)), 'must be a number');

const Condition = strict(
  {
    output_contains: t.Optional(t.String({ description: 'Output contains this text (case-insensitive).' })),
    output_not_contains: t.Optional(t.String({ description: 'Output does not contain this text (case-insensitive).' })),
    output_matches: t.Optional(t.String({ format: OUTPUT_PATTERN, description: `Regular expression the output matches (at most ${MAX_PATTERN} characters).` })),
    default: t.Optional(t.Boolean({ description: 'Fallback edge when no conditional edge matched; no other fields allowed.' })),
    output_json_path: t.Optional(t.String({ format: JSON_PATH, description: 'Dot path into JSON output, starting with "$.".' })),
    equals: t.Optional(t.String()),
    not_equals: t.Optional(t.String()),
    contains: t.Optional(t.String()),
    greater_than: t.Optional(t.String({ format: NUMBER_TEXT, description: 'Numeric threshold.' })),
    less_than: t.Optional(t.String({ format: NUMBER_TEXT, description: 'Numeric threshold.' })),
  },
  'All set fields must match (AND). JSON comparison operators need output_json_path.',
);

const Route = strict({
  to: t.String({ minLength: 1, description: 'Target agent.' }),
  labels: t.Optional(StringMap()),
  policy: t.Optional(StringMap()),
  condition: t.Optional(Condition),
});

const Join = strict(
  {
    mode: t.Optional(Enum(['wait_for_all', 'quorum'], 'Default wait_for_all.')),
    quorum_count: t.Optional(Int(0, INT32_MAX, 'Minimum number of arrived branches (quorum).')),
    quorum_percent: t.Optional(Int(0, 100, 'Minimum percentage of expected branches, 0–100 (quorum).')),
    on_failure: t.Optional(Enum(['deadletter', 'skip', 'continue_partial'], 'Default deadletter.')),
  },
  'Fan-in gate for this node.',
);

const ReviewCheckpoint = strict(
  {
    checkpoint_id: t.String({ minLength: 1, description: 'Unique within the system (case-insensitive).' }),
    display_name: t.Optional(t.String()),
    reason: t.Optional(t.String()),
    ttl: t.Optional(Duration('How long the review stays open (default 10m).')),
    allow_request_changes: t.Optional(t.Boolean({ description: 'Reviewer may ask for changes (default true).' })),
    max_review_cycles: t.Optional(Int(1, INT32_MAX, 'Request-changes rounds allowed (default 3).')),
  },
  'Human review of output before it moves on.',
);

const Node = strict({
  next: t.Optional(t.String({ description: 'Legacy single successor.' })),
  edges: t.Optional(t.Array(Route, { description: 'Successors (fan-out when more than one).' })),
  join: t.Optional(Join),
  delegates: t.Optional(t.Array(Route, { description: 'Agents dispatched, collected and reviewed by this node before its edges fire.' })),
  delegate_join: t.Optional(Join),
  review: t.Optional(ReviewCheckpoint),
});

const spec = strict({
  agents: t.Optional(StringList('Participating agents.')),
  graph: t.Optional(t.Record(t.String(), Node, { description: 'Per-agent routing, keyed by agent name.' })),
  completion_review: t.Optional(ReviewCheckpoint),
  context_adapter: t.Optional(Ref('ContextAdapter that sanitizes task input before the first agent.')),
  a2a: t.Optional(
    strict({
      enabled: t.Optional(t.Boolean({ description: 'Expose this system over the A2A protocol (default false).' })),
      auth: t.Optional(Enum(['public', 'bearer'], 'Default bearer.')),
    }),
  ),
});

/**
 * Compiles an output_matches pattern. Patterns are written in Go (RE2) syntax; the leading
 * inline-flag group "(?i)" style and "(?P<name>" groups are translated to JavaScript.
 */
export function compileOutputPattern(pattern: string): RegExp {
  let flags = '';
  let body = pattern;
  const m = body.match(/^\(\?([ims]+)\)/);
  if (m) {
    flags = [...new Set(m[1])].join('');
    body = body.slice(m[0].length);
  }
  return new RegExp(body.replace(/\(\?P</g, '(?<'), flags);
}

const at = (...segs: (string | number)[]) =>
  fieldPath('spec', '/' + segs.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));

function normalizeCondition(c: Record<string, any>): void {
  for (const k of TEXT_FIELDS) {
    if (typeof c[k] === 'number' || typeof c[k] === 'boolean') c[k] = String(c[k]);
    c[k] = trim(c[k]);
    if (c[k] === '' || c[k] === null) delete c[k];
  }
}

function normalizeRoutes(routes: unknown): unknown {
  if (!Array.isArray(routes)) return routes;
  return routes.filter((r) => {
    if (!isObj(r)) return true;
    r.to = trim(r.to);
    if (r.to === undefined || r.to === null || r.to === '') return false;
    if (isObj(r.condition)) normalizeCondition(r.condition);
    return true;
  });
}

function normalizeJoin(j: Record<string, any>): void {
  j.mode = lower(j.mode);
  j.on_failure = lower(j.on_failure);
  setDefault(j, 'mode', 'wait_for_all');
  setDefault(j, 'on_failure', 'deadletter');
  // Orloj's clamps, for exact whole numbers only: 1e308 or 1.5 are refused by the schema, not rounded.
  if (Number.isSafeInteger(j.quorum_count) && j.quorum_count < 0) j.quorum_count = 0;
  if (Number.isSafeInteger(j.quorum_percent)) j.quorum_percent = Math.min(100, Math.max(0, j.quorum_percent));
}

function normalizeReview(r: Record<string, any>): void {
  trimRequired(r, 'checkpoint_id');
  r.display_name = trim(r.display_name);
  r.reason = trim(r.reason);
  r.ttl = trim(r.ttl);
  setDefault(r, 'ttl', '10m');
  if (r.allow_request_changes === undefined || r.allow_request_changes === null) r.allow_request_changes = true;
  positiveOr(r, 'max_review_cycles', 3);
}

function conditionCauses(c: Record<string, any>, path: (string | number)[]): Cause[] {
  const causes: Cause[] = [];
  const add = (field: string | null, message: string) => causes.push({ field: field ? at(...path, field) : at(...path), message });
  const hasOperator = JSON_OPERATORS.some((k) => c[k] !== undefined);
  if (c.output_json_path !== undefined) {
    if (!hasOperator) add(null, `output_json_path needs a comparison operator (${JSON_OPERATORS.join(', ')})`);
  } else if (hasOperator) add('output_json_path', 'is required when a comparison operator is set');
  if (c.default === true && TEXT_FIELDS.some((k) => c[k] !== undefined)) add('default', 'a default edge must not set other condition fields');
  return causes;
}

function routeCauses(node: string, field: 'edges' | 'delegates', routes: any[]): Cause[] {
  const causes: Cause[] = [];
  let defaults = 0;
  routes.forEach((r, i) => {
    if (r.condition) causes.push(...conditionCauses(r.condition, ['graph', node, field, i, 'condition']));
    if (r.condition?.default === true) defaults++;
    if (field === 'delegates' && r.to.toLowerCase() === node.trim().toLowerCase()) {
      causes.push({ field: at('graph', node, field, i, 'to'), message: 'a node cannot delegate to itself' });
    }
  });
  if (defaults > 1) causes.push({ field: at('graph', node, field), message: `at most one default edge is allowed, found ${defaults}` });
  return causes;
}

export const agentSystem = defineKind({
  kind: 'AgentSystem',
  plural: 'agent-systems',
  description: 'A multi-agent system: its agents and the graph that routes work between them.',
  spec,
  status: statusSchema(PHASES),
  phases: [...PHASES],
  normalize(s) {
    if (s.agents !== undefined) s.agents = dedupe(s.agents, true);
    const graph = child(s, 'graph');
    for (const [name, raw] of Object.entries(graph ?? {})) {
      if (raw === null || raw === undefined) graph![name] = {};
      const node = graph![name];
      if (!isObj(node)) continue;
      node.next = trim(node.next);
      if (node.next === '') delete node.next;
      node.edges = normalizeRoutes(node.edges);
      node.delegates = normalizeRoutes(node.delegates);
      const join = child(node, 'join');
      if (join) normalizeJoin(join);
      if ((Array.isArray(node.delegates) && node.delegates.length) || node.delegate_join != null) {
        const dj = child(node, 'delegate_join');
        if (dj) normalizeJoin(dj);
      }
      if (isObj(node.review)) normalizeReview(node.review);
    }
    if (isObj(s.completion_review)) normalizeReview(s.completion_review);
    trimOrDrop(s, 'context_adapter');
    if (isObj(s.a2a)) {
      s.a2a.auth = lower(s.a2a.auth);
      setDefault(s.a2a, 'auth', 'bearer');
      if (s.a2a.enabled === undefined || s.a2a.enabled === null) s.a2a.enabled = false;
    }
    return s;
  },
  validate(s) {
    const causes: Cause[] = [];
    const checkpoints = new Map<string, string>();
    const checkpoint = (r: Record<string, any> | undefined, path: (string | number)[]) => {
      if (!r) return;
      const key = r.checkpoint_id.toLowerCase();
      const previous = checkpoints.get(key);
      if (previous) causes.push({ field: at(...path, 'checkpoint_id'), message: `"${r.checkpoint_id}" is already used by ${previous}` });
      else checkpoints.set(key, at(...path));
    };
    for (const [name, node] of Object.entries<any>(s.graph ?? {})) {
      if (node.edges) causes.push(...routeCauses(name, 'edges', node.edges));
      if (node.delegates) causes.push(...routeCauses(name, 'delegates', node.delegates));
      checkpoint(node.review, ['graph', name, 'review']);
    }
    checkpoint(s.completion_review, ['completion_review']);
    return causes;
  },
});
