// Task: one run (or a reusable template) of an AgentSystem. Also owns the TaskSpec schema, its
// normalizer and its validator, which TaskSchedule and TaskWebhook reuse for `task_template`.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec, type Status } from '../registry/kind';
import { child, dedupe, isObj, lower, positiveOr, setDefault, trim } from '../registry/normalize';
import { isDuration } from '../util/duration';
import type { Cause } from '../errors';
import { Enum, StringList, StringMap, statusSchema, strict, Int, INT32_MAX } from './common';
import { Duration, Ref } from './formats';

const PHASES = ['Pending', 'Running', 'WaitingApproval', 'Succeeded', 'Failed', 'DeadLetter'] as const;
const RECORDS = { messages: 'message_id', trace: '', history: '', message_idempotency: '' };
const STATUS_ARRAYS = ['trace', 'history', 'messages', 'message_idempotency', 'join_states', 'delegation_states'];

const taskSpecProps = {
  system: t.Optional(Ref('AgentSystem to run (name or namespace/name); required when mode is run.')),
  mode: t.Optional(Enum(['run', 'template'], 'run executes; template is never executed and is copied by schedules and webhooks (default run).')),
  input: t.Optional(StringMap('Input values handed to the first agents (default {}).')),
  priority: t.Optional(t.String({ description: 'Free-form priority label (default normal).' })),
  max_turns: t.Optional(Int(0, INT32_MAX, 'Turn limit per branch; cyclic graphs need a value above 0 (default 0).')),
  retry: t.Optional(
    strict(
      {
        max_attempts: t.Optional(Int(1, INT32_MAX, 'Attempts of the whole task (default 1).')),
        backoff: t.Optional(Duration('Base delay between task attempts, doubled per attempt (default 0s).')),
      },
      'Task-level retry of controller-side failures.',
    ),
  ),
  message_retry: t.Optional(
    strict(
      {
        max_attempts: t.Optional(Int(1, INT32_MAX, 'Attempts per agent message (default retry.max_attempts).')),
        backoff: t.Optional(Duration('Base delay between message attempts (default retry.backoff).')),
        max_backoff: t.Optional(Duration('Upper bound of the message retry delay (default 24h).')),
        jitter: t.Optional(Enum(['none', 'full', 'equal'], 'Jitter applied to the delay (default full).')),
        non_retryable: t.Optional(StringList('Error substrings that are never retried.')),
      },
      'Per-message retry in the message-driven engine.',
    ),
  ),
  requirements: t.Optional(
    strict(
      {
        region: t.Optional(t.String({ description: 'Worker region (case-insensitive match).' })),
        gpu: t.Optional(t.Boolean({ description: 'Needs a GPU worker.' })),
        model: t.Optional(t.String({ description: 'Model the worker must support.' })),
      },
      'Worker placement hints.',
    ),
  ),
};

export const taskSpecSchema = strict(taskSpecProps);

/** The TaskSpec schema embedded as `task_template` in TaskSchedule and TaskWebhook. */
export const taskTemplateSchema = (description: string) => strict(taskSpecProps, description);

/** Trims a string field and removes it when it ends up empty (so "required" reads naturally). */
export function trimOrDrop(obj: Record<string, any>, key: string): void {
  obj[key] = trim(obj[key]);
  if (obj[key] === '' || obj[key] === null) delete obj[key];
}

/** Writes the TaskSpec defaults in place; tolerates wrong types (the schema reports those). */
export function normalizeTaskSpec(s: Spec): Spec {
  trimOrDrop(s, 'system');
  s.mode = lower(s.mode);
  setDefault(s, 'mode', 'run');
  if (s.input === undefined || s.input === null) s.input = {};
  s.priority = trim(s.priority);
  setDefault(s, 'priority', 'normal');
  if (s.max_turns === undefined || s.max_turns === null) s.max_turns = 0;
  const retry = child(s, 'retry');
  if (retry) {
    positiveOr(retry, 'max_attempts', 1);
    retry.backoff = trim(retry.backoff);
    setDefault(retry, 'backoff', '0s');
  }
  const mr = child(s, 'message_retry');
  if (mr) {
    const attempts = typeof retry?.max_attempts === 'number' && retry.max_attempts > 0 ? retry.max_attempts : 1;
    positiveOr(mr, 'max_attempts', attempts);
    mr.backoff = trim(mr.backoff);
    // An invalid retry.backoff is reported once, at its own path, not copied here as well.
    setDefault(mr, 'backoff', isDuration(retry?.backoff) ? retry!.backoff : '0s');
    mr.max_backoff = trim(mr.max_backoff);
    setDefault(mr, 'max_backoff', '24h');
    mr.jitter = lower(mr.jitter);
    setDefault(mr, 'jitter', 'full');
    if (mr.non_retryable !== undefined) mr.non_retryable = dedupe(mr.non_retryable, true);
  }
  if (isObj(s.requirements)) {
    trimOrDrop(s.requirements, 'region');
    trimOrDrop(s.requirements, 'model');
  }
  return s;
}

/**
 * Cross-field rules of a (well-typed, normalized) TaskSpec under `prefix` ("spec" or
 * "spec.task_template"). Templates embedded in schedules and webhooks always need `system`.
 */
