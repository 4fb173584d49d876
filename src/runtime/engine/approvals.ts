// Tool approvals in the engine: the ToolApproval a paused call gets (one per task, message and
// tool), the status of a task that waits for it, and what a decision (or expiry) does to the task.
import { createHash } from 'node:crypto';
import type { EventPublisher } from '../../events/publisher';
import type { Status, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';
import { rfc3339 } from '../../util/time';
import { redactSecrets } from '../models/redact';
import type { Ending } from './endings';
import { addHistory, addTrace, isTerminal, messagesOf, type TaskCtx } from './records';
import type { ApprovalRequest, TaskMessage, TraceRow } from './types';

export const APPROVAL_DENIED = 'tool approval denied';
export const APPROVAL_EXPIRED = 'tool approval expired';

/** Deterministic, so pausing again on the same call finds the same approval (and its decision). */
export function approvalName(taskUid: string, messageId: string, tool: string): string {
  return `ta-${createHash('sha256').update(`${taskUid}\u0000${messageId}\u0000${tool}`).digest('hex').slice(0, 20)}`;
}

const toolApprovals = (registry: Registry) => registry.byPlural.get('tool-approvals')!;
const tasks = (registry: Registry) => registry.byPlural.get('tasks')!;

/** The phase of the approval for this call, if one exists. */
export async function approvalPhase(registry: Registry, namespace: string, name: string): Promise<string | undefined> {
  const a = await registry.findDecoded(toolApprovals(registry), namespace, name);
  return a ? a.status?.phase || 'Pending' : undefined;
}

export interface ApprovalCall {
  task: StoredObject;
  message: TaskMessage;
  request: ApprovalRequest;
  /** Values masked in the recorded input, besides the usual credential shapes. */
  secrets: string[];
  ttl: string;
}

/**
 * Creates the ToolApproval for a paused call unless it exists (applying again is a no-op, and a
 * decided approval is never touched). Returns its name and phase.
 */
export async function ensureToolApproval(registry: Registry, events: EventPublisher, call: ApprovalCall): Promise<{ name: string; phase: string }> {
  const { task, message, request } = call;
  const { namespace, name: taskName, uid } = task.metadata;
  const name = approvalName(uid, message.message_id, request.tool);
  const existing = await approvalPhase(registry, namespace, name);
  if (existing) return { name, phase: existing };
  const input = typeof request.input === 'string' ? request.input : JSON.stringify(request.input);
  const spec: Record<string, unknown> = {
    task_ref: `${namespace}/${taskName}`,
    tool: request.tool,
    agent: message.to_agent,
    input: redactSecrets(input, call.secrets),
    reason: request.reason,
    ttl: call.ttl,
  };
  if (request.operationClass) spec.operation_class = request.operationClass;
  const manifest = { metadata: { name, namespace, resourceVersion: '0', labels: { 'orloj.dev/task': taskName } }, spec };
  const { object } = await registry.apply(toolApprovals(registry), manifest, { queryNamespace: namespace });
  await events.publish({
    source: 'task-runtime',
    type: 'toolapproval.created',
    kind: 'ToolApproval',
    name,
    namespace,
    message: `tool approval requested: task=${taskName} agent=${message.to_agent} tool=${request.tool} ${request.reason}`,
    data: { task: taskName, tool: request.tool, agent: message.to_agent, operation_class: request.operationClass, expires_at: object.status?.expires_at },
  });
  return { name, phase: object.status?.phase || 'Pending' };
}

function clearClaim(s: Status): void {
  delete s.claimedBy;
  delete s.leaseUntil;
  delete s.leaseToken;
}

/**
 * The running task stops for a person: no claim or lease is kept, the message waits (not retried).
 * `row` names the trace row and history entry (`tool_approval_pending`, `task_approval_pending`).
 */
export function pauseTask(s: Status, ctx: TaskCtx, m: TaskMessage, blockedOn: { kind: string; name: string; reason: string }, row: string, message: string, worker: string, extra: Partial<TraceRow> = {}): Ending {
  m.phase = 'WaitingApproval';
  m.worker = worker;
  s.phase = 'WaitingApproval';
  s.blocked_on = blockedOn;
  clearClaim(s);
  addTrace(s, ctx.attempt, [{ timestamp: ctx.now, type: row, agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id, ...extra, message }]);
  addHistory(s, row, worker, message, ctx.now);
  return { phase: 'WaitingApproval', approval: blockedOn.name };
}

export function pauseForApproval(s: Status, ctx: TaskCtx, m: TaskMessage, approval: string, request: ApprovalRequest, worker: string): Ending {
  const message = `waiting for ToolApproval ${approval}: tool=${request.tool} ${request.reason}`;
  return pauseTask(s, ctx, m, { kind: 'ToolApproval', name: approval, reason: 'tool_approval' }, 'tool_approval_pending', message, worker, { tool: request.tool });
}

/** What differs between the approvals a task can wait for; the decision flow is shared. */
export interface ApprovalKind {
  plural: 'tool-approvals' | 'task-approvals';
  kind: 'ToolApproval' | 'TaskApproval';
  /** Prefix of trace rows and error codes: `<row>_approved`, `<row>_required`, … */
  row: 'tool_approval' | 'task_approval';
  denied: string;
  expired: string;
  /** Applies an Approved or ChangesRequested decision to the waiting message (review checkpoints). */
  resume?: (s: Status, approval: StoredObject, at: string, now: Date) => void;
}

export const TOOL_APPROVALS: ApprovalKind = { plural: 'tool-approvals', kind: 'ToolApproval', row: 'tool_approval', denied: APPROVAL_DENIED, expired: APPROVAL_EXPIRED };

/** Whether this task waits for this approval right now. */
export const waitsFor = (task: StoredObject | undefined, approval: string, kind = TOOL_APPROVALS.kind): task is StoredObject =>
  task?.status?.phase === 'WaitingApproval' && task.status.blocked_on?.kind === kind && task.status.blocked_on?.name === approval;

const RESUMING = new Set(['Approved', 'ChangesRequested']);

/** What a decided approval does to its task's status: Approved (or ChangesRequested) → Running again (unclaimed), else Failed. */
export function decidedTaskStatus(task: StoredObject, approval: StoredObject, now: Date, kind: ApprovalKind = TOOL_APPROVALS): { status: Status; resumed: boolean; error?: string } {
  const s: Status = structuredClone(task.status ?? {});
  const at = rfc3339(now);
  const phase = approval.status?.phase;
  const who = approval.status?.decided_by ? ` by ${approval.status.decided_by}` : '';
  const attempt = Number(s.attempts) || 1;
  const name = approval.metadata.name;
  const tool = approval.spec.tool ? { tool: approval.spec.tool } : {};
  const source = `${kind.row.replace('_', '-')}-controller`;
  delete s.blocked_on;
  if (RESUMING.has(phase)) {
    // Running without a claim is due at once; the claim keeps the attempt (no retry is used up).
    s.phase = 'Running';
    clearClaim(s);
    kind.resume?.(s, approval, at, now);
    const verdict = phase === 'Approved' ? 'approved' : 'changes_requested';
    const said = phase === 'Approved' ? 'approved' : 'changes requested';
    addTrace(s, attempt, [{ timestamp: at, type: `${kind.row}_${verdict}`, ...tool, message: `${kind.kind} ${name} ${said}${who}` }]);
    addHistory(s, 'resumed', source, `${kind.kind} ${name} ${said}${who}; task resumes`, at);
    return { status: s, resumed: true };
  }
  const error = phase === 'Expired' ? kind.expired : kind.denied;
  s.phase = 'Failed';
  s.lastError = error;
  s.completedAt = at;
  clearClaim(s);
  for (const m of messagesOf(s)) {
    if (isTerminal(m)) continue;
    m.phase = 'DeadLetter';
    m.last_error = error;
    m.processed_at = at;
    delete m.next_attempt_at;
  }
  addTrace(s, attempt, [{ timestamp: at, type: `${kind.row}_${phase === 'Expired' ? 'expired' : 'denied'}`, ...tool, error_code: `${kind.row}_required`, retryable: false, message: `${kind.kind} ${name} ${phase?.toLowerCase()}${who}` }]);
  addHistory(s, 'failed', source, error, at);
  return { status: s, resumed: false, error };
}

/**
 * Applies a decided approval to the task waiting for it (version-checked: a concurrent change
 * throws a Conflict and the caller tries again). Returns what happened, or undefined when no task waits.
 */
export async function settleApproval(registry: Registry, events: EventPublisher, approval: StoredObject, now: Date, kind: ApprovalKind = TOOL_APPROVALS): Promise<'resumed' | 'failed' | undefined> {
  const ref = String(approval.spec.task_ref ?? '');
  const slash = ref.indexOf('/');
  const namespace = slash < 0 ? approval.metadata.namespace : ref.slice(0, slash);
  const name = slash < 0 ? ref : ref.slice(slash + 1);
  const task = await registry.findDecoded(tasks(registry), namespace, name);
  if (!waitsFor(task, approval.metadata.name, kind.kind)) return undefined;
  const { status, resumed, error } = decidedTaskStatus(task, approval, now, kind);
  await registry.replaceStatus(tasks(registry), namespace, name, { status }, task.metadata.resourceVersion);
  const message = resumed ? `task transitioned WaitingApproval->Running: ${kind.kind} ${approval.metadata.name} ${approval.status?.phase === 'Approved' ? 'approved' : 'changes requested'}` : `task transitioned WaitingApproval->Failed reason=${error}`;
  await events.publish({
    source: 'task-controller',
    type: resumed ? 'task.resumed' : 'task.failed',
    kind: 'Task',
    name,
    namespace,
    message,
    data: { phase: status.phase, attempts: status.attempts, approval: approval.metadata.name, ...(error ? { lastError: error } : {}) },
  });
  return resumed ? 'resumed' : 'failed';
}
