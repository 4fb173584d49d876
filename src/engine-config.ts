// Flags of the task engine, shared by `orrery serve` (embedded worker) and `orrery worker`; every
// flag has an ORLOJ_<FLAG> environment twin like the server's.
import { hostname } from 'node:os';
import type { FlagSpec } from './config';
import { parseDuration } from './util/duration';

export interface EngineConfig {
  workerId: string;
  region?: string;
  gpu: boolean;
  models: string[];
  maxConcurrentTasks: number;
  leaseMs: number;
  heartbeatMs: number;
  egressPrivate: 'allow' | 'deny';
}

const boolValue = (v: string) => (['true', '1', 'yes', 'on'].includes(v.toLowerCase()) ? true : ['false', '0', 'no', 'off'].includes(v.toLowerCase()) ? false : undefined);
const isBool = (v: string) => (boolValue(v) === undefined ? 'must be true or false' : undefined);
const positiveInt = (v: string) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'must be a positive whole number');
const positiveDuration = (v: string) => {
  const ms = parseDuration(v);
  return ms !== undefined && ms > 0 ? undefined : 'must be a positive duration such as 10s';
};

export const parseBool = (v: string): boolean => boolValue(v) ?? false;

export const EMBEDDED_WORKER_FLAG: FlagSpec = { name: 'embedded-worker', description: 'Run tasks in this process (true/false)', default: 'true', validate: isBool };

export function engineFlags(defaultWorkerId: string): FlagSpec[] {
  return [
    { name: 'max-concurrent-tasks', description: 'Tasks this worker runs at once', default: '4', validate: positiveInt },
    { name: 'task-lease-duration', description: 'Lease on a claimed task; a lapsed lease is taken over', default: '30s', validate: positiveDuration },
    { name: 'task-heartbeat-interval', description: 'Lease renewal period (below the lease duration)', default: '10s', validate: positiveDuration },
    { name: 'worker-id', description: 'Name of this worker (its Worker resource and lease holder)', default: defaultWorkerId, validate: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'must be letters, digits, ".", "_" or "-"') },
    { name: 'worker-region', description: 'Region matched against task requirements.region', default: '' },
    { name: 'worker-gpu', description: 'Whether this worker has a GPU (requirements.gpu)', default: 'false', validate: isBool },
    { name: 'worker-models', description: 'Comma-separated models this worker serves (requirements.model); empty = any', default: '' },
    { name: 'egress-private', description: 'allow: models and tools may reach loopback/private addresses; deny: only model endpoints with spec.allowPrivate', default: 'allow', validate: (v) => (v === 'allow' || v === 'deny' ? undefined : 'must be allow or deny') },
  ];
}

export const workerDefaultId = () => `worker-${hostname().toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}`;

/** Reads the engine part of parsed flag values; also checks what one flag alone cannot. */
export function engineConfig(v: Record<string, string>): { config: EngineConfig; problems: string[] } {
  const leaseMs = parseDuration(v['task-lease-duration'])!;
  const heartbeatMs = parseDuration(v['task-heartbeat-interval'])!;
  const problems = heartbeatMs >= leaseMs ? [`--task-heartbeat-interval (${v['task-heartbeat-interval']}) must be shorter than --task-lease-duration (${v['task-lease-duration']})`] : [];
  return {
    config: {
      workerId: v['worker-id'],
      region: v['worker-region'].trim() || undefined,
      gpu: parseBool(v['worker-gpu']),
      models: v['worker-models'].split(',').map((m) => m.trim()).filter(Boolean),
      maxConcurrentTasks: Number(v['max-concurrent-tasks']),
      leaseMs,
      heartbeatMs,
      egressPrivate: v['egress-private'] as 'allow' | 'deny',
    },
    problems,
  };
}
