// One message, start to finish: begin the attempt (through the join or delegation gate), run the
// target agent under the task's policies and budgets, then record the hand-offs — or the retry, or
// the dead letter — in one fenced write together with the message's own new phase.
import type { Status } from '../../registry/kind';
import { redactSecrets } from '../models/redact';
import { runAgent } from '../agent';
import { approvalName, approvalPhase, ensureToolApproval, pauseForApproval, settleApproval, APPROVAL_DENIED, APPROVAL_EXPIRED } from './approvals';
import { settleIfQuiet, endAttempt, outputOnSuccess, releaseMessage, type Ending } from './endings';
import { agentMemory, grantedMemoryTools } from './agent-memory';
import { agentTokenBudget, checkAgent, taskTokenBudget } from './governance';
import { delegateJoinSpec, joinSpec, routesOf } from './graph';
import { agentInputs } from './inputs';
import { arrive, delegateKey, gateActivatedBy, gateInputs, sourceOf, type GateKind, type GateSpec } from './joins';
import { addIdempotency, addMessages, addTokens, addTrace, findMessage, isTerminal, setOutput, type TaskCtx } from './records';
import { classify, messageRetryDelay, messageRetryPolicy, taskRetryPolicy } from './retry';
import { ensureTaskApproval, pauseForReview, planReview, reviewInputs, TASK_APPROVALS, type ReviewPlan } from './reviews';
import { route } from './routing';
import type { RunScope } from './scope';
import type { AgentRunResult, RunError, TaskMessage, TraceRow } from './types';

/** Times a message may be resumed after its run stopped before that counts as a failed attempt. */
export const MAX_RESUMES = 3;

type Begin = { kind: 'run'; message: TaskMessage; gate: Record<string, string> } | { kind: 'done' };

/** Which gate a message passes: kickoffs and releases skip joins (the kickoff never counts as a source). */
function gateFor(scope: RunScope, m: TaskMessage): { kind: GateKind; node: string } | undefined {
  if (m.type === 'delegation_return') return { kind: 'delegation_states', node: m.to_agent };
  if (m.type === 'task_handoff' && joinSpec(scope.system, m.to_agent).enabled) return { kind: 'join_states', node: m.to_agent };
  return undefined;
}

