// An AgentSystem graph as an indented tree of arrows, from the entry agents down: fan-out as
// siblings, a join shown once with "(join …)" and later arrivals as "↩ to X (above)", loops as
// "↺ back to X", delegation as "⇢ delegate". With a task, each node carries its state.
import { delegatesOf, entryAgents, hasGraph, nodeOf, predecessors, routesOf, type Route, type SystemSpec } from '../../runtime/engine/graph';

export type NodeState = 'Pending' | 'Running' | 'WaitingApproval' | 'Succeeded' | 'Failed';

/** The state of each agent in a task, from its messages (the newest message of an agent wins, a failure sticks). */
export function nodeStates(task: any): Map<string, NodeState> {
  const out = new Map<string, NodeState>();
  for (const m of (task?.status?.messages ?? []) as any[]) {
    const agent = String(m.to_agent ?? '').toLowerCase();
    if (!agent) continue;
    const s: NodeState = m.phase === 'Succeeded' ? 'Succeeded' : m.phase === 'DeadLetter' ? 'Failed' : m.phase === 'WaitingApproval' ? 'WaitingApproval' : m.phase === 'Queued' ? 'Pending' : 'Running';
    if (out.get(agent) !== 'Failed') out.set(agent, s);
  }
  return out;
}

function label(system: SystemSpec, agent: string): string {
  const n = nodeOf(system, agent);
  const notes: string[] = [];
  // Every node carries the default join after canonicalization: shown only where branches meet.
  const j = predecessors(system, agent).length > 1 ? n?.join ?? {} : undefined;
  if (j) notes.push(`join ${j.mode ?? 'wait_for_all'}${j.quorum_count ? ` ${j.quorum_count}` : j.quorum_percent ? ` ${j.quorum_percent}%` : ''}${j.on_failure ? ` on_failure=${j.on_failure}` : ''}`);
  const review = n?.review as { checkpoint_id?: string } | undefined;
  if (review) notes.push(`review ${review.checkpoint_id}`);
  return notes.length ? `${agent} (${notes.join(', ')})` : agent;
}

function condition(route: Route): string {
  const c = route.condition as Record<string, unknown> | undefined;
  if (!c) return '';
  const parts = Object.entries(c).map(([k, v]) => (k === 'default' ? 'default' : `${k}=${JSON.stringify(v)}`));
  return parts.length ? ` [${parts.join(' ')}]` : '';
}

/**
 * The tree, one line per arrow. `state(agent)` decorates a node (empty for a system view).
 * Each agent is expanded once; a second arrival points back to it.
 */
export function renderGraph(system: SystemSpec, state: (agent: string) => string = () => ''): string {
  const lines: string[] = [];
  const expanded = new Set<string>();
  const key = (a: string) => a.toLowerCase();
  const node = (agent: string) => `${label(system, agent)}${state(agent)}`;

  const walk = (agent: string, prefix: string, path: string[]) => {
    const children = [
      ...delegatesOf(system, agent).map((r) => ({ to: r.to, arrow: '⇢ delegate ', note: condition(r) })),
      ...routesOf(system, agent).map((r) => ({ to: r.to, arrow: '→ ', note: condition(r) })),
    ];
    children.forEach((c, i) => {
      const last = i === children.length - 1;
      const branch = `${prefix}${last ? '└─' : '├─'}`;
      const childPrefix = `${prefix}${last ? '   ' : '│  '}`;
      if (path.includes(key(c.to))) lines.push(`${branch}↺ back to ${c.to}${c.note}`);
      else if (expanded.has(key(c.to))) lines.push(`${branch}${c.arrow}${c.to}${c.note} (above)`);
      else {
        expanded.add(key(c.to));
        lines.push(`${branch}${c.arrow}${node(c.to)}${c.note}`);
        walk(c.to, childPrefix, [...path, key(c.to)]);
      }
    });
  };

  for (const entry of entryAgents(system)) {
    expanded.add(key(entry));
    lines.push(node(entry));
    walk(entry, '', [key(entry)]);
  }
  // Agents no route reaches (possible only with a graph): listed so nothing is hidden.
  const agents = [...(system.agents ?? []), ...Object.keys(hasGraph(system) ? system.graph! : {})];
  for (const a of agents) {
    if (expanded.has(key(a))) continue;
    expanded.add(key(a));
    lines.push(`${node(a)} (unreachable)`);
    walk(a, '', [key(a)]);
  }
  return lines.join('\n') + '\n';
}