export function validateTaskSpec(s: Spec, prefix: string, opts: { requireSystem?: boolean } = {}): Cause[] {
  const causes: Cause[] = [];
  if (!s.system && opts.requireSystem) causes.push({ field: `${prefix}.system`, message: 'is required' });
  else if (!s.system && s.mode === 'run') causes.push({ field: `${prefix}.system`, message: 'is required when mode is run' });
  return causes;
}

/** The task_ref / task_template pair of TaskSchedule and TaskWebhook: exactly one, well formed. */
export function validateTaskSource(s: Spec): Cause[] {
  const hasRef = typeof s.task_ref === 'string' && s.task_ref !== '';
  const hasTemplate = isObj(s.task_template);
  if (hasRef && hasTemplate) return [{ field: 'spec.task_template', message: 'must not be set together with spec.task_ref (use exactly one)' }];
  if (!hasRef && !hasTemplate) return [{ field: 'spec.task_ref', message: 'is required unless spec.task_template is set' }];
  if (hasTemplate) return validateTaskSpec(s.task_template, 'spec.task_template', { requireSystem: true });
  return [];
}

/** Normalizes the shared task_ref / task_template fields of schedules and webhooks. */
export function normalizeTaskSource(s: Spec): void {
  trimOrDrop(s, 'task_ref');
  if (s.task_template === null) delete s.task_template;
  if (isObj(s.task_template)) normalizeTaskSpec(s.task_template);
}

const Entries = (description: string) => t.Array(t.Record(t.String(), t.Unknown()), { description });

const status = statusSchema(PHASES, {
  startedAt: t.Optional(t.String({ description: 'RFC 3339 time the current run started.' })),
  completedAt: t.Optional(t.String({ description: 'RFC 3339 time the task finished.' })),
  nextAttemptAt: t.Optional(t.String({ description: 'RFC 3339 time of the next retry attempt.' })),
  attempts: t.Optional(Int(0, INT32_MAX, 'Attempts used so far.')),
  output: t.Optional(StringMap('Task results (output.result holds the final answer).')),
  assignedWorker: t.Optional(t.String({ description: 'Worker the scheduler assigned (placement hint).' })),
  claimedBy: t.Optional(t.String({ description: 'Worker holding the lease.' })),
  leaseUntil: t.Optional(t.String({ description: 'RFC 3339 lease expiry.' })),
  leaseToken: t.Optional(t.String({ description: 'Minted at each claim; writes by the lease holder must present it (fencing).' })),
  lastHeartbeat: t.Optional(t.String({ description: 'RFC 3339 time of the last lease renewal.' })),
  record_counts: t.Optional(
    t.Record(t.String(), Int(0, INT32_MAX, 'Records held.'), { description: 'How many records each record stream holds (messages, trace, history, message_idempotency); kept by the server.' }),
  ),
  trace: t.Optional(Entries('Execution trace events.')),
  history: t.Optional(Entries('Lifecycle history (claims, retries, assignments).')),
  messages: t.Optional(Entries('Agent messages of the message-driven engine.')),
  message_idempotency: t.Optional(Entries('Processed-message idempotency records.')),
  join_states: t.Optional(Entries('Join gate state per graph node.')),
  delegation_states: t.Optional(Entries('Delegation round-trip state.')),
  blocked_on: t.Optional(
    t.Object(
      { kind: t.Optional(t.String()), name: t.Optional(t.String()), reason: t.Optional(t.String()) },
      { additionalProperties: true, description: 'The approval a WaitingApproval task waits for.' },
    ),
  ),
});

export const task = defineKind({
  kind: 'Task',
  plural: 'tasks',
  description: 'One run of an AgentSystem (mode run) or a template copied by schedules and webhooks (mode template).',
  spec: taskSpecSchema,
  status,
  // Messages, trace, history and idempotency records live in their own table: a hop appends its
  // rows and rewrites a small summary, whatever the length of the trace.
  records: RECORDS,
  phases: [...PHASES],
  normalize: (s) => normalizeTaskSpec(s),
  validate: (s) => validateTaskSpec(s, 'spec'),
  // Status events of a running task say what changed (phase, attempts, lease, output, error) and
  // how many records it holds; the records themselves are read from the Task or its watch.
  eventStatus(st: Status): Status {
    const out: Status = {};
    const counts: Record<string, number> = { ...(isObj(st.record_counts) ? st.record_counts : {}) };
    for (const [k, v] of Object.entries(st)) {
      if (STATUS_ARRAYS.includes(k)) counts[k] = Array.isArray(v) ? v.length : 0;
      else if (k !== 'record_counts') out[k] = v;
    }
    return { ...out, record_counts: counts };
  },
  prepareStatus(st: Status): Status {
    // Record streams are not part of the stored summary (the registry shows them on reads).
    for (const k of STATUS_ARRAYS) if ((st[k] === undefined || st[k] === null) && !(k in RECORDS)) st[k] = [];
    if (st.blocked_on === null) delete st.blocked_on;
    else if (isObj(st.blocked_on)) {
      const b: Record<string, any> = { ...st.blocked_on };
      for (const k of ['kind', 'name', 'reason']) if (b[k] !== undefined) b[k] = trim(b[k]);
      if (!b.kind && !b.name && !b.reason) delete st.blocked_on;
      else st.blocked_on = b;
    }
    return st;
  },
});
