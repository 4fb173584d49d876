// Flags of the task engine, shared by `orrery serve` (embedded worker) and `orrery worker`; every
// flag has an ORLOJ_<FLAG> environment twin like the server's.
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { DEFAULT_BRANCH_CONCURRENCY, type EngineConfig } from '../runtime/engine/settings';
import { parseDuration } from '../util/duration';
import { isBool, parseBool, positiveDuration, positiveInt, splitList, type FlagSpec } from './flags';

export const EMBEDDED_WORKER_FLAG: FlagSpec = { name: 'embedded-worker', description: 'Run tasks in this process (true/false)', default: 'true', validate: isBool };

/** An allow-list entry is a bare name (looked up in PATH) or an absolute path, never a relative one. */
const commandList = (v: string) => {
  const relative = splitList(v).filter((e) => e.includes('/') && !isAbsolute(e));
  return relative.length ? `entries must be bare names or absolute paths, not ${relative.join(', ')}` : undefined;
};

export function engineFlags(defaultWorkerId: string): FlagSpec[] {
  return [
    { name: 'max-concurrent-tasks', description: 'Tasks this worker runs at once', default: '4', validate: positiveInt },
    { name: 'task-branch-concurrency', description: 'Messages of one task run at once (fan-out branches)', default: String(DEFAULT_BRANCH_CONCURRENCY), validate: positiveInt },
    { name: 'task-lease-duration', description: 'Lease on a claimed task; a lapsed lease is taken over', default: '30s', validate: positiveDuration('10s') },
    { name: 'task-heartbeat-interval', description: 'Lease renewal period (below the lease duration)', default: '10s', validate: positiveDuration('10s') },
    { name: 'worker-id', description: 'Name of this worker (its Worker resource and lease holder)', default: defaultWorkerId, validate: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'must be letters, digits, ".", "_" or "-"') },
    { name: 'worker-region', description: 'Region matched against task requirements.region', default: '' },
    { name: 'worker-gpu', description: 'Whether this worker has a GPU (requirements.gpu)', default: 'false', validate: isBool },
    { name: 'worker-models', description: 'Comma-separated models this worker serves (requirements.model); empty = any', default: '' },
    { name: 'tool-cli-allow', description: 'Comma-separated executables cli tools may run on this host (names or absolute paths); empty = cli tools refused', default: '', validate: commandList },
    { name: 'mcp-command-allow', description: 'Comma-separated executables stdio McpServers may start; empty = any', default: '' },
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
      models: splitList(v['worker-models']),
      maxConcurrentTasks: Number(v['max-concurrent-tasks']),
      branchConcurrency: Number(v['task-branch-concurrency']),
      leaseMs,
      heartbeatMs,
      egressPrivate: v['egress-private'] as 'allow' | 'deny',
      cliAllow: splitList(v['tool-cli-allow']),
      mcpCommandAllow: splitList(v['mcp-command-allow']),
    },
    problems,
  };
}
