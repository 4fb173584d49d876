// Memory controller: builds each Memory's backend in this process and pings it, reporting phase
// Ready, or Error with lastError (the message names the field at fault), with observedGeneration.
// It runs on every create and spec change and in a periodic pass (a Secret, a ModelEndpoint or a
// remote service may come back). A deleted Memory's entries are deleted with it, so one re-created
// under the same name starts empty; entries left by Memories deleted while no server ran go at start.
import { ApiError } from '../errors';
import type { Logger } from '../log';
import type { KindDefinition, Status, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import type { MemoryBackends } from '../runtime/memory/types';
import { timerSchedule, WorkQueue, type ReconcileResult, type Schedule, type WorkQueueOptions } from './work-queue';

/** How often every Memory is pinged again. */
export const MEMORY_RESYNC_MS = 60_000;
/** A Memory in Error is retried this soon. */
const ERROR_RETRY_MS = 15_000;
/** A ping that takes longer counts as a failure. */
const PING_TIMEOUT_MS = 10_000;

export interface MemoryControllerDeps {
  registry: Registry;
  backends: MemoryBackends;
  /** The Memories that have stored entries (the sqlite store), for the start-up sweep. */
  storedScopes?: () => Promise<{ namespace: string; memory: string }[]>;
}

export interface MemoryControllerOptions {
  queue?: Partial<Omit<WorkQueueOptions, 'name' | 'log'>>;
  resyncMs?: number;
  /** Timer of the periodic pass; tests pass one they fire by hand. */
  schedule?: Schedule;
}

export class MemoryController {
  private readonly queue: WorkQueue;
  private readonly def: KindDefinition;
  private readonly schedule: Schedule;
  private unsubscribe?: () => void;
  private timer?: { cancel(): void };

  constructor(
    private readonly deps: MemoryControllerDeps,
    private readonly log: Logger,
    private readonly opts: MemoryControllerOptions = {},
  ) {
    this.def = deps.registry.byPlural.get('memories')!;
    this.schedule = opts.schedule ?? timerSchedule;
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'memories', log, ...opts.queue });
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.registry.onCommit((c) => {
      if (c.def !== this.def) return;
      const { namespace, name } = c.object.metadata;
      if (c.type === 'deleted') {
        // Synchronous up to the delete of the rows, so a Memory re-created right after starts empty.
        void this.deps.backends.forget(namespace, name).catch((e) => this.log.warn('memory entries could not be deleted', { memory: `${namespace}/${name}`, error: (e as Error).message }));
        return;
      }
      // The controller's own status writes carry observedGeneration = generation: nothing to do.
      if (c.object.status?.observedGeneration !== c.object.metadata.generation) this.queue.add(`${namespace}/${name}`);
    });
    await this.sweep();
    await this.resync();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.timer?.cancel();
    this.queue.stop();
  }

  get healthy(): boolean {
    return this.unsubscribe !== undefined && !this.queue.isStopped;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Queues every Memory and plans the next pass. */
  async resync(): Promise<void> {
    if (this.queue.isStopped) return;
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(this.def, { after, limit: '1000' });
      for (const o of page.items) this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
      after = page.continue;
    } while (after);
    // Stopped while the pass read: no timer to leave behind.
    if (this.queue.isStopped) return;
    this.timer?.cancel();
    this.timer = this.schedule(() => {
      void this.resync().catch((e) => this.log.error('memories: resync failed', { error: (e as Error)?.message ?? String(e) }));
    }, this.opts.resyncMs ?? MEMORY_RESYNC_MS);
  }

  /** Deletes stored entries whose Memory no longer exists. */
  private async sweep(): Promise<void> {
    for (const s of (await this.deps.storedScopes?.()) ?? []) {
      if (await this.deps.registry.findDecoded(this.def, s.namespace, s.memory)) continue;
      // Not awaited, as before: a failure leaves the entries for the next start's sweep.
      void this.deps.backends.forget(s.namespace, s.memory).catch(() => {});
      this.log.info('memory entries of a deleted Memory removed', { memory: `${s.namespace}/${s.memory}` });
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf('/');
    const memory = await this.deps.registry.findDecoded(this.def, key.slice(0, i), key.slice(i + 1));
    if (!memory) return;
    let lastError: string | undefined;
    try {
      const backend = await this.deps.backends.backendFor(memory);
      await backend.ping(AbortSignal.timeout(PING_TIMEOUT_MS));
    } catch (e) {
      lastError = (e as Error).message || String(e);
    }
    const status: Status = { ...(memory.status ?? {}), phase: lastError ? 'Error' : 'Ready', observedGeneration: memory.metadata.generation };
    if (lastError) status.lastError = lastError;
    else delete status.lastError;
    await this.write(memory, status);
    return lastError ? { requeueAfterMs: ERROR_RETRY_MS } : undefined;
  }

  /** Writes the status when it changed, against the version read. */
  private async write(memory: StoredObject, status: Status): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(memory.status ?? {})) return;
    const { namespace, name } = memory.metadata;
    if (status.phase !== memory.status?.phase) this.log.info('memory phase', { memory: `${namespace}/${name}`, phase: status.phase, ...(status.lastError ? { error: status.lastError } : {}) });
    try {
      await this.deps.registry.replaceStatus(this.def, namespace, name, { status }, memory.metadata.resourceVersion);
    } catch (e) {
      // Changed or deleted meanwhile: the change feed brings the key back.
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  }
}
