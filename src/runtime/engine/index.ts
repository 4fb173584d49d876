// Builds and starts the task engine for a process: gateway, tool runtime, leases, journal and the
// worker (registered as a Worker resource).
import { dropJournalWhenDone, type Core } from '../../core';
import type { EngineConfig } from '../../engine-config';
import type { Logger } from '../../log';
import type { OpenDatabase } from '../../store/database';
import { TaskJournalStore } from '../../store/task-journal';
import type { Clock } from '../../util/time';
import { TaskLeases } from '../leases';
import { createModelGateway } from '../models';
import { createToolRuntime, type CallbackBroker } from '../tools';
import { WorkerHeartbeat } from '../workers';
import type { EngineDeps, LogSink } from './deps';
import { Resolver } from './resolve';
import { TaskWorker } from './worker';

export interface EngineOptions {
  core: Core;
  handle: OpenDatabase;
  clock: Clock;
  log: Logger;
  config: EngineConfig;
  logs: LogSink;
  /** Webhook-callback tools: the broker the callback route delivers to, and this server's URL. */
  callbacks?: { broker: CallbackBroker; callbackBaseUrl?: string };
  env?: Record<string, string | undefined>;
}

export interface RunningEngine {
  worker: TaskWorker;
  deps: EngineDeps;
  stop(): Promise<void>;
}

export function startEngine(o: EngineOptions): RunningEngine {
  const c = o.config;
  const deps: EngineDeps = {
    registry: o.core.registry,
    leases: new TaskLeases(o.core.registry, o.clock, c.leaseMs),
    resolver: new Resolver(o.core.registry, o.env ?? process.env),
    journal: new TaskJournalStore(o.handle, o.clock),
    events: o.core.events,
    logs: o.logs,
    gateway: createModelGateway({ clock: o.clock, egress: { privateAddresses: c.egressPrivate } }),
    tools: createToolRuntime({ clock: o.clock, egress: { denyPrivate: c.egressPrivate === 'deny' }, callbacks: o.callbacks }),
    clock: o.clock,
    log: o.log,
    workerId: c.workerId,
    heartbeatMs: c.heartbeatMs,
    branchConcurrency: 16,
  };
  // Also in a worker-only process: the tasks it ends or sees deleted leave no journal behind.
  dropJournalWhenDone(o.core.registry, deps.journal);
  const profile = { id: c.workerId, region: c.region, gpu: c.gpu, models: c.models };
  const heartbeat = new WorkerHeartbeat(o.core.registry, o.clock, { ...profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeatMs: c.heartbeatMs });
  const worker = new TaskWorker(deps, o.core.watch, { profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeat });
  worker.start();
  return {
    worker,
    deps,
    async stop() {
      await worker.stop();
    },
  };
}
