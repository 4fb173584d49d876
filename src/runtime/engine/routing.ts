// Where a finished message's output goes next: delegates first (dispatch), then the node's edges
// filtered by their conditions, back to the delegator at the end of a delegate branch, and nowhere
// once the path has taken max_turns turns (its hop number, which survives trimmed records).
import type { Status } from '../../registry/kind';
import { delegateJoinSpec, delegatesOf, routesOf, selectRoutes } from './graph';
import { gateActivatedBy, openGate } from './joins';
import { hopOf, newMessage, type TaskCtx } from './records';
import type { TaskMessage, TraceRow } from './types';

export interface RouteDecision {
  next: TaskMessage[];
  notes: TraceRow[];
}

const pad3 = (n: number) => String(n).padStart(3, '0');

export function route(s: Status, ctx: TaskCtx, system: Record<string, any>, m: TaskMessage, output: string, maxTurns: number): RouteDecision {
  const node = m.to_agent;
  const notes: TraceRow[] = [];
  const base = { timestamp: ctx.now, agent: node, message_id: m.message_id, branch_id: m.branch_id };
  const reviewing = m.type === 'delegation_return' || m.type === 'delegation_release';

  const fan = (targets: string[], type: TaskMessage['type'], delegateOf: string | undefined) =>
    targets.map((to, i) =>
      newMessage(ctx, {
        from: node,
        to,
        type,
        content: output,
        branch: targets.length > 1 ? `${m.branch_id}.${pad3(i + 1)}` : m.branch_id,
        parentBranch: m.branch_id,
        parent: m,
        delegateOf,
      }),
    );

  // The turn limit bounds every way of going on, delegation included.
  const turn = hopOf(m.message_id);
  if (maxTurns > 0 && turn >= maxTurns) {
    notes.push({ ...base, type: 'agent_message_turn_limit', message: `turn limit reached: turn ${turn} of max_turns ${maxTurns} on branch ${m.branch_id}` });
    return { next: [], notes };
  }

  if (!reviewing) {
    const delegates = selectRoutes(delegatesOf(system, node), output).fired;
    if (delegates.length) {
      const spec = delegateJoinSpec(system, node, delegates.length);
      const gate = openGate(s, 'delegation_states', ctx.attempt, node, spec);
      if (m.delegate_of) gate.delegate_of = m.delegate_of;
      const next = fan(delegates.map((r) => r.to), 'task_handoff', node);
      gate.branches = next.map((x) => x.branch_id);
      notes.push({ ...base, type: 'agent_delegation_dispatch', message: `${node} delegated to ${delegates.map((r) => r.to).join(', ')}` });
      return { next, notes };
    }
  }

  // After reviewing its delegates' work, a delegator continues as the delegate it may itself be.
  const delegateOf = reviewing ? gateActivatedBy(s, 'delegation_states', m.message_id)?.delegate_of : m.delegate_of;
  const fired = selectRoutes(routesOf(system, node), output).fired;
  if (fired.length) return { next: fan(fired.map((r) => r.to), 'task_handoff', delegateOf), notes };

  if (delegateOf) {
    // The end of a delegate branch: the result goes back to the delegator's gate.
    const back = newMessage(ctx, { from: node, to: delegateOf, type: 'delegation_return', content: output, branch: m.branch_id, parentBranch: m.parent_branch_id, parent: m });
    return { next: [back], notes };
  }
  return { next: [], notes };
}
