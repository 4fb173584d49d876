// How a task attempt ends, as mutations of its status: success once no message is left in flight
// (after releasing joins that can no longer fill), failure or dead letter, or a task-level retry.
import type { Status } from '../../registry/kind';
import { closeStale, release, releasable, type GateKind, type GateState } from './joins';
import { addHistory, addMessages, addTrace, hopOf, isTerminal, messagesOf, newMessage, setOutput, type TaskCtx } from './records';
import type { TaskRetryPolicy } from './retry';
import { taskRetryDelay } from './retry';
import type { TaskMessage } from './types';

export type Ending =
  | { phase: 'Succeeded' }
  | { phase: 'Failed' | 'DeadLetter'; error: string }
  | { phase: 'Pending'; error: string; at: string }
  | { phase: 'WaitingApproval'; approval: string };

export const attemptMessages = (s: Status, attempt: number): TaskMessage[] => messagesOf(s).filter((m) => m.attempt === attempt);

function clearClaim(s: Status): void {
  delete s.claimedBy;
  delete s.leaseUntil;
  delete s.leaseToken;
}

/**
 * Called after every change of message phases: when nothing is in flight, joins that cannot fill
 * any more fire (as join_release messages), otherwise the task succeeds. Returns the ending, if any.
 */
export function settleIfQuiet(s: Status, ctx: TaskCtx, worker: string): Ending | undefined {
  if (s.phase !== 'Running' || attemptMessages(s, ctx.attempt).some((m) => !isTerminal(m))) return undefined;
  const releases: TaskMessage[] = [];
  for (const kind of ['join_states', 'delegation_states'] as const) {
    for (const g of releasable(s, kind, ctx.attempt)) {
      const m = releaseMessage(ctx, kind, g);
      release(g, m.message_id, ctx.now);
      releases.push(m);
    }
  }
  if (releases.length) {
    addMessages(s, releases);
    addTrace(
      s,
      ctx.attempt,
      releases.map((m) => ({ timestamp: ctx.now, type: 'agent_message_join_release', agent: m.to_agent, message_id: m.message_id, message: `nothing else can arrive: ${m.to_agent} runs with what it has` })),
    );
    return undefined;
  }
  // Nothing runs any more: gates still open can never fire.
  closeStale(s, 'join_states', ctx.attempt);
  closeStale(s, 'delegation_states', ctx.attempt);
  s.phase = 'Succeeded';
  s.completedAt = ctx.now;
  delete s.lastError;
  clearClaim(s);
  addHistory(s, 'succeeded', worker, `task succeeded after ${attemptMessages(s, ctx.attempt).length} messages`, ctx.now);
  addTrace(s, ctx.attempt, [{ timestamp: ctx.now, type: 'task_summary', tokens: Number(s.output?.tokens_used_total) || 0, message: 'task succeeded' }]);
  return { phase: 'Succeeded' };
}

/**
 * Ends the attempt after a failure: a retryable error with task attempts left goes back to
 * Pending for a new attempt; otherwise the task ends DeadLetter (retryable) or Failed.
 */
export function endAttempt(s: Status, ctx: TaskCtx, worker: string, error: string, retryable: boolean, retry: TaskRetryPolicy, nowMs: number): Ending {
  for (const m of attemptMessages(s, ctx.attempt)) {
    if (isTerminal(m)) continue;
    m.phase = 'DeadLetter';
    m.last_error = m.last_error ?? 'task attempt ended';
    m.processed_at = ctx.now;
  }
  closeStale(s, 'join_states', ctx.attempt);
  closeStale(s, 'delegation_states', ctx.attempt);
  s.lastError = error;
  clearClaim(s);
  const attempts = Number(s.attempts) || 1;
  if (retryable && attempts < retry.maxAttempts) {
    const at = new Date(nowMs + taskRetryDelay(retry, attempts)).toISOString();
    s.phase = 'Pending';
    s.nextAttemptAt = at;
    s.lastError = `${error} (retry scheduled for ${at})`;
    const { result: _r, result_agent: _a, ...rest } = s.output ?? {};
    s.output = rest;
    addHistory(s, 'retry_scheduled', worker, `attempt ${attempts} of ${retry.maxAttempts} failed; next attempt at ${at}`, ctx.now);
    return { phase: 'Pending', error, at };
  }
  s.phase = retryable ? 'DeadLetter' : 'Failed';
  s.completedAt = ctx.now;
  addHistory(s, retryable ? 'deadletter' : 'failed', worker, error, ctx.now);
  return { phase: s.phase as 'Failed' | 'DeadLetter', error };
}

/**
 * The message that runs a gate's node when the gate fires without a message of its own (released
 * at quiescence, or filled by a failed branch): one hop after its latest source, on that branch.
 */
export function releaseMessage(ctx: TaskCtx, kind: GateKind, g: GateState): TaskMessage {
  const last = g.sources[g.sources.length - 1];
  const hop = Math.max(1, ...g.sources.map((x) => hopOf(x.message_id))) + 1;
  return newMessage(ctx, {
    from: 'system',
    to: g.node,
    type: kind === 'join_states' ? 'join_release' : 'delegation_release',
    content: last?.payload ?? '',
    branch: last?.branch_id ?? 'b001',
    hop,
    suffix: `/release-r${g.round}`,
    round: g.round,
    delegateOf: kind === 'join_states' ? g.delegate_of : undefined,
  });
}

export function outputOnSuccess(s: Status, agent: string, text: string): void {
  setOutput(s, { result: text, result_agent: agent });
}
