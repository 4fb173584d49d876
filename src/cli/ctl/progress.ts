// Live progress of one task, as `orrery run` prints it: the event stream (model and tool calls,
// approvals, retries) and the task's own watch (agents starting, hand-offs, endings), one line
// per step as it happens.
import { parseSse, type SseEvent } from './client';
import { ApiCallError } from './errors';
import { paint, phase } from './output';
import type { CtlContext } from './context';

export interface TaskEvent {
  id?: number;
  timestamp?: string;
  source?: string;
  type?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  message?: string;
  data?: Record<string, any>;
}

/**
 * Opens `/v1/events/watch` and resolves once the server has subscribed (its headers arrived), so
 * nothing published afterwards is missed; the stream resumes from its last id if it drops.
 */
export async function openEvents(ctx: CtlContext, params: URLSearchParams, signal: AbortSignal): Promise<AsyncGenerator<SseEvent>> {
  const path = `/v1/events/watch?${params}`;
  const res = await fetch(`${ctx.server}${path}`, { headers: ctx.client.headers(), signal });
  if (!res.ok) throw new ApiCallError(res.status, (await res.json().catch(() => undefined)) as ConstructorParameters<typeof ApiCallError>[1], `GET ${path}`);
  return (async function* () {
    let last: string | undefined;
    try {
      for await (const e of parseSse(res.body!)) {
        if (e.id) last = e.id;
        yield e;
      }
    } catch (e) {
      if (signal.aborted) return;
      if (last === undefined) throw e;
    }
    if (signal.aborted) return;
    const again = new URLSearchParams(params);
    if (last) again.set('since', last);
    yield* ctx.client.events(`/v1/events/watch?${again}`, signal);
  })();
}

/** Whether an event is about the task: the Task itself, or an approval it asked for. */
export function aboutTask(e: TaskEvent, name: string): boolean {
  return (e.kind === 'Task' && e.name === name) || e.data?.task === name;
}

const approvalVerb = (kind: string | undefined) => (kind === 'ToolApproval' ? 'tool-approval' : 'task-approval');
const STEP_TYPES = new Set(['model_call', 'model_error', 'tool_call', 'tool_error', 'tool_permission_denied']);

/**
 * Turns what arrives about one task into lines, each step once: live step events (published
 * during an agent's turn) and the task's watch frames (trace rows, message phases, approvals).
 */
export class TaskFollower {
  private steps = new Set<string>();
  private started = new Set<string>();
  private rows = new Set<string>();
  private announced = new Set<string>();

  constructor(private readonly ctx: CtlContext) {}

  /** Lines for a `task.agent_step` event (others are covered by the watch). */
  event(e: TaskEvent): string[] {
    if (e.type !== 'task.agent_step' || !e.data) return [];
    return this.step({ ...e.data, agent: e.data.agent });
  }

  /** Lines for a new revision of the task. */
  task(task: any): string[] {
    const s = task?.status ?? {};
    const out: string[] = [];
    for (const row of (s.trace ?? []) as any[]) {
      const key = row.step_id ?? `${row.timestamp}|${row.type}|${row.message_id}|${row.step}`;
      if (this.rows.has(key)) continue;
      this.rows.add(key);
      out.push(...this.row(row));
    }
    // A message seen Running has its agent at work; one that ran between two frames shows up
    // through its agent_start row (join arrivals that did not run the agent have none).
    for (const m of (s.messages ?? []) as any[]) {
      if (m.phase === 'Running') out.push(...this.start(m.message_id, m.to_agent, m.attempts, m.max_attempts));
      if (m.phase === 'RetryPending') this.started.delete(m.message_id);
    }
    const blocked = s.blocked_on;
    if (s.phase === 'WaitingApproval' && blocked?.name && !this.announced.has(blocked.name)) {
      this.announced.add(blocked.name);
      out.push(...approvalLines(this.ctx, blocked.kind, blocked.name));
    }
    return out;
  }

