// Builds and starts the task engine for a process: gateway, tool runtime, leases and the worker
// (registered as a Worker resource). Everything persistent comes in from the composition root
// (src/server.ts, src/cli/worker.ts); the engine opens nothing itself.
import type { EventPublisher } from '../../events/publisher';
import type { Logger } from '../../log';
import type { Registry } from '../../registry/registry';
import type { Clock } from '../../util/time';
import type { WatchService } from '../../watch/service';
import { TaskLeases } from '../leases';
import { createModelGateway } from '../models';
import { createToolRuntime, type CallbackBroker } from '../tools';
import { cliTransport } from '../tools/cli';
import { wasmTransport } from '../tools/wasm';
import { mcpTransport } from '../tools/mcp';
import type { McpSessions } from '../tools/mcp/sessions';
import { createMcpSessions } from './mcp-sessions';
import type { MemoryBackends } from '../memory/types';
import { WorkerHeartbeat } from '../workers';
import type { EngineDeps, LogSink } from './deps';
import { Resolver } from './resolve';
import { DEFAULT_APPROVAL_TTL, DEFAULT_BRANCH_CONCURRENCY, type EngineConfig } from './settings';
import { TaskWorker } from './worker';
import type { Journal } from '../../store/backend';

export { DEFAULT_BRANCH_CONCURRENCY, type EngineConfig } from './settings';

/** The shared services of the process the engine runs on (the composition's core has them all). */
export interface EngineServices {
  registry: Registry;
  watch: WatchService;
  events: EventPublisher;
  /** Step journal rows; the composition root drops those of finished tasks. */
  journal: Journal;
}

export interface EngineOptions {
  core: EngineServices;
  clock: Clock;
  log: Logger;
  config: EngineConfig;
  logs: LogSink;
  /** Webhook-callback tools: the broker the callback route delivers to, and this server's URL. */
  callbacks?: { broker: CallbackBroker; callbackBaseUrl?: string };
  /** Where ORLOJ_SECRET_<NAME> fallbacks for model API keys are looked up. */
  env: Record<string, string | undefined>;
  /** Memory backends of this process (shared with the entries API and the Memory controller). */
  memory?: MemoryBackends;
  /** The process's MCP sessions (the server shares its pool with the McpServer controller); built here when absent. */
  mcp?: McpSessions;
}

export interface RunningEngine {
  worker: TaskWorker;
  deps: EngineDeps;
  stop(): Promise<void>;
}

export async function startEngine(o: EngineOptions): Promise<RunningEngine> {
  const c = o.config;
  const tools = createToolRuntime({ clock: o.clock, egress: { denyPrivate: c.egressPrivate === 'deny' }, callbacks: o.callbacks });
  tools.register('cli', cliTransport({ allow: c.cliAllow ?? [], env: o.env }));
  tools.register('wasm', wasmTransport());
  // A pool built here is the engine's own and closes with the tool runtime; a shared one is closed by its owner.
  tools.register('mcp', mcpTransport(o.mcp ?? createMcpSessions(o.core.registry, c, o.log), { ownsSessions: !o.mcp }));
  const deps: EngineDeps = {
    registry: o.core.registry,
    leases: new TaskLeases(o.core.registry, o.clock, c.leaseMs),
    resolver: new Resolver(o.core.registry, o.env),
    journal: o.core.journal,
    events: o.core.events,
    logs: o.logs,
    gateway: createModelGateway({ clock: o.clock, egress: { privateAddresses: c.egressPrivate } }),
    memory: o.memory,
    tools,
    clock: o.clock,
    log: o.log,
    workerId: c.workerId,
    heartbeatMs: c.heartbeatMs,
    branchConcurrency: c.branchConcurrency ?? DEFAULT_BRANCH_CONCURRENCY,
    approvalTtl: c.approvalTtl ?? DEFAULT_APPROVAL_TTL,
  };
  const profile = { id: c.workerId, region: c.region, gpu: c.gpu, models: c.models };
  const heartbeat = new WorkerHeartbeat(o.core.registry, o.clock, { ...profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeatMs: c.heartbeatMs });
  const worker = new TaskWorker(deps, o.core.watch, { profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeat });
  await worker.start();
  return {
    worker,
    deps,
    async stop() {
      await worker.stop();
      // Tool processes, sessions and threads this process opened end with it.
      await deps.tools.close();
    },
  };
}
