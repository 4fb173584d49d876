// Worker resources for task execution: a process registers its Worker and heartbeats through
// the status path; a health check marks workers silent for 20 s NotReady (and Ready again when
// they come back), publishing worker.ready / worker.not_ready events.
import type { EventPublisher } from '../events/publisher';
import type { Logger } from '../log';
import type { KindDefinition, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { rfc3339, type Clock } from '../util/time';
import type { WorkerProfile } from './leases';

export const STALE_AFTER_MS = 20_000;

export interface WorkerConfig extends WorkerProfile {
  namespace?: string;
  maxConcurrentTasks: number;
  /** Heartbeat period (default 10s). */
  heartbeatMs?: number;
}

const STOPPED = 'worker stopped';

/** A heartbeat after a clean stop lifts the stop marker; the health check then says Ready. */
function restarted(status: Record<string, any>): Record<string, any> {
  if (status.lastError !== STOPPED) return status;
  const { lastError: _e, ...rest } = status;
  return rest;
}

export class WorkerHeartbeat {
  private readonly def: KindDefinition;
  private timer?: ReturnType<typeof setInterval>;
  /** Tasks this worker is running now (reported in status.currentTasks). */
  current = 0;

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    readonly config: WorkerConfig,
  ) {
    this.def = registry.byPlural.get('workers')!;
  }

  private get ns(): string {
    return this.config.namespace ?? 'default';
  }

  /** Registers (or updates) the Worker resource and sends the first heartbeat. */
  async register(): Promise<StoredObject> {
    const c = this.config;
    await this.registry.apply(
      this.def,
      {
        metadata: { name: c.id, labels: { 'orloj.dev/worker': 'true' } },
        spec: {
          ...(c.region ? { region: c.region } : {}),
          capabilities: { gpu: !!c.gpu, supported_models: c.models ?? [] },
          max_concurrent_tasks: c.maxConcurrentTasks,
        },
      },
      { queryNamespace: this.ns },
    );
    return await this.beat();
  }

  /** Writes lastHeartbeat and currentTasks; the phase is the health check's to change. */
  async beat(): Promise<StoredObject> {
    const current = await this.registry.getDecoded(this.def, this.ns, this.config.id);
    return await this.registry.replaceStatus(
      this.def,
      this.ns,
      this.config.id,
      { status: { ...restarted(current.status ?? {}), lastHeartbeat: rfc3339(this.clock.now()), currentTasks: this.current } },
      current.metadata.resourceVersion,
    );
  }

  async start(intervalMs = this.config.heartbeatMs ?? 10_000): Promise<void> {
    await this.register();
    const period = async () => {
      try {
        await this.beat();
      } catch {
        // The Worker was deleted (or changed) under us: register again, next period if that fails too.
        try {
          await this.register();
        } catch {
          /* next period */
        }
      }
    };
    // period() catches every failure itself.
    this.timer = setInterval(() => void period(), intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops heartbeating and says so in the Worker's status, so nothing waits 20 s to notice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      const current = await this.registry.getDecoded(this.def, this.ns, this.config.id);
      const status = { ...current.status, phase: 'NotReady', lastError: STOPPED, currentTasks: 0 };
      await this.registry.replaceStatus(this.def, this.ns, this.config.id, { status }, current.metadata.resourceVersion);
    } catch {
      // Deleted or changed meanwhile: the health check will decide.
    }
  }
}

/** Flips Worker phases by heartbeat age; run it periodically. */
export class WorkerHealth {
  private readonly def: KindDefinition;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
  ) {
    this.def = registry.byPlural.get('workers')!;
  }

  async checkOnce(): Promise<void> {
    const now = this.clock.now().getTime();
    for (const w of (await this.registry.list(this.def, {})).items) {
      const beat = Date.parse(w.status?.lastHeartbeat ?? '');
      const fresh = Number.isFinite(beat) && now - beat <= STALE_AFTER_MS;
      const phase = w.status?.phase;
      // A worker that stopped cleanly stays NotReady until it heartbeats again.
      if (phase === 'NotReady' && w.status?.lastError === STOPPED) continue;
      const want = fresh ? 'Ready' : 'NotReady';
      if (phase === want) continue;
      const lastError = fresh ? undefined : Number.isFinite(beat) ? `no heartbeat for ${Math.round((now - beat) / 1000)}s` : 'no heartbeat';
      const status = { ...w.status, phase: want, ...(lastError ? { lastError } : {}) };
      if (!lastError) delete status.lastError;
      try {
        await this.registry.replaceStatus(this.def, w.metadata.namespace, w.metadata.name, { status }, w.metadata.resourceVersion);
      } catch {
        continue; // it just heartbeated: next round decides
      }
      await this.events.publish({
        source: 'worker-controller',
        type: fresh ? 'worker.ready' : 'worker.not_ready',
        kind: 'Worker',
        name: w.metadata.name,
        namespace: w.metadata.namespace,
        message: fresh ? `worker ${w.metadata.name} is ready` : `worker ${w.metadata.name} is not ready: ${lastError}`,
        data: { phase: want, lastHeartbeat: w.status?.lastHeartbeat, lastError },
      });
    }
  }
}

/** Runs the health check every 5 s (the server does this whether or not it runs tasks itself). */
export function startWorkerHealth(registry: Registry, events: EventPublisher, clock: Clock, log: Logger): () => void {
  const health = new WorkerHealth(registry, events, clock);
  const check = async () => {
    try {
      await health.checkOnce();
    } catch (e) {
      log.warn('worker health check failed', { error: String((e as Error)?.message ?? e) });
    }
  };
  // check() logs its own failures.
  void check();
  const timer = setInterval(() => void check(), 5_000);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
