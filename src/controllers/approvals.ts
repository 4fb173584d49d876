// Turns ToolApproval and TaskApproval decisions into task transitions (one controller per kind):
// Approved (or ChangesRequested) resumes the task waiting for it, Denied fails it, and a Pending
// approval past status.expires_at becomes Expired (a requeue timer per approval) and fails it too.
import { ApiError } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Logger } from '../log';
import type { KindDefinition, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { settleApproval, TOOL_APPROVALS, type ApprovalKind } from '../runtime/engine/approvals';
import type { Clock } from '../util/time';
import { WorkQueue, type ReconcileResult, type WorkQueueOptions } from './work-queue';

type QueueOptions = Partial<Omit<WorkQueueOptions, 'name' | 'log'>>;

export interface ApprovalDeps {
  registry: Registry;
  events: EventPublisher;
  clock: Clock;
}

export class ApprovalController {
  private readonly queue: WorkQueue;
  private readonly def: KindDefinition;
  private unsubscribe?: () => void;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: ApprovalDeps,
    private readonly log: Logger,
    private readonly kind: ApprovalKind = TOOL_APPROVALS,
    queue: QueueOptions = {},
    private readonly resyncMs = 30_000,
  ) {
    this.def = deps.registry.byPlural.get(kind.plural)!;
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: kind.plural, log, ...queue });
  }

  /**
   * Follows this process's commits (decisions arrive over its HTTP API), then enqueues every
   * approval; the same full pass runs every resync period for approvals that worker processes
   * create on the shared database, so their expiry timers are set too.
   */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.registry.onCommit((c) => {
      if (c.def === this.def) this.queue.add(`${c.object.metadata.namespace}/${c.object.metadata.name}`);
    });
    await this.resync();
    // Stopped while the first pass ran: no timer to leave behind.
    if (this.queue.isStopped) return;
    this.timer = setInterval(() => {
      void this.resync().catch((e) => this.log.error(`${this.kind.plural}: resync failed`, { error: (e as Error)?.message ?? String(e) }));
    }, this.resyncMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.timer);
    this.queue.stop();
  }

  get healthy(): boolean {
    return this.unsubscribe !== undefined && !this.queue.isStopped;
  }

  /** Resolves once every queued reconcile has run (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async resync(): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(this.def, { after, limit: '1000' });
      for (const o of page.items) if ((o.status?.phase || 'Pending') === 'Pending') this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
      after = page.continue;
    } while (after);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    let approval = await this.deps.registry.findDecoded(this.def, namespace, name);
    if (!approval) return;
    const now = this.deps.clock.now();
    if ((approval.status?.phase || 'Pending') === 'Pending') {
      const expires = Date.parse(approval.status?.expires_at ?? '');
      if (Number.isNaN(expires)) return;
      if (expires > now.getTime()) return { requeueAfterMs: expires - now.getTime() };
      approval = await this.expire(approval);
      if (!approval) return;
    }
    // A concurrent change of the task throws a Conflict: the queue tries again with backoff.
    const outcome = await settleApproval(this.deps.registry, this.deps.events, approval, now, this.kind);
    if (outcome) this.log.info('approval applied to its task', { kind: this.kind.kind, approval: key, task: approval.spec.task_ref, outcome });
  }

  /** Pending → Expired, unless someone decided first (then that decision is what counts). */
  private async expire(approval: StoredObject): Promise<StoredObject | undefined> {
    const { namespace, name } = approval.metadata;
    let written: StoredObject;
    try {
      written = await this.deps.registry.replaceStatus(this.def, namespace, name, { status: { ...approval.status, phase: 'Expired' } }, approval.metadata.resourceVersion);
    } catch (e) {
      // Decided (or deleted) in between: the change feed brings it back here.
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) return undefined;
      throw e;
    }
    await this.deps.events.publish({
      source: `${this.kind.row.replace('_', '-')}-controller`,
      type: `${this.kind.kind.toLowerCase()}.expired`,
      kind: this.kind.kind,
      name,
      namespace,
      message: `${this.kind.row.replace('_', ' ')} ${namespace}/${name} expired at ${approval.status?.expires_at} without a decision`,
      data: { phase: 'Expired', task: approval.spec.task_ref, ...(approval.spec.tool ? { tool: approval.spec.tool } : { checkpoint_id: approval.spec.checkpoint_id }), expires_at: approval.status?.expires_at },
    });
    return written;
  }
}
