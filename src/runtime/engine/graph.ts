// AgentSystem graph queries for the engine: routes, delegates, predecessors, entry agents, cycles,
// condition-based route selection, join gates and task-time graph validation. Pure functions.
import { fieldPath } from '../../registry/validation';
import { conditionMatches, type RouteCondition } from './conditions';

export interface Route {
  to: string;
  condition?: RouteCondition;
  labels?: Record<string, string>;
  policy?: Record<string, string>;
}

export interface JoinConfig {
  mode?: string;
  quorum_count?: number;
  quorum_percent?: number;
  on_failure?: string;
}

export interface GraphNode {
  next?: string;
  edges?: Route[];
  join?: JoinConfig;
  delegates?: Route[];
  delegate_join?: JoinConfig;
  [field: string]: unknown;
}

/** The part of a normalized AgentSystem spec the graph functions read. */
export interface SystemSpec {
  agents?: string[];
  graph?: Record<string, GraphNode>;
  [field: string]: unknown;
}

export interface JoinSpec {
  enabled: boolean;
  mode: 'wait_for_all' | 'quorum';
  expected: number;
  required: number;
  onFailure: 'deadletter' | 'skip' | 'continue_partial';
}

export interface Problem {
  field: string;
  message: string;
}

const key = (name: string) => name.trim().toLowerCase();

function agentsOf(system: SystemSpec): string[] {
  return (system.agents ?? []).filter((a) => typeof a === 'string' && a.trim() !== '').map((a) => a.trim());
}

const inAgents = (system: SystemSpec, name: string) => agentsOf(system).some((a) => key(a) === key(name));

/** The spelling from agents[] when the name is listed (case-insensitively), else the trimmed name. */
export function agentName(system: SystemSpec, name: string): string {
  return agentsOf(system).find((a) => key(a) === key(name)) ?? name.trim();
}

/** True when the system declares a non-empty graph; otherwise agents run in declaration order. */
export function hasGraph(system: SystemSpec): boolean {
  return system.graph !== null && typeof system.graph === 'object' && Object.keys(system.graph).length > 0;
}

/** The graph node of an agent, matched case-insensitively (the first key wins). */
export function nodeOf(system: SystemSpec, name: string): GraphNode | undefined {
  if (!hasGraph(system)) return undefined;
  const found = Object.entries(system.graph!).find(([k]) => key(k) === key(name));
  return found && found[1] && typeof found[1] === 'object' ? found[1] : undefined;
}

/** Agents in declaration order, then graph keys that are not agents (in graph order). */
function allNodes(system: SystemSpec): string[] {
  const out = agentsOf(system);
  const seen = new Set(out.map(key));
  for (const k of Object.keys(hasGraph(system) ? system.graph! : {})) {
    if (k.trim() === '' || seen.has(key(k))) continue;
    out.push(k.trim());
    seen.add(key(k));
  }
  return out;
}

function dedupeRoutes(system: SystemSpec, routes: unknown[]): Route[] {
  const out: Route[] = [];
  const seen = new Set<string>();
  for (const r of routes) {
    const to = r && typeof r === 'object' && typeof (r as Route).to === 'string' ? (r as Route).to.trim() : '';
    if (to === '' || seen.has(key(to))) continue;
    seen.add(key(to));
    out.push({ ...(r as Route), to: agentName(system, to) });
  }
  return out;
}

/** Outgoing routes: legacy `next` first, then `edges`, de-duplicated by target. */
export function routesOf(system: SystemSpec, node: string): Route[] {
  if (!hasGraph(system)) {
    const agents = agentsOf(system);
    const i = agents.findIndex((a) => key(a) === key(node));
    return i >= 0 && i + 1 < agents.length ? [{ to: agents[i + 1] }] : [];
  }
  const n = nodeOf(system, node);
  if (!n) return [];
  const next = typeof n.next === 'string' ? [{ to: n.next }] : [];
  return dedupeRoutes(system, [...next, ...(Array.isArray(n.edges) ? n.edges : [])]);
}

