// GET /v1/tasks/{name}/messages as a pure function over a Task: the shared query filter (phase,
// agents, branch, trace, limit), its 400s, and the response shape with lifecycle counts.
import { Type as t, type Static } from '@sinclair/typebox';
import { BadRequest, type Cause } from '../../errors';
import type { StoredObject } from '../../registry/kind';

export const LIFECYCLES = ['queued', 'running', 'retrypending', 'succeeded', 'deadletter'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];
const KNOWN = new Set<string>(LIFECYCLES);
export const isLifecycle = (v: string): v is Lifecycle => KNOWN.has(v);

export type ObservabilityQuery = Record<string, string | undefined>;
/** One stored record of Task.status.messages (see TaskMessage in runtime/engine/types.ts). */
export type MessageRecord = Record<string, unknown>;

export interface MessageFilter {
  phases: Set<string>;
  phaseFiltered: boolean;
  /** Lower-cased, trimmed; empty means "any". */
  from_agent: string;
  to_agent: string;
  branch_id: string;
  trace_id: string;
  /** Keep only the last N matches; 0 keeps all. */
  limit: number;
}

const EQUALITY_FILTERS = ['from_agent', 'to_agent', 'branch_id', 'trace_id'] as const;

/** A message field as a trimmed string ('' when absent or not a string). */
export function text(m: MessageRecord, key: string): string {
  const v = m[key];
  return typeof v === 'string' ? v.trim() : '';
}

/** Lower-cased, trimmed, `-`/`_` removed, `success` read as `succeeded` (unknown phases stay unknown). */
export function lifecycleOf(raw: unknown): string {
  const v = (typeof raw === 'string' ? raw : '').trim().toLowerCase().replace(/[-_]/g, '');
  return v === 'success' ? 'succeeded' : v;
}

/** Parses the filter query; every problem is reported at once, each naming its parameter. */
export function parseMessageFilter(query: ObservabilityQuery): MessageFilter {
  const causes: Cause[] = [];
  const phases = new Set<string>();
  const phaseParam = query.phase?.trim() ? 'phase' : 'lifecycle';
  for (const item of (query[phaseParam] ?? '').split(',')) {
    const value = lifecycleOf(item);
    if (!value) continue;
    if (isLifecycle(value)) phases.add(value);
    else causes.push({ field: phaseParam, message: `"${item.trim()}" is not a phase; expected one of ${LIFECYCLES.join(', ')}` });
  }
  let limit = 0;
  const rawLimit = query.limit?.trim() ?? '';
  if (rawLimit !== '') {
    const n = /^\+?\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (Number.isSafeInteger(n)) limit = n;
    else causes.push({ field: 'limit', message: `must be a non-negative integer, got "${rawLimit}"` });
  }
  if (causes.length) throw new BadRequest(causes.map((c) => `${c.field}: ${c.message}`).join('; '), { causes });
  const eq = (k: string) => (query[k] ?? '').trim().toLowerCase();
  return {
    phases,
    phaseFiltered: phases.size > 0,
    from_agent: eq('from_agent'),
    to_agent: eq('to_agent'),
    branch_id: eq('branch_id'),
    trace_id: eq('trace_id'),
    limit,
  };
}

/**
 * `base`: the task's messages that pass the agent/branch/trace filters; `selected`: those of
 * `base` whose phase is asked for, cut to the last `limit`.
 */
export function selectMessages(task: StoredObject, filter: MessageFilter): { base: MessageRecord[]; selected: MessageRecord[] } {
  const all: unknown[] = Array.isArray(task.status?.messages) ? task.status.messages : [];
  const base = all.filter(
    (m): m is MessageRecord =>
      typeof m === 'object' && m !== null && EQUALITY_FILTERS.every((k) => !filter[k] || text(m as MessageRecord, k).toLowerCase() === filter[k]),
  );
  let selected = filter.phaseFiltered ? base.filter((m) => filter.phases.has(lifecycleOf(m.phase))) : base;
  if (filter.limit > 0 && selected.length > filter.limit) selected = selected.slice(-filter.limit);
  return { base, selected };
}

const count = (description: string) => t.Integer({ minimum: 0, description });

export const LifecycleCounts = t.Object(
  {
    queued: count('Queued messages.'),
    running: count('Messages being processed.'),
    retrypending: count('Messages waiting for a retry.'),
    succeeded: count('Processed messages.'),
    deadletter: count('Messages that gave up.'),
  },
  { description: 'Messages per lifecycle phase, over the filtered_from set.' },
);
export type LifecycleCounts = Static<typeof LifecycleCounts>;

export const TaskMessagesResponse = t.Object(
  {
    name: t.String(),
    namespace: t.String(),
    total: count('Messages returned.'),
    filtered_from: count('Messages that passed the agent, branch and trace filters (before phase and limit).'),
    lifecycle_counts: LifecycleCounts,
    messages: t.Array(t.Record(t.String(), t.Unknown()), {
      description:
        'TaskMessage records, oldest first: timestamp, message_id, idempotency_key, task_id, attempt, system, from_agent, to_agent, branch_id, parent_branch_id, type, content, trace_id, parent_id, phase, attempts, max_attempts, last_error, worker, processed_at, next_attempt_at, delegate_of.',
    }),
  },
  { description: 'The agent messages of one task.' },
);
export type TaskMessagesResponse = Static<typeof TaskMessagesResponse>;

export function lifecycleCounts(messages: MessageRecord[]): LifecycleCounts {
  const counts: LifecycleCounts = { queued: 0, running: 0, retrypending: 0, succeeded: 0, deadletter: 0 };
  for (const m of messages) {
    const phase = lifecycleOf(m.phase);
    if (isLifecycle(phase)) counts[phase]++;
  }
  return counts;
}

export function queryMessages(task: StoredObject, query: ObservabilityQuery): TaskMessagesResponse {
  return messagesView(task, parseMessageFilter(query));
}

/** queryMessages with the filter already parsed (callers validate the query before a lookup). */
export function messagesView(task: StoredObject, filter: MessageFilter): TaskMessagesResponse {
  const { base, selected } = selectMessages(task, filter);
  return {
    name: task.metadata.name,
    namespace: task.metadata.namespace,
    total: selected.length,
    filtered_from: base.length,
    lifecycle_counts: lifecycleCounts(base),
    messages: selected,
  };
}
