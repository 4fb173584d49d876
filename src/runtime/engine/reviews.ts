// Review checkpoints: a graph node's `review` (agent_output) and the system's `completion_review`
// (task_output) pause the task on a TaskApproval whose resume_context freezes what approval does.
import { createHash } from 'node:crypto';
import type { EventPublisher } from '../../events/publisher';
import type { Status, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';
import { pauseTask, type ApprovalKind } from './approvals';
import { attemptMessages, outputOnSuccess, type Ending } from './endings';
import { nodeOf } from './graph';
import { addIdempotency, addMessages, findMessage, isTerminal, setOutput, type TaskCtx } from './records';
import type { RouteDecision } from './routing';
import type { ReviewRequest, TaskMessage } from './types';

export interface ReviewPlan {
  checkpoint: Record<string, any>;
  type: 'agent_output' | 'task_output';
  /** The hand-offs approval publishes (none: approval completes the message). */
  next: TaskMessage[];
}

/** Deterministic per message, checkpoint and cycle, so a re-run pause finds the same approval. */
export function reviewName(taskUid: string, messageId: string, checkpoint: string, cycle: number): string {
  return `tr-${createHash('sha256').update(`${taskUid}\u0000${messageId}\u0000${checkpoint}\u0000${cycle}`).digest('hex').slice(0, 20)}`;
}

/**
 * The checkpoint a finished message stops at, if any: its node's review (unless the output goes
 * to delegates first: the delegator is reviewed when it finishes), or the completion review when
 * the output ends the task (no hand-off and nothing else in flight).
 */
export function planReview(system: Record<string, any>, s: Status, ctx: TaskCtx, m: TaskMessage, decision: RouteDecision): ReviewPlan | undefined {
  if (decision.notes.some((n) => n.type === 'agent_delegation_dispatch')) return undefined;
  const review = nodeOf(system, m.to_agent)?.review as Record<string, any> | undefined;
  if (review) return { checkpoint: review, type: 'agent_output', next: decision.next };
  const completion = system.completion_review as Record<string, any> | undefined;
  if (completion && !decision.next.length && attemptMessages(s, ctx.attempt).every((x) => isTerminal(x) || x.message_id === m.message_id)) return { checkpoint: completion, type: 'task_output', next: [] };
  return undefined;
}

export interface ReviewCall {
  task: { metadata: { namespace: string; name: string; uid: string } };
  message: TaskMessage;
  plan: ReviewPlan;
  output: string;
}

/** Creates the TaskApproval for a review unless it exists (a decided one is never touched). */
export async function ensureTaskApproval(registry: Registry, events: EventPublisher, call: ReviewCall): Promise<{ name: string; phase: string }> {
  const { task, message: m, plan, output } = call;
  const { namespace, name: taskName, uid } = task.metadata;
  const def = registry.byPlural.get('task-approvals')!;
  const cycle = m.review?.cycle ?? 1;
  const id = String(plan.checkpoint.checkpoint_id);
  const name = reviewName(uid, m.message_id, id, cycle);
  const existing = await registry.findDecoded(def, namespace, name);
  if (existing) return { name, phase: existing.status?.phase || 'Pending' };
  const spec: Record<string, unknown> = {
    task_ref: `${namespace}/${taskName}`,
    checkpoint_id: id,
    checkpoint_type: plan.type,
    agent: m.to_agent,
    ...(plan.checkpoint.reason ? { reason: plan.checkpoint.reason } : {}),
    ttl: plan.checkpoint.ttl ?? '10m',
    allow_request_changes: plan.checkpoint.allow_request_changes !== false,
    max_review_cycles: plan.checkpoint.max_review_cycles ?? 3,
    review_cycle: cycle,
    ...(m.review?.supersedes ? { supersedes: m.review.supersedes } : {}),
    output,
    output_format: 'text',
    resume_context: {
      mode: 'message-driven',
      action: plan.next.length ? 'message_forward' : 'message_complete',
      system: m.system,
      producing_agent: m.to_agent,
      current_message: m.message_id,
      next_messages: plan.next,
      output,
    },
  };
  const manifest = { metadata: { name, namespace, resourceVersion: '0', labels: { 'orloj.dev/task': taskName } }, spec };
  const { object } = await registry.apply(def, manifest, { queryNamespace: namespace });
  await events.publish({
    source: 'task-runtime',
    type: 'taskapproval.created',
    kind: 'TaskApproval',
    name,
    namespace,
    message: `task approval requested: task=${taskName} checkpoint=${id} type=${plan.type} agent=${m.to_agent} cycle=${cycle}`,
    data: { task: taskName, checkpoint_id: id, checkpoint_type: plan.type, agent: m.to_agent, review_cycle: cycle, expires_at: object.status?.expires_at },
  });
  return { name, phase: object.status?.phase || 'Pending' };
}

/** The task stops for a reviewer: the message waits (not retried), no claim or lease is kept. */
export function pauseForReview(s: Status, ctx: TaskCtx, m: TaskMessage, approval: string, plan: ReviewPlan, worker: string): Ending {
  const message = `waiting for TaskApproval ${approval}: checkpoint=${plan.checkpoint.checkpoint_id} type=${plan.type} cycle=${m.review?.cycle ?? 1}`;
  return pauseTask(s, ctx, m, { kind: 'TaskApproval', name: approval, reason: 'output_review' }, 'task_approval_pending', message, worker);
}

/** What the re-run of a message after request-changes receives besides its usual input. */
export function reviewInputs(review: ReviewRequest | undefined): Record<string, string> {
  if (!review) return {};
  return {
    'review.feedback': review.feedback,
    'review.previous_output': review.previous_output,
    'review.checkpoint_id': review.checkpoint_id,
    'review.cycle': String(review.cycle),
    ...(review.requested_by ? { 'review.requested_by': review.requested_by } : {}),
    'review.supersedes': review.supersedes,
  };
}

/**
 * A decided review, applied from its frozen resume_context (never from the AgentSystem as it is
 * now): approval publishes the frozen hand-offs (or completes the message with the output kept);
 * request-changes leaves the message waiting with the feedback, so the worker runs it again.
 */
function resumeReviewed(s: Status, approval: StoredObject, at: string, now: Date): void {
  const context = (approval.spec.resume_context ?? {}) as Record<string, any>;
  const m = findMessage(s, String(context.current_message ?? ''));
  if (!m) return;
  const output = String(context.output ?? approval.spec.output ?? '');
  if (approval.status?.phase === 'ChangesRequested') {
    m.review = {
      feedback: String(approval.status.comment ?? ''),
      previous_output: output,
      checkpoint_id: String(approval.spec.checkpoint_id),
      cycle: (Number(approval.spec.review_cycle) || 1) + 1,
      ...(approval.status.decided_by ? { requested_by: String(approval.status.decided_by) } : {}),
      supersedes: approval.metadata.name,
    };
    return;
  }
  delete m.review;
  m.phase = 'Succeeded';
  m.processed_at = at;
  addIdempotency(s, m, 'completed', 'task-approval-controller', now);
  const next: TaskMessage[] = Array.isArray(context.next_messages) ? context.next_messages : [];
  setOutput(s, { last_agent: m.to_agent, last_output: output });
  if (!next.length) outputOnSuccess(s, m.to_agent, output);
  addMessages(s, next);
}

export const APPROVAL_DENIED_REVIEW = 'task approval denied';
export const APPROVAL_EXPIRED_REVIEW = 'task approval expired';

export const TASK_APPROVALS: ApprovalKind = {
  plural: 'task-approvals',
  kind: 'TaskApproval',
  row: 'task_approval',
  denied: APPROVAL_DENIED_REVIEW,
  expired: APPROVAL_EXPIRED_REVIEW,
  resume: resumeReviewed,
};
