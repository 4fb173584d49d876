// Table columns of `orrery get`: NAME, PHASE and AGE for every kind, plus columns that matter for
// each kind; `-o wide` adds more.
import type { CtlContext } from './context';
import { ago, clip, phase } from './output';

type Cell = (o: any, ctx: CtlContext) => string;
interface Columns {
  normal: [string, Cell][];
  wide: [string, Cell][];
}

const v = (x: unknown) => (x === undefined || x === null || x === '' ? '-' : Array.isArray(x) ? (x.length ? x.join(',') : '-') : String(x));
const count = (x: unknown) => (Array.isArray(x) ? String(x.length) : '0');
const s = (path: string): Cell => (o) => v(path.split('.').reduce((a: any, k) => (a == null ? undefined : a[k]), o));

const KIND_COLUMNS: Record<string, Columns> = {
  tasks: { normal: [['system', s('spec.system')], ['mode', s('spec.mode')], ['attempts', s('status.attempts')]], wide: [['worker', (o) => v(o.status?.claimedBy ?? o.status?.assignedWorker)], ['priority', s('spec.priority')], ['error', (o) => clip(o.status?.lastError ?? '-', 60)]] },
  agents: { normal: [['model', s('spec.model_ref')], ['tools', (o) => count(o.spec?.tools)]], wide: [['memory', (o) => v(o.spec?.memory?.ref)], ['roles', s('spec.roles')]] },
  tools: { normal: [['type', s('spec.type')], ['risk', s('spec.risk_level')]], wide: [['endpoint', s('spec.endpoint')], ['mcp-server', s('spec.mcp_server_ref')]] },
  'mcp-servers': { normal: [['transport', s('spec.transport')], ['tools', (o) => count(o.status?.discoveredTools)]], wide: [['endpoint', (o) => v(o.spec?.endpoint ?? o.spec?.command ?? o.spec?.image)]] },
  memories: { normal: [['provider', (o) => v(o.spec?.provider ?? 'sqlite')]], wide: [['embedding', s('spec.embedding_model')], ['endpoint', s('spec.endpoint')]] },
  workers: { normal: [['region', s('spec.region')], ['tasks', (o) => `${o.status?.currentTasks ?? 0}/${o.spec?.max_concurrent_tasks ?? 1}`], ['heartbeat', (o, ctx) => ago(o.status?.lastHeartbeat, ctx.now())]], wide: [['models', s('spec.capabilities.supported_models')]] },
  'model-endpoints': { normal: [['provider', s('spec.provider')], ['model', s('spec.default_model')]], wide: [['base-url', s('spec.base_url')]] },
  'agent-systems': { normal: [['agents', (o) => count(o.spec?.agents)]], wide: [['agent-names', s('spec.agents')]] },
  'task-schedules': { normal: [['schedule', s('spec.schedule')], ['suspend', (o) => v(o.spec?.suspend ?? false)]], wide: [['task', s('spec.task_ref')], ['time-zone', s('spec.time_zone')]] },
  secrets: { normal: [['keys', (o) => count(Object.keys(o.spec?.data ?? {}))]], wide: [] },
};

export function columnsFor(plural: string, wide: boolean): [string, Cell][] {
  const k = KIND_COLUMNS[plural] ?? { normal: [], wide: [] };
  const ns: [string, Cell][] = wide ? [['namespace', s('metadata.namespace')]] : [];
  return [...ns, ['name', s('metadata.name')], ['phase', (o, ctx) => phase(ctx, o.status?.phase)], ...k.normal, ...(wide ? k.wide : []), ['age', (o, ctx) => ago(o.metadata?.createdAt, ctx.now())]];
}

export function rowsOf(items: any[], plural: string, wide: boolean, ctx: CtlContext): { headers: string[]; rows: string[][] } {
  const cols = columnsFor(plural, wide);
  return { headers: cols.map(([h]) => h), rows: items.map((o) => cols.map(([, cell]) => cell(o, ctx))) };
}
