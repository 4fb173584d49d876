// Fan-in and delegation gates kept in Task.status.join_states / delegation_states. A gate has one
// state per (attempt, node, round): a round closes once every expected branch has arrived, and the
// next arrival opens a new round, so a join inside a loop fires once per iteration.
import type { Status } from '../../registry/kind';
import { CAPS } from './records';
import type { TaskMessage } from './types';

export interface GateSpec {
  mode: 'wait_for_all' | 'quorum';
  expected: number;
  required: number;
  onFailure: 'deadletter' | 'skip' | 'continue_partial';
}

export interface GateSource {
  message_id: string;
  from_agent: string;
  branch_id: string;
  timestamp: string;
  payload: string;
  failed?: boolean;
  error?: string;
  /** What the gate counts once: the predecessor (joins) or the dispatched delegate branch. */
  key?: string;
}

export interface GateState {
  attempt: number;
  node: string;
  round: number;
  mode: string;
  expected: number;
  quorum_required: number;
  on_failure: string;
  activated: boolean;
  activated_at?: string;
  activated_by?: string;
  closed: boolean;
  sources: GateSource[];
  /**
   * The delegator the gate's node works for: restored when the node continues (a delegation gate:
   * its delegator's own delegator; a join inside a delegate branch: that branch's delegator).
   */
  delegate_of?: string;
  /** Delegation gates: the branches dispatched, one source each. */
  branches?: string[];
}

export type GateKind = 'join_states' | 'delegation_states';
export type GateResult = 'wait' | 'activate' | 'already_activated' | 'skip_node';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function states(s: Status, kind: GateKind): GateState[] {
  if (!Array.isArray(s[kind])) s[kind] = [];
  return s[kind];
}

/** The gate a message fired (it is the gate's activated_by). */
export function gateActivatedBy(s: Status, kind: GateKind, messageId: string): GateState | undefined {
  return states(s, kind).find((g) => g.activated_by === messageId);
}

/** Starts a new round of a node's gate (a delegation gate opens one per dispatch). */
export function openGate(s: Status, kind: GateKind, attempt: number, node: string, spec: GateSpec): GateState {
  const all = states(s, kind).filter((g) => g.attempt === attempt && same(g.node, node));
  const state: GateState = {
    attempt,
    node,
    round: all.reduce((n, g) => Math.max(n, g.round), 0) + 1,
    mode: spec.mode,
    expected: spec.expected,
    quorum_required: spec.required,
    on_failure: spec.onFailure,
    activated: false,
    closed: false,
    sources: [],
  };
  const list = states(s, kind);
  list.push(state);
  // Finished rounds go first when the list is full; a round still collecting is kept.
  let excess = list.length - CAPS.joins;
  s[kind] = excess > 0 ? list.filter((g) => !(excess > 0 && g.closed && excess-- > 0)) : list;
  return state;
}

/**
 * The round an arrival belongs to: the oldest open round that has not heard from this source yet
 * (a predecessor, or a dispatched delegate branch). A predecessor that comes round a loop again
 * before the others arrived starts the next round instead of filling this one twice.
 */
function roundFor(s: Status, kind: GateKind, attempt: number, node: string, key: string): GateState | undefined {
  return states(s, kind)
    .filter((g) => g.attempt === attempt && same(g.node, node) && !g.closed && !g.sources.some((x) => (x.key ?? x.from_agent) === key))
    .sort((a, b) => a.round - b.round)[0];
}

const successes = (g: GateState) => g.sources.filter((x) => !x.failed);

/** Whether the gate may fire now; failed branches count against `expected` unless on_failure is deadletter. */
function ready(g: GateState): boolean {
  const ok = successes(g).length;
  const failed = g.sources.length - ok;
  const required = g.on_failure === 'deadletter' ? g.quorum_required : Math.min(g.quorum_required, g.expected - failed);
  if (ok >= required && (ok > 0 || g.on_failure === 'continue_partial')) return required >= 0;
  return false;
}

/** Records one arrival (a success or a failed branch) and says what the arriving message does. */
export function arrive(
  s: Status,
  kind: GateKind,
  attempt: number,
  node: string,
  spec: GateSpec,
  source: GateSource,
  now: string,
): { state?: GateState; result: GateResult } {
  const key = source.key ?? source.from_agent;
  const found = roundFor(s, kind, attempt, node, key);
  // Delegation rounds open at dispatch: a second answer from one delegate branch changes nothing.
  if (!found && kind === 'delegation_states') return { result: 'already_activated' };
  const g = found ?? openGate(s, kind, attempt, node, spec);
  g.sources.push(source);
  const allIn = g.sources.length >= g.expected;
  if (g.activated) {
    g.closed = allIn;
    return { state: g, result: 'already_activated' };
  }
  if (ready(g)) {
    g.activated = true;
    g.activated_at = now;
    g.activated_by = source.message_id;
    g.closed = allIn;
    return { state: g, result: 'activate' };
  }
  if (allIn) {
    g.closed = true;
    return { state: g, result: 'skip_node' };
  }
  return { state: g, result: 'wait' };
}

/**
 * Open rounds that can never fill because nothing else is in flight (a conditional edge did not
 * fire, or a loop stopped): they fire with what arrived when at least one branch succeeded.
 */
export function releasable(s: Status, kind: GateKind, attempt: number): GateState[] {
  return states(s, kind).filter((g) => g.attempt === attempt && !g.activated && !g.closed && successes(g).length > 0);
}

export function release(g: GateState, by: string, now: string): void {
  g.activated = true;
  g.activated_at = now;
  g.activated_by = by;
  g.closed = true;
}

/** Closes open rounds nothing can complete any more (every branch failed, or none arrived). */
export function closeStale(s: Status, kind: GateKind, attempt: number): void {
  for (const g of states(s, kind)) if (g.attempt === attempt && !g.activated) g.closed = true;
}

/** The inbox keys an activated gate hands to its node (`inbox.join.*` or `inbox.delegation.*`). */
export function gateInputs(g: GateState, prefix: 'inbox.join' | 'inbox.delegation'): Record<string, string> {
  const ok = successes(g);
  const failed = g.sources.filter((x) => x.failed);
  return {
    [`${prefix}.enabled`]: 'true',
    [`${prefix}.mode`]: g.mode,
    [`${prefix}.received`]: String(ok.length),
    [`${prefix}.required`]: String(g.quorum_required),
    [`${prefix}.sources`]: ok.map((x) => x.from_agent).join(','),
    [`${prefix}.payloads`]: ok.map((x) => `${x.from_agent}:${x.payload}`).join(' | '),
    ...(failed.length ? { [`${prefix}.failed`]: failed.map((x) => x.from_agent).join(',') } : {}),
  };
}

/** The dispatched delegate branch a return belongs to (its branch or an ancestor of it), as the gate's source key. */
export function delegateKey(s: Status, attempt: number, node: string, branch: string): string {
  for (const g of states(s, 'delegation_states')) {
    if (g.attempt !== attempt || !same(g.node, node) || g.closed) continue;
    const hit = g.branches?.find((b) => branch === b || branch.startsWith(`${b}.`));
    if (hit) return hit;
  }
  return branch;
}

/** A message arriving at a gate; a failed branch is reported by the agent that failed. */
export function sourceOf(m: TaskMessage, now: string, failure?: string, key?: string): GateSource {
  return {
    ...(key ? { key } : {}),
    message_id: m.message_id,
    from_agent: failure ? m.to_agent : m.from_agent,
    branch_id: m.branch_id,
    timestamp: now,
    payload: failure ? '' : m.content,
    ...(failure ? { failed: true, error: failure } : {}),
  };
}
