// What the engine is built from, injected so tests, the server and worker processes wire it the
// same way (and a PostgreSQL store can replace the SQLite pieces behind the same interfaces).
import type { EventPublisher } from '../../events/publisher';
import type { Logger } from '../../log';
import type { Registry } from '../../registry/registry';
import type { Clock } from '../../util/time';
import type { TaskLeases } from '../leases';
import type { ModelGateway } from '../models';
import type { MemoryBackends } from '../memory/types';
import type { ToolRuntime } from '../tools';
import type { Resolver } from './resolve';
import type { Journal } from '../../store/backend';

/** Where task and agent log lines go (GET /v1/tasks/{name}/logs, /v1/agents/{name}/logs). */
export interface LogSink {
  append(kind: 'Task' | 'Agent', namespace: string, name: string, message: string): Promise<void>;
}

export interface EngineDeps {
  registry: Registry;
  leases: TaskLeases;
  resolver: Resolver;
  journal: Journal;
  events: EventPublisher;
  logs: LogSink;
  gateway: ModelGateway;
  tools: ToolRuntime;
  /** Backends of Memory resources, per process; absent: an agent granted memory tools cannot run. */
  memory?: MemoryBackends;
  clock: Clock;
  log: Logger;
  workerId: string;
  /** Lease renewal period while a task runs. */
  heartbeatMs: number;
  /** Messages of one task processed at once (fan-out branches). */
  branchConcurrency: number;
  /** ttl of the ToolApprovals this engine creates. */
  approvalTtl: string;
}