/** Delegation routes of a node, de-duplicated by target (none without a graph). */
export function delegatesOf(system: SystemSpec, node: string): Route[] {
  const n = nodeOf(system, node);
  return n && Array.isArray(n.delegates) ? dedupeRoutes(system, n.delegates) : [];
}

/** Distinct agents with a route (next/edges, not delegates) to the node, in declaration order. */
export function predecessors(system: SystemSpec, node: string): string[] {
  if (!hasGraph(system)) {
    const agents = agentsOf(system);
    const i = agents.findIndex((a) => key(a) === key(node));
    return i > 0 ? [agents[i - 1]] : [];
  }
  return allNodes(system).filter((n) => routesOf(system, n).some((r) => key(r.to) === key(node)));
}

/** Targets of routes and delegates: delegates are reached through their delegator. */
const successors = (system: SystemSpec, node: string) => [...routesOf(system, node), ...delegatesOf(system, node)].map((r) => r.to);

function zeroIndegree(system: SystemSpec): string[] {
  const targeted = new Set<string>();
  for (const n of allNodes(system)) for (const t of successors(system, n)) targeted.add(key(t));
  return agentsOf(system).filter((a) => !targeted.has(key(a)));
}

/** Where a run starts: zero-indegree agents in declaration order, else the first agent. */
export function entryAgents(system: SystemSpec): string[] {
  const agents = agentsOf(system);
  if (agents.length === 0) return [];
  if (!hasGraph(system)) return [agents[0]];
  const entries = zeroIndegree(system);
  return entries.length > 0 ? entries : [agents[0]];
}

/** The first cycle found (declaration order), e.g. ["a", "b", "a"]; null when acyclic. */
export function findCycle(system: SystemSpec): string[] | null {
  if (!hasGraph(system)) return null;
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(key(n), 'open');
    path.push(n);
    for (const t of successors(system, n)) {
      const s = state.get(key(t));
      if (s === 'open') return [...path.slice(path.findIndex((p) => key(p) === key(t))), t];
      if (s === undefined) {
        const found = visit(t);
        if (found) return found;
      }
    }
    path.pop();
    state.set(key(n), 'done');
    return null;
  };
  for (const n of allNodes(system)) {
    if (state.has(key(n))) continue;
    const found = visit(n);
    if (found) return found;
  }
  return null;
}

export const hasCycle = (system: SystemSpec): boolean => findCycle(system) !== null;

/**
 * Which routes fire for an output. Without any condition all fire; otherwise matched conditional
 * routes plus unconditional ones, else default routes plus unconditional ones. Nothing → terminal.
 */
export function selectRoutes(routes: Route[], output: string): { fired: Route[]; terminal: boolean } {
  if (!routes.some((r) => r.condition != null)) return { fired: [...routes], terminal: routes.length === 0 };
  const matched: Route[] = [];
  const defaults: Route[] = [];
  const unconditional: Route[] = [];
  for (const r of routes) {
    if (r.condition == null) unconditional.push(r);
    else if (r.condition.default === true) defaults.push(r);
    else if (conditionMatches(r.condition, output)) matched.push(r);
  }
  const fired = [...(matched.length > 0 ? matched : defaults), ...unconditional];
  return { fired, terminal: fired.length === 0 };
}

function gate(config: JoinConfig | undefined, expected: number, enabled: (mode: JoinSpec['mode']) => boolean): JoinSpec {
  const mode = config?.mode === 'quorum' ? 'quorum' : 'wait_for_all';
  const onFailure = config?.on_failure === 'skip' || config?.on_failure === 'continue_partial' ? config.on_failure : 'deadletter';
  let required = expected;
  if (mode === 'quorum') {
    const count = Math.max(0, Math.trunc(config?.quorum_count ?? 0));
    const percent = Math.min(100, Math.max(0, config?.quorum_percent ?? 0));
    required = count === 0 && percent === 0 ? expected : Math.max(count, Math.ceil((expected * percent) / 100));
    required = Math.max(1, Math.min(required, expected));
  }
  return { enabled: enabled(mode), mode, expected, required, onFailure };
}