  /** "agent started", once per attempt of a message (a retry forgets the previous one). */
  private start(id: string, agent: string, attempts?: number, max?: number): string[] {
    if (!id || this.started.has(id)) return [];
    this.started.add(id);
    return [`${paint(this.ctx, 'bold', agent)} started${(attempts ?? 1) > 1 ? ` (attempt ${attempts}/${max ?? '?'})` : ''}`];
  }

  private step(d: Record<string, any>): string[] {
    const key = `${d.message_id}|${d.step}|${d.type}|${d.tool ?? ''}`;
    if (this.steps.has(key)) return [];
    this.steps.add(key);
    return [...this.start(d.message_id, d.agent), `    ${d.agent} step ${d.step ?? 0}: ${stepText(this.ctx, d)}`];
  }

  private row(r: any): string[] {
    if (STEP_TYPES.has(r.type)) return this.step(r);
    const c = this.ctx;
    switch (r.type) {
      case 'agent_start':
        return this.start(r.message_id, r.agent);
      case 'agent_end':
        return [`${r.agent} ${r.error ? paint(c, 'red', `failed: ${r.error}`) : 'done'}${r.tokens !== undefined ? ` (${r.tokens} tokens${r.latency_ms !== undefined ? `, ${r.latency_ms} ms` : ''})` : ''}`];
      case 'agent_message':
        return [paint(c, 'gray', `  handoff ${String(r.message ?? '').replace(/ id=.*$/, '')}`)];
      case 'agent_delegation_dispatch':
      case 'agent_message_join_wait':
      case 'agent_message_join_release':
      case 'agent_message_turn_limit':
        return [paint(c, 'gray', `  ${r.agent ?? ''}: ${r.message ?? r.type}`)];
      case 'agent_message_retry_scheduled':
        return [paint(c, 'yellow', `  ${r.agent} retry scheduled: ${r.error_reason ?? r.message ?? ''}`)];
      case 'agent_message_non_retryable':
      case 'agent_message_deadletter':
      case 'task_validation_error':
        return [paint(c, 'red', `  ${r.agent ?? 'task'} ${r.type.replace(/^agent_message_|^task_/, '').replace(/_/g, ' ')}: ${r.error_reason ?? r.message ?? ''}`)];
      default:
        return [];
    }
  }
}

function approvalLines(ctx: CtlContext, kind: string | undefined, name: string): string[] {
  const ns = ctx.namespace ? ` -n ${ctx.namespace}` : '';
  return [
    `${phase(ctx, 'WaitingApproval')}: ${kind ?? 'approval'} ${name}`,
    `  approve: orrery approve ${approvalVerb(kind)} ${name}${ns}`,
    `  deny:    orrery deny ${approvalVerb(kind)} ${name}${ns}`,
  ];
}

function stepText(ctx: CtlContext, d: Record<string, any>): string {
  const latency = d.latency_ms !== undefined ? `${d.latency_ms} ms` : '';
  switch (d.type) {
    case 'model_call':
      return `model call (${d.tokens ?? 0} tokens${latency ? `, ${latency}` : ''})`;
    case 'model_error':
      return paint(ctx, 'red', `model error ${d.error_code ?? ''}`.trim());
    case 'tool_call':
      return `tool ${d.tool} ${paint(ctx, 'green', 'ok')}${latency ? ` (${latency})` : ''}`;
    case 'tool_error':
      return `tool ${d.tool} ${paint(ctx, 'red', `error ${d.error_code ?? ''}`.trim())}`;
    default:
      return `tool ${d.tool} ${paint(ctx, 'red', 'denied by policy')}`;
  }
}

/** The task watch of one task (whole objects, oldest first). */
export function watchTask(ctx: CtlContext, name: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
  return ctx.client.events(`/v1/tasks/watch?namespace=${encodeURIComponent(ctx.namespace ?? 'default')}&name=${encodeURIComponent(name)}`, signal);
}

export const TERMINAL = new Set(['Succeeded', 'Failed', 'DeadLetter']);