function begin(scope: RunScope, s: Status, ctx: TaskCtx, id: string, now: Date): Begin | false {
  const m = findMessage(s, id);
  if (!m || isTerminal(m)) return false;
  if (m.phase === 'RetryPending' && Date.parse(m.next_attempt_at ?? '') > now.getTime()) return false;
  const me = scope.deps.workerId;
  const base = { timestamp: ctx.now, agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id };
  // Approved while it waited: the same attempt goes on from its journal, and that costs no resume.
  const approved = m.phase === 'WaitingApproval';
  const resumed = m.phase === 'Running' || approved;
  if (approved) {
    m.phase = 'Running';
    addTrace(s, ctx.attempt, [{ ...base, type: 'agent_message_resumed', message: `resumed by ${me} after ${m.review ? `changes were requested (review cycle ${m.review.cycle})` : 'tool approval'}` }]);
  } else if (!resumed) {
    m.phase = 'Running';
    m.attempts += 1;
    delete m.next_attempt_at;
    delete m.resumes;
    addTrace(s, ctx.attempt, [{ ...base, type: 'agent_message_received', message: `attempt ${m.attempts}/${m.max_attempts} from ${m.from_agent}` }]);
  } else {
    // Left Running by a run that stopped (a crash, a lost lease, a restart). Resuming is free,
    // but a message that keeps taking its worker down must not do so forever.
    m.resumes = (m.resumes ?? 0) + 1;
    addTrace(s, ctx.attempt, [{ ...base, type: 'agent_message_resumed', message: `resumed by ${me} (was ${m.worker ?? 'unknown'}); resume ${m.resumes} of ${MAX_RESUMES}` }]);
    if (m.resumes > MAX_RESUMES) {
      const error: RunError = { code: 'worker_lost', reason: 'worker_lost', retryable: true, message: `the worker stopped ${m.resumes} times while running this message` };
      m.worker = me;
      fail(scope, s, ctx, m, notRun(error), now);
      return { kind: 'done' };
    }
  }
  m.worker = me;
  // A message that already fired its gate (a resumed one, or a release) runs with the gate's inputs.
  const firedJoin = gateActivatedBy(s, 'join_states', m.message_id);
  if (firedJoin) return { kind: 'run', message: m, gate: gateInputs(firedJoin, 'inbox.join') };
  const firedDelegation = gateActivatedBy(s, 'delegation_states', m.message_id);
  if (firedDelegation) return { kind: 'run', message: m, gate: gateInputs(firedDelegation, 'inbox.delegation') };
  const gate = gateFor(scope, m);
  if (!gate || resumed) return { kind: 'run', message: m, gate: {} };
  const delegation = gate.kind === 'delegation_states';
  const spec = delegation ? delegateJoinSpec(scope.system, gate.node, 1) : joinSpec(scope.system, gate.node);
  const key = delegation ? delegateKey(s, ctx.attempt, gate.node, m.branch_id) : undefined;
  const { state, result } = arrive(s, gate.kind, ctx.attempt, gate.node, spec, sourceOf(m, ctx.now, undefined, key), ctx.now);
  if (state && !delegation && m.delegate_of) state.delegate_of ??= m.delegate_of;
  if (state && result === 'activate') return { kind: 'run', message: m, gate: gateInputs(state, delegation ? 'inbox.delegation' : 'inbox.join') };
  m.phase = 'Succeeded';
  m.processed_at = ctx.now;
  addIdempotency(s, m, 'completed', me, now);
  const type = result === 'wait' ? 'agent_message_join_wait' : 'agent_message_processed';
  const counts = state ? ` received=${state.sources.length}/${state.expected} required=${state.quorum_required}` : '';
  addTrace(s, ctx.attempt, [{ ...base, type, message: `status=${result === 'wait' ? 'join_wait' : result === 'skip_node' ? 'join_skipped' : 'join_already_activated'}${counts}` }]);
  scope.ending(settleIfQuiet(s, ctx, me));
  return { kind: 'done' };
}

/** The result of an agent run that never started (refused, or lost with its worker). */
const notRun = (error: RunError): AgentRunResult => ({ output: '', steps: 0, toolCalls: 0, tokens: { input: 0, output: 0, total: 0, source: 'estimated' }, trace: [], durationMs: 0, error });

function agentRows(result: AgentRunResult, m: TaskMessage): TraceRow[] {
  return result.trace.map((row) => ({ ...row, agent: row.agent ?? m.to_agent, message_id: m.message_id, branch_id: m.branch_id }));
}

