// Builds and starts the task engine for a process: gateway, tool runtime, leases, journal and the
// worker (registered as a Worker resource), plus the worker health check when asked.
import type { Core } from '../../core';
import type { EngineConfig } from '../../engine-config';
import type { Logger } from '../../log';
import type { OpenDatabase } from '../../store/database';
import { TaskJournalStore } from '../../store/task-journal';
import type { Clock } from '../../util/time';
import { TaskLeases } from '../leases';
import { createModelGateway } from '../models';
import { createToolRuntime, type CallbackBroker } from '../tools';
import { WorkerHealth, WorkerHeartbeat } from '../workers';
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
  /** Run the Worker health check (the server does; a worker-only process leaves it to the server). */
  health?: boolean;
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
  const profile = { id: c.workerId, region: c.region, gpu: c.gpu, models: c.models };
  const heartbeat = new WorkerHeartbeat(o.core.registry, o.clock, { ...profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeatMs: c.heartbeatMs });
  const worker = new TaskWorker(deps, o.core.watch, { profile, maxConcurrentTasks: c.maxConcurrentTasks, heartbeat });
  worker.start();
  let healthTimer: ReturnType<typeof setInterval> | undefined;
  if (o.health) {
    const health = new WorkerHealth(o.core.registry, o.core.events, o.clock);
    const check = () => {
      try {
        health.checkOnce();
      } catch (e) {
        o.log.warn('worker health check failed', { error: String((e as Error)?.message ?? e) });
      }
    };
    check();
    healthTimer = setInterval(check, 5_000);
    (healthTimer as { unref?: () => void }).unref?.();
  }
  return {
    worker,
    deps,
    async stop() {
      clearInterval(healthTimer);
      await worker.stop();
    },
  };
}
