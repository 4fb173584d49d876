// TaskApproval: a human review of agent or task output at a review checkpoint; decided through the
// approve/deny/request-changes verbs, after which its spec is frozen. Carries the frozen output
// and resume context.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Spec, type StoredObject } from '../registry/kind';
import { lower, positiveOr, setDefault, trim } from '../registry/normalize';
import { Enum, statusSchema, strict, Int, INT32_MAX } from './common';
import { Duration, Ref } from './formats';
import { trimOrDrop } from './task';
import { approvalStatus, approvalStatusFields, decidedSpecLock } from './tool-approval';

const PHASES = ['Pending', 'Approved', 'Denied', 'ChangesRequested', 'Expired'] as const;

/**
 * Why request-changes is refused on this approval (the checkpoint forbids it, or the last review
 * cycle is reached: review_cycle >= max_review_cycles), as the reason of a 409, or undefined.
 */
export function requestChangesRefusal(o: StoredObject): string | undefined {
  const s = o.spec;
  const what = `TaskApproval "${o.metadata.name}"`;
  if (s.allow_request_changes === false) return `${what} does not allow request-changes (allow_request_changes is false): approve or deny it`;
  const cycle = s.review_cycle ?? 1;
  const max = s.max_review_cycles ?? 3;
  if (cycle >= max) return `${what} is at review cycle ${cycle} of max_review_cycles ${max}: no more changes can be requested; approve or deny it`;
  return undefined;
}

const spec = strict({
  task_ref: Ref('Task under review, as name or namespace/name.'),
  checkpoint_id: t.String({ description: 'Review checkpoint that paused the task.' }),
  checkpoint_type: t.Optional(Enum(['agent_output', 'task_output'], 'What is reviewed (default agent_output).')),
  agent: t.Optional(t.String({ description: 'Agent that produced the output.' })),
  reason: t.Optional(t.String({ description: 'Why review is needed.' })),
  ttl: t.Optional(Duration('How long the review stays Pending before it expires (default 10m).')),
  allow_request_changes: t.Optional(t.Boolean({ description: 'Whether request-changes is allowed (default true).' })),
  max_review_cycles: t.Optional(Int(1, INT32_MAX, 'Review rounds allowed (default 3).')),
  review_cycle: t.Optional(Int(1, INT32_MAX, 'Current review round, from 1 (default 1).')),
  supersedes: t.Optional(Ref('Previous TaskApproval of this review chain.')),
  output: t.Optional(t.Unknown({ description: 'Frozen output under review: text or any JSON value.' })),
  output_format: t.Optional(Enum(['text', 'json'], 'Format of output (default text for a string or no output, json otherwise).')),
  resume_context: t.Optional(t.Record(t.String(), t.Unknown(), { description: 'Runtime-owned data used to resume the task (default {}).' })),
});

export const taskApproval = defineKind({
  kind: 'TaskApproval',
  plural: 'task-approvals',
  description: 'A pending human review of agent or task output; decided with POST …/approve, …/deny or …/request-changes, after which its spec cannot change.',
  spec,
  status: statusSchema(PHASES, approvalStatusFields(['approved', 'denied', 'request_changes'])),
  phases: [...PHASES],
  normalize(s: Spec) {
    for (const k of ['task_ref', 'checkpoint_id', 'agent', 'reason', 'supersedes']) trimOrDrop(s, k);
    s.checkpoint_type = lower(s.checkpoint_type);
    setDefault(s, 'checkpoint_type', 'agent_output');
    s.ttl = trim(s.ttl);
    setDefault(s, 'ttl', '10m');
    if (s.allow_request_changes === undefined || s.allow_request_changes === null) s.allow_request_changes = true;
    positiveOr(s, 'max_review_cycles', 3);
    positiveOr(s, 'review_cycle', 1);
    if (s.output === null) delete s.output;
    s.output_format = lower(s.output_format);
    setDefault(s, 'output_format', s.output === undefined || typeof s.output === 'string' ? 'text' : 'json');
    if (s.resume_context === undefined || s.resume_context === null) s.resume_context = {};
    return s;
  },
  prepareStatus: approvalStatus,
  specLocked: decidedSpecLock,
});