/** Runs the agent a message is addressed to; policy and budget refusals come back as errors. */
async function execute(scope: RunScope, m: TaskMessage, gate: Record<string, string>): Promise<AgentRunResult> {
  const { deps } = scope;
  const task = scope.task();
  const ns = task.metadata.namespace;
  const started = deps.clock.now().getTime();
  const { agent, problems } = await deps.resolver.agent(ns, m.to_agent);
  if (!agent) return notRun({ code: 'validation', message: problems.join('; '), retryable: false });
  const matched = scope.policies;
  const tools = [...(agent.spec.tools ?? []), ...grantedMemoryTools(agent)];
  const check = checkAgent(matched, { agent: agent.name, models: agent.endpoints.map((e) => e.default_model), tools });
  if (check.violations.length) return notRun({ code: 'policy_violation', message: check.violations.map((v) => v.message).join('; '), retryable: false });
  const memory = agentMemory(deps, agent);
  if (memory.error) return notRun(memory.error);
  const endpoints = agent.endpoints.filter((_, i) => check.allowedModelIndexes.includes(i));
  const out = task.status?.output ?? {};
  const budgets: number[] = [];
  const taskBudget = taskTokenBudget(matched);
  if (taskBudget !== undefined) budgets.push(taskBudget - (Number(out.tokens_used_total) || 0));
  const agentBudget = agentTokenBudget(matched, agent.name);
  if (agentBudget !== undefined) budgets.push(agentBudget - (Number(out[`agent.${agent.name}.tokens_used`]) || 0));
  const tokenBudget = budgets.length ? Math.min(...budgets) : undefined;
  if (tokenBudget !== undefined && tokenBudget <= 0) return notRun({ code: 'token_budget_exceeded', message: `token budget exhausted before ${agent.name} ran`, retryable: false });
  const model = endpoints[0]?.default_model;
  await deps.logs.append('Task', ns, task.metadata.name, `agent start: ${agent.name} model=${model} message=${m.message_id} attempt=${m.attempts}`);
  const result = await runAgent({
    namespace: ns,
    agent: agent.name,
    spec: agent.spec,
    endpoints,
    tools: agent.tools,
    ...(memory.memory ? { memory: memory.memory } : {}),
    authorize: await deps.resolver.toolAuthorizer(ns, agent.name, agent.spec),
    approved: async (tool) => (await approvalPhase(deps.registry, ns, approvalName(task.metadata.uid, m.message_id, tool))) === 'Approved',
    input: { ...agentInputs(task.spec.input, m, gate), ...reviewInputs(m.review) },
    gateway: deps.gateway,
    toolRuntime: deps.tools,
    secrets: deps.resolver.secrets(ns),
    journal: scope.journal,
    // A re-run after request-changes is a new run: its model calls are not replayed from the last one.
    runId: `${m.message_id}/r${m.attempts}${m.review ? `/c${m.review.cycle}` : ''}`,
    taskId: `${ns}/${task.metadata.name}`,
    traceId: m.trace_id,
    signal: scope.signal,
    clock: deps.clock,
    tokenBudget,
    onRow: (row) => progress(scope, m, row),
  });
  const line = `agent end: ${agent.name} steps=${result.steps} tool_calls=${result.toolCalls} tokens=${result.tokens.total} usage_source=${result.tokens.source} duration_ms=${Math.max(result.durationMs, deps.clock.now().getTime() - started)}${result.error ? ` error=${result.error.code}: ${result.error.message}` : ''}`;
  await deps.logs.append('Task', ns, task.metadata.name, line);
  await deps.logs.append('Agent', ns, agent.name, `task ${ns}/${task.metadata.name} message ${m.message_id}: ${line}`);
  for (const e of endpoints) if (e.apiKey) scope.secrets.add(e.apiKey);
  return result;
}

const PROGRESS_ROWS = new Set(['model_call', 'model_error', 'tool_call', 'tool_error', 'tool_permission_denied']);

/**
 * Live output of a long agent turn, before its message is recorded: each model and tool call goes
 * to the task's log and, as a task.agent_step event, to the event stream.
 */
function progress(scope: RunScope, m: TaskMessage, row: TraceRow): void {
  if (!PROGRESS_ROWS.has(row.type)) return;
  // Progress is a courtesy: failing to record it must not end the agent's turn. The row is
  // reported from a synchronous callback, so the agent's turn goes on while it is recorded.
  void reportProgress(scope, m, row).catch((e) => {
    scope.deps.log.warn('could not record agent progress', { message: m.message_id, error: String((e as Error)?.message ?? e) });
  });
}