/**
 * The fan-in gate of a node. `expected` defaults to the number of distinct predecessors; pass a
 * smaller number when conditional routing dispatched only some upstream branches.
 */
export function joinSpec(system: SystemSpec, node: string, expected?: number): JoinSpec {
  const n = expected ?? predecessors(system, node).length;
  return gate(nodeOf(system, node)?.join, n, (mode) => !(n <= 1 && mode === 'wait_for_all'));
}

/** The delegation gate of a delegator: it waits whenever at least one delegate was dispatched. */
export function delegateJoinSpec(system: SystemSpec, node: string, dispatchedCount: number): JoinSpec {
  return gate(nodeOf(system, node)?.delegate_join, dispatchedCount, () => dispatchedCount >= 1);
}

const at = (...segs: (string | number)[]) =>
  fieldPath('spec', '/' + segs.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));

/** Graph-shape checks run when a task starts; every problem names the AgentSystem field. */
export function validateSystem(system: SystemSpec, task: { spec?: { max_turns?: number } } | undefined): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const agents = agentsOf(system);
  if (agents.length === 0) add('spec.agents', 'must list at least one agent');
  const firstSpelling = new Map<string, string>();
  (system.agents ?? []).forEach((a, i) => {
    if (typeof a !== 'string' || a.trim() === '') return;
    const prev = firstSpelling.get(key(a));
    if (prev !== undefined) add(at('agents', i), `agent "${a.trim()}" duplicates "${prev}" (agent names compare case-insensitively)`);
    else firstSpelling.set(key(a), a.trim());
  });
  const target = (to: unknown, field: string) => {
    if (typeof to === 'string' && to.trim() !== '' && !inAgents(system, to)) add(field, `target "${to.trim()}" is not listed in spec.agents`);
  };
  const nodeKeys = new Map<string, string>();
  for (const [name, node] of Object.entries(hasGraph(system) ? system.graph! : {})) {
    const prev = nodeKeys.get(key(name));
    if (prev !== undefined) add(at('graph', name), `node "${name}" duplicates node "${prev}" (agent names compare case-insensitively)`);
    else nodeKeys.set(key(name), name);
    if (!inAgents(system, name)) add(at('graph', name), `node "${name}" is not listed in spec.agents`);
    if (!node || typeof node !== 'object') continue;
    target(node.next, at('graph', name, 'next'));
    for (const list of ['edges', 'delegates'] as const) {
      const routes = node[list];
      if (Array.isArray(routes)) routes.forEach((r, i) => target(r?.to, at('graph', name, list, i, 'to')));
    }
    for (const j of ['join', 'delegate_join'] as const) {
      const config = node[j];
      if (!config) continue;
      if (config.mode !== undefined && config.mode !== 'wait_for_all' && config.mode !== 'quorum') {
        add(at('graph', name, j, 'mode'), `"${config.mode}" must be wait_for_all or quorum`);
      }
      if (config.on_failure !== undefined && !['deadletter', 'skip', 'continue_partial'].includes(config.on_failure)) {
        add(at('graph', name, j, 'on_failure'), `"${config.on_failure}" must be deadletter, skip or continue_partial`);
      }
    }
  }
  const cycle = findCycle(system);
  if (cycle && !((task?.spec?.max_turns ?? 0) > 0)) {
    add('spec.graph', `the graph has a cycle (${cycle.join(' -> ')}); set spec.max_turns on the task`);
  }
  if (!cycle && agents.length > 0 && hasGraph(system) && zeroIndegree(system).length === 0) {
    add('spec.graph', 'the graph has no entry agent: every agent in spec.agents has an incoming route');
  }
  return problems;
}
