// The AgentSystem graph as SVG boxes and arrows, laid out in layers (top to bottom): a node's layer
// is its shortest distance from an entry agent, so fan-out spreads sideways, joins gather below, and
// edges back to an earlier layer (loops) curve around the side. Delegations are dashed. Each box is
// coloured by its agent's live state, derived from the task's messages.
import { svg } from '../dom';

interface Edge {
  from: string;
  to: string;
  delegate: boolean;
}

export function graphEdges(system: any): { nodes: string[]; edges: Edge[] } {
  const spec = system?.spec ?? {};
  const nodes: string[] = [...(spec.agents ?? [])];
  const edges: Edge[] = [];
  const add = (n: string) => nodes.includes(n) || nodes.push(n);
  for (const [from, node] of Object.entries<any>(spec.graph ?? {})) {
    add(from);
    if (node?.next) edges.push({ from, to: node.next, delegate: false });
    for (const r of node?.edges ?? []) edges.push({ from, to: r.to, delegate: false });
    for (const r of node?.delegates ?? []) edges.push({ from, to: r.to, delegate: true });
  }
  for (const e of edges) add(e.to);
  return { nodes, edges };
}

const ORDER = ['Running', 'WaitingApproval', 'RetryPending', 'Queued', 'DeadLetter', 'Succeeded'];

/** Agent → its most telling message phase (a running message outranks finished ones). */
export function agentStates(task: any): Map<string, string> {
  const states = new Map<string, string>();
  for (const m of task?.status?.messages ?? []) {
    const seen = states.get(m.to_agent);
    if (!seen || ORDER.indexOf(m.phase) < ORDER.indexOf(seen)) states.set(m.to_agent, m.phase);
  }
  return states;
}

function layers(nodes: string[], edges: Edge[]): Map<string, number> {
  const incoming = new Set(edges.filter((e) => !e.delegate).map((e) => e.to));
  const entries = nodes.filter((n) => !incoming.has(n));
  const depth = new Map<string, number>();
  const queue = (entries.length ? entries : nodes.slice(0, 1)).map((n) => (depth.set(n, 0), n));
  while (queue.length) {
    const n = queue.shift()!;
    for (const e of edges.filter((x) => x.from === n && !depth.has(x.to))) {
      depth.set(e.to, depth.get(n)! + 1);
      queue.push(e.to);
    }
  }
  for (const n of nodes) if (!depth.has(n)) depth.set(n, 0);
  return depth;
}

const W = 150;
const H = 46;
const GX = 30;
const GY = 56;

export function drawGraph(system: any, task: any): SVGElement {
  const { nodes, edges } = graphEdges(system);
  const depth = layers(nodes, edges);
  const rows: string[][] = [];
  for (const n of nodes) (rows[depth.get(n)!] ??= []).push(n);
  const widest = Math.max(1, ...rows.map((r) => r?.length ?? 0));
  const width = widest * (W + GX) + GX + 40;
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((row, i) => {
    const offset = (width - row.length * (W + GX) + GX) / 2;
    row.forEach((n, j) => pos.set(n, { x: offset + j * (W + GX), y: 20 + i * (H + GY) }));
  });
  const height = rows.length * (H + GY) - GY + 40;
  const states = agentStates(task);
  const arrows = edges.map((e) => {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const back = depth.get(e.to)! <= depth.get(e.from)!;
    const d = back
      ? `M${a.x + W},${a.y + H / 2} C${a.x + W + 40},${a.y + H / 2} ${b.x + W + 40},${b.y + H / 2} ${b.x + W + 4},${b.y + H / 2}`
      : `M${a.x + W / 2},${a.y + H} L${b.x + W / 2},${b.y - 4}`;
    return svg('path', { d, class: `edge${e.delegate ? ' delegate' : ''}${back ? ' back' : ''}`, 'marker-end': 'url(#arrow)' }, svg('title', null, `${e.from} → ${e.to}${e.delegate ? ' (delegates)' : ''}`));
  });
  const boxes = nodes.map((n) => {
    const p = pos.get(n)!;
    const state = states.get(n) ?? 'Idle';
    return svg(
      'g',
      { class: `node state-${state.toLowerCase()}`, 'data-agent': n, 'data-state': state, transform: `translate(${p.x},${p.y})`, role: 'listitem', 'aria-label': `${n}: ${state}` },
      svg('rect', { width: W, height: H, rx: 8 }),
      svg('text', { x: W / 2, y: 19, 'text-anchor': 'middle', class: 'name' }, n.length > 20 ? `${n.slice(0, 19)}…` : n),
      svg('text', { x: W / 2, y: 36, 'text-anchor': 'middle', class: 'state' }, state),
    );
  });
  return svg(
    'svg',
    { class: 'graph', viewBox: `0 0 ${width} ${height}`, width, role: 'list', 'aria-label': 'Agent graph' },
    svg('defs', null, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    arrows,
    boxes,
  );
}