async function reportProgress(scope: RunScope, m: TaskMessage, row: TraceRow): Promise<void> {
  const { namespace, name } = scope.task().metadata;
  const detail = [row.tool && `tool=${row.tool}`, row.tokens !== undefined && `tokens=${row.tokens}`, row.latency_ms !== undefined && `latency_ms=${row.latency_ms}`, row.error_code && `error=${row.error_code}`].filter(Boolean).join(' ');
  const message = `agent step: ${m.to_agent} step=${row.step ?? 0} ${row.type}${detail ? ` ${detail}` : ''}`;
  await scope.deps.logs.append('Task', namespace, name, message);
  await scope.deps.events.publish({
    source: 'task-runtime',
    type: 'task.agent_step',
    kind: 'Task',
    name,
    namespace,
    message,
    data: { agent: m.to_agent, message_id: m.message_id, step: row.step, type: row.type, tool: row.tool, tokens: row.tokens, latency_ms: row.latency_ms, error_code: row.error_code },
  });
}

function recordTokens(s: Status, m: TaskMessage, result: AgentRunResult): void {
  if (!result.tokens.total) return;
  addTokens(s, result.tokens.total, result.tokens.source !== 'provider');
  const key = `agent.${m.to_agent}.tokens_used`;
  setOutput(s, { [key]: (Number(s.output?.[key]) || 0) + result.tokens.total });
}

function succeed(scope: RunScope, s: Status, ctx: TaskCtx, m: TaskMessage, result: AgentRunResult, now: Date): void {
  const me = scope.deps.workerId;
  const base = { timestamp: ctx.now, agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id };
  const { next, notes } = route(s, ctx, scope.system, m, result.output, Number(scope.task().spec.max_turns) || 0);
  m.phase = 'Succeeded';
  m.processed_at = ctx.now;
  delete m.last_error;
  addIdempotency(s, m, 'completed', me, now);
  const handoffs: TraceRow[] = next.map((x) => ({ ...base, type: 'agent_message', message: `${x.from_agent} -> ${x.to_agent} id=${x.message_id}` }));
  const status = next.length ? `forwarded to=${next.map((x) => x.to_agent).join(',')}` : 'succeeded';
  addTrace(s, ctx.attempt, [...agentRows(result, m), ...notes, { ...base, type: 'agent_message_processed', message: `status=${status}`, tokens: result.tokens.total }, ...handoffs], [...scope.secrets]);
  setOutput(s, { last_agent: m.to_agent, last_output: result.output, last_steps: result.steps, last_tool_calls: result.toolCalls, last_tokens_used: result.tokens.total });
  if (!next.length) outputOnSuccess(s, m.to_agent, result.output);
  addMessages(s, next);
  beginNew(scope, s, ctx, next, true);
  scope.ending(settleIfQuiet(s, ctx, me));
}

function fail(scope: RunScope, s: Status, ctx: TaskCtx, m: TaskMessage, result: AgentRunResult, now: Date): void {
  const me = scope.deps.workerId;
  const error = result.error!;
  const task = scope.task();
  const policy = messageRetryPolicy(task.spec);
  const { retryable, reason } = classify(error, policy);
  const text = redactSecrets(`${error.code}: ${error.message}`, [...scope.secrets]);
  const base = { timestamp: ctx.now, agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id, error_code: error.code, error_reason: reason, retryable };
  const rows = agentRows(result, m);
  m.last_error = text;
  if (retryable && m.attempts < m.max_attempts) {
    const at = new Date(now.getTime() + messageRetryDelay(policy, m.attempts, m.idempotency_key)).toISOString();
    m.phase = 'RetryPending';
    m.next_attempt_at = at;
    addTrace(s, ctx.attempt, [...rows, { ...base, type: 'agent_message_retry_scheduled', message: `attempt ${m.attempts}/${m.max_attempts} failed (${text}); next at ${at}` }], [...scope.secrets]);
    return;
  }
  m.phase = 'DeadLetter';
  m.processed_at = ctx.now;
  addIdempotency(s, m, 'deadletter', me, now);
  const dead: TraceRow[] = [...(retryable ? [] : [{ ...base, type: 'agent_message_non_retryable', message: text }]), { ...base, type: 'agent_message_deadletter', message: `dead-lettered after ${m.attempts} attempts: ${text}` }];
  addTrace(s, ctx.attempt, [...rows, ...dead], [...scope.secrets]);
  if (reportFailure(scope, s, ctx, m, text)) {
    scope.ending(settleIfQuiet(s, ctx, me));
    return;
  }
  const why = `message ${m.message_id} dead-lettered after ${m.attempts} attempt${m.attempts === 1 ? '' : 's'}: ${text}`;
  scope.ending(endAttempt(s, ctx, me, why, retryable, taskRetryPolicy(task.spec), now.getTime()));
}

