// Task.status bookkeeping shared by every engine transition: deterministic message ids, new
// message records, trace rows with step ids, history, the output map and the array caps.
import type { Status } from '../../registry/kind';
import { redactSecrets } from '../models/redact';
import { TERMINAL_MESSAGE_PHASES, type TaskMessage, type TraceRow } from './types';

export const CAPS = { trace: 1000, history: 200, messages: 500, idempotency: 2000, joins: 200, output: 256 * 1024 };

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const idPart = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, '_');

export function messageId(ns: string, task: string, attempt: number, branch: string, hop: number, from: string, to: string): string {
  return `${ns}/${task}/a${pad(attempt, 3)}/${branch}/h${pad(hop, 3)}/${idPart(from)}/${idPart(to)}`;
}

export const traceId = (ns: string, task: string, attempt: number) => `${ns}/${task}/a${pad(attempt, 3)}`;

/** Hop number of a message id: kickoffs are hop 1, each hand-off one more (the turns taken). */
export function hopOf(id: string): number {
  const m = /\/h(\d+)\//.exec(id);
  return m ? Number(m[1]) : 1;
}

export interface NewMessage {
  from: string;
  to: string;
  type: TaskMessage['type'];
  content: string;
  branch: string;
  parentBranch?: string;
  parent?: TaskMessage;
  delegateOf?: string;
  round?: number;
  /** Hop (turn) number; default: the parent's plus one, or 1 for a kickoff. */
  hop?: number;
  /** Appended to the derived id (join releases name their round). */
  suffix?: string;
}

export interface TaskCtx {
  namespace: string;
  name: string;
  attempt: number;
  system: string;
  maxAttempts: number;
  now: string;
}

export function newMessage(ctx: TaskCtx, m: NewMessage): TaskMessage {
  const hop = m.hop ?? (m.parent ? hopOf(m.parent.message_id) + 1 : 1);
  const id = messageId(ctx.namespace, ctx.name, ctx.attempt, m.branch, hop, m.from, m.to) + (m.suffix ?? '');
  return {
    timestamp: ctx.now,
    message_id: id,
    idempotency_key: id,
    task_id: `${ctx.namespace}/${ctx.name}`,
    attempt: ctx.attempt,
    system: ctx.system,
    from_agent: m.from,
    to_agent: m.to,
    branch_id: m.branch,
    ...(m.parentBranch ? { parent_branch_id: m.parentBranch } : {}),
    type: m.type,
    content: m.content.length > CAPS.output ? `${m.content.slice(0, CAPS.output)}…[truncated]` : m.content,
    trace_id: traceId(ctx.namespace, ctx.name, ctx.attempt),
    ...(m.parent ? { parent_id: m.parent.message_id } : {}),
    phase: 'Queued',
    attempts: 0,
    max_attempts: ctx.maxAttempts,
    ...(m.delegateOf ? { delegate_of: m.delegateOf } : {}),
    ...(m.round ? { round: m.round } : {}),
  };
}

export const messagesOf = (s: Status): TaskMessage[] => (Array.isArray(s.messages) ? s.messages : []);
export const isTerminal = (m: TaskMessage) => TERMINAL_MESSAGE_PHASES.has(m.phase);

export function findMessage(s: Status, id: string): TaskMessage | undefined {
  return messagesOf(s).find((m) => m.message_id === id);
}

/**
 * Adds messages, dropping the oldest finished ones beyond the cap (never one still in flight).
 * An id that already exists is not added twice: a message is processed once.
 */
export function addMessages(s: Status, added: TaskMessage[]): void {
  const known = new Set(messagesOf(s).map((m) => m.message_id));
  const fresh = added.filter((m) => !known.has(m.message_id) && known.add(m.message_id));
  const all = [...messagesOf(s), ...fresh];
  let excess = all.length - CAPS.messages;
  s.messages = excess > 0 ? all.filter((m) => !(excess > 0 && isTerminal(m) && excess-- > 0)) : all;
}

/** Appends trace rows with step ids `a<attempt>.s<seq>` numbered per attempt, redacted. */
export function addTrace(s: Status, attempt: number, rows: TraceRow[], secrets: string[] = []): void {
  const trace: TraceRow[] = Array.isArray(s.trace) ? s.trace : [];
  const prefix = `a${pad(attempt, 3)}.s`;
  let seq = 0;
  for (let i = trace.length - 1; i >= 0; i--) {
    const id = trace[i].step_id;
    if (id?.startsWith(prefix)) {
      seq = Number(id.slice(prefix.length));
      break;
    }
  }
  for (const row of rows) {
    const clean: TraceRow = { ...row, attempt, step_id: `${prefix}${pad(++seq, 4)}` };
    if (clean.message) clean.message = redactSecrets(clean.message, secrets);
    trace.push(clean);
  }
  s.trace = trace.slice(-CAPS.trace);
}

export function addHistory(s: Status, type: string, worker: string, message: string, now: string): void {
  const history = Array.isArray(s.history) ? s.history : [];
  history.push({ timestamp: now, type, worker, message });
  s.history = history.slice(-CAPS.history);
}

export function addIdempotency(s: Status, m: TaskMessage, state: 'completed' | 'deadletter', worker: string, now: Date): void {
  const rows = Array.isArray(s.message_idempotency) ? s.message_idempotency : [];
  rows.push({
    key: m.idempotency_key,
    message_id: m.message_id,
    state,
    updated_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
    worker,
  });
  s.message_idempotency = rows.slice(-CAPS.idempotency);
}

/** Sets output keys (values capped at 256 KiB). */
export function setOutput(s: Status, values: Record<string, string | number | undefined>): void {
  const out: Record<string, string> = { ...(s.output ?? {}) };
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const text = String(v);
    out[k] = text.length > CAPS.output ? `${text.slice(0, CAPS.output)}…[truncated]` : text;
  }
  s.output = out;
}

export function addTokens(s: Status, used: number, estimated: boolean): number {
  const out = s.output ?? {};
  const total = (Number(out.tokens_used_total) || 0) + used;
  setOutput(s, {
    tokens_used_total: total,
    tokens_estimated_total: (Number(out.tokens_estimated_total) || 0) + (estimated ? used : 0),
  });
  return total;
}