/**
 * A failed branch is handed to the gates that tolerate failures instead of ending the attempt:
 * the joins right after the failed agent (every one of its routes must lead to such a join), or
 * the delegation gate of the delegator it worked for. Returns false when nothing takes it.
 */
function reportFailure(scope: RunScope, s: Status, ctx: TaskCtx, m: TaskMessage, text: string): boolean {
  const targets: { kind: GateKind; node: string; spec: GateSpec; key?: string }[] = [];
  const routes = routesOf(scope.system, m.to_agent);
  const joins = routes.map((r) => ({ node: r.to, spec: joinSpec(scope.system, r.to) })).filter((j) => j.spec.enabled && j.spec.onFailure !== 'deadletter');
  if (routes.length && joins.length === routes.length) targets.push(...joins.map((j) => ({ kind: 'join_states' as const, ...j })));
  else if (!routes.length && m.delegate_of) {
    const spec = delegateJoinSpec(scope.system, m.delegate_of, 1);
    if (spec.onFailure !== 'deadletter') targets.push({ kind: 'delegation_states', node: m.delegate_of, spec, key: delegateKey(s, ctx.attempt, m.delegate_of, m.branch_id) });
  }
  if (!targets.length) return false;
  const releases: TaskMessage[] = [];
  for (const t of targets) {
    const { state, result } = arrive(s, t.kind, ctx.attempt, t.node, t.spec, sourceOf(m, ctx.now, text, t.key), ctx.now);
    if (!state || result !== 'activate') continue;
    const release = releaseMessage(ctx, t.kind, state);
    state.activated_by = release.message_id;
    releases.push(release);
  }
  addMessages(s, releases);
  return true;
}

/**
 * Begins new messages in the write that creates them when nothing stands between them and their
 * agent (no join or delegation gate) and a branch slot is free to run them at once: one write per
 * hop instead of two. The others stay Queued until a slot frees.
 */
export function beginNew(scope: RunScope, s: Status, ctx: TaskCtx, created: TaskMessage[], finishing: boolean): void {
  for (const m of created) {
    if (scope.room(finishing) <= 0) return;
    if (gateFor(scope, m) || findMessage(s, m.message_id) !== m) continue;
    m.phase = 'Running';
    m.attempts = 1;
    m.worker = scope.deps.workerId;
    addTrace(s, ctx.attempt, [{ timestamp: ctx.now, agent: m.to_agent, message_id: m.message_id, branch_id: m.branch_id, type: 'agent_message_received', message: `attempt 1/${m.max_attempts} from ${m.from_agent}` }]);
    scope.begun(m.message_id);
  }
}

/**
 * Processes one message of the running task; resolves when its outcome is recorded (or fenced
 * out). False when the message could not even begin, so the caller backs off instead of spinning.
 */
export async function processMessage(scope: RunScope, id: string, begunHere = false): Promise<boolean> {
  let began: Begin | undefined;
  const current = begunHere ? findMessage(scope.task().status ?? {}, id) : undefined;
  if (current?.phase === 'Running' && current.worker === scope.deps.workerId) {
    // Begun by the write that created it: straight to work.
    began = { kind: 'run', message: current, gate: {} };
  } else {
    const written = await scope.write((s, now, ctx) => {
      const b = begin(scope, s, ctx, id, now);
      if (!b) return false;
      began = b;
    });
    if (!written) return false;
  }
  if (!began) return false;
  if (began.kind !== 'run') return true;
  const m = began.message;
  const result = await execute(scope, m, began.gate);
  if (scope.signal.aborted) return true;
  // A model may repeat a key it was given: the answer is scrubbed before it is handed on or kept.
  result.output = redactSecrets(result.output, [...scope.secrets]);
  if (result.error?.approval && (await pauseFor(scope, m, result))) return true;
  if (!result.error && (await reviewFor(scope, m, result))) return true;
  await scope.write((s, now, ctx) => {
    const current = findMessage(s, id);
    if (!current || current.phase !== 'Running') return false;
    recordTokens(s, current, result);
    if (result.error) fail(scope, s, ctx, current, result, now);
    else succeed(scope, s, ctx, current, result, now);
  });
  return true;
}


/**
 * A call waits for a person: its ToolApproval is made (or found) first, then the task pauses in
 * one fenced write. The run's rows and tokens are not recorded here: the resumed message replays
 * the same steps from the journal and records them once. An approval already denied or expired
 * (decided before the task could wait for it) fails the message instead: returns false then.
 */
async function pauseFor(scope: RunScope, m: TaskMessage, result: AgentRunResult): Promise<boolean> {
  const request = result.error!.approval!;
  const { deps } = scope;
  const approval = await ensureToolApproval(deps.registry, deps.events, { task: scope.task(), message: m, request, secrets: [...scope.secrets], ttl: deps.approvalTtl });
  // Approved in the meantime: the message runs again at once (a resume), and the call is granted.
  if (approval.phase === 'Approved') return true;
  if (approval.phase !== 'Pending') {
    const message = approval.phase === 'Expired' ? APPROVAL_EXPIRED : APPROVAL_DENIED;
    result.error = { code: 'tool_approval_required', reason: `tool_approval_${approval.phase.toLowerCase()}`, retryable: false, message };
    return false;
  }
  await scope.write((s, _now, ctx) => {
    const current = findMessage(s, m.message_id);
    if (!current || current.phase !== 'Running') return false;
    scope.ending(pauseForApproval(s, ctx, current, approval.name, request, deps.workerId));
  });
  return true;
}

/**
 * Output that must be reviewed before it moves on: the hand-offs are planned without being kept
 * (a no-op write), the TaskApproval freezes them, then the task pauses in one fenced write. An
 * approval decided before the task could wait for it is applied at once. False when no checkpoint applies.
 */
async function reviewFor(scope: RunScope, m: TaskMessage, result: AgentRunResult): Promise<boolean> {
  const { deps } = scope;
  let plan: ReviewPlan | undefined;
  await scope.write((s, _now, ctx) => {
    const current = findMessage(s, m.message_id);
    if (!current || current.phase !== 'Running') return false;
    plan = planReview(scope.system, s, ctx, current, route(s, ctx, scope.system, current, result.output, Number(scope.task().spec.max_turns) || 0));
    return false;
  });
  if (!plan || scope.signal.aborted) return false;
  const reviewing = plan;
  const approval = await ensureTaskApproval(deps.registry, deps.events, { task: scope.task(), message: m, plan: reviewing, output: result.output });
  await scope.write((s, _now, ctx) => {
    const current = findMessage(s, m.message_id);
    if (!current || current.phase !== 'Running') return false;
    recordTokens(s, current, result);
    addTrace(s, ctx.attempt, agentRows(result, current), [...scope.secrets]);
    scope.ending(pauseForReview(s, ctx, current, approval.name, reviewing, deps.workerId));
  });
  if (approval.phase !== 'Pending') {
    const decided = await deps.registry.findDecoded(deps.registry.byPlural.get('task-approvals')!, scope.task().metadata.namespace, approval.name);
    if (decided) await settleApproval(deps.registry, deps.events, decided, deps.clock.now(), TASK_APPROVALS);
  }
  return true;
}
