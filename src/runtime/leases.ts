// Task claims, leases and fencing over the registry's version-checked status writes, so the same
// logic works on any store: a claim or renewal is a compare-and-swap on the task's
// resourceVersion, and a worker that lost its lease can no longer write the task's progress.
import type { KindDefinition, Status, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { rfc3339, type Clock } from '../util/time';
import { WorkingStatus } from './task-working';

/**
 * Who holds a lease: the worker id and the token minted at claim time. The token tells apart two
 * processes that (by mistake) share a worker id; a bare id checks the owner only.
 */
export type LeaseHolder = string | { id: string; token?: string };

const holderId = (h: LeaseHolder) => (typeof h === 'string' ? h : h.id);
const holds = (s: Status, h: LeaseHolder) => s.claimedBy === holderId(h) && (typeof h === 'string' || !h.token || s.leaseToken === h.token);

export interface WorkerProfile {
  id: string;
  region?: string;
  gpu?: boolean;
  /** Empty means any model. */
  models?: string[];
}

const HISTORY_CAP = 200;
const time = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : NaN);

/** Whether a task's requirements fit a worker (region, GPU, model). */
export function fits(task: StoredObject, w: WorkerProfile): boolean {
  const r = task.spec.requirements ?? {};
  if (r.region && (w.region ?? '').toLowerCase() !== String(r.region).toLowerCase()) return false;
  if (r.gpu === true && !w.gpu) return false;
  if (r.model && w.models?.length && !w.models.some((m) => m.toLowerCase() === String(r.model).toLowerCase())) return false;
  return true;
}

export function claimable(task: StoredObject, now: number): boolean {
  if (task.spec.mode === 'template') return false;
  const s = task.status ?? {};
  const phase = s.phase || 'Pending';
  if (phase === 'Pending') return !s.nextAttemptAt || time(s.nextAttemptAt) <= now;
  // Once the lease has lapsed anyone may take over, the same worker id too (a restarted process);
  // the caller skips the tasks it is running right now.
  if (phase === 'Running') return !s.claimedBy || !(time(s.leaseUntil) > now);
  // WaitingApproval (a person decides; the tool-approvals controller moves it on) and the
  // finished phases are never claimed.
  return false;
}

export function pushHistory(status: Status, type: string, worker: string, message: string, now: Date): void {
  const history = Array.isArray(status.history) ? status.history : [];
  history.push({ timestamp: rfc3339(now), type, worker, message });
  status.history = history.slice(-HISTORY_CAP);
}

export class TaskLeases {
  private readonly def: KindDefinition;
  /** The whole status of each task this process holds, as last written (see task-working.ts). */
  private readonly working = new Map<string, WorkingStatus>();
  /** The last fenced write queued for each task, so that the next one waits for it. */
  private readonly fencing = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    readonly leaseMs = 30_000,
  ) {
    this.def = registry.byPlural.get('tasks')!;
  }

  /** Claims the oldest due task that fits the worker, or returns undefined. */
  async claimNextDue(worker: WorkerProfile, skip: ReadonlySet<string> = new Set()): Promise<StoredObject | undefined> {
    return (await this.claimDue(worker, 1, skip))[0];
  }

  /** Claims up to `limit` due tasks that fit the worker, oldest first, from one read of the candidates. */
  async claimDue(worker: WorkerProfile, limit: number, skip: ReadonlySet<string> = new Set()): Promise<StoredObject[]> {
    const claimed: StoredObject[] = [];
    const now = this.clock.now();
    // Finished tasks are never read: only Pending and Running ones (every task gets a phase when it
    // is created), oldest first.
    const open = await this.registry.listByPhase(this.def, ['Pending', 'Running']);
    const candidates = open.filter((t) => !skip.has(`${t.metadata.namespace}/${t.metadata.name}`) && claimable(t, now.getTime()) && fits(t, worker));
    for (const task of candidates) {
      if (claimed.length >= limit) break;
      const s: Status = structuredClone(task.status ?? {});
      const previous = s.claimedBy as string | undefined;
      const takeover = s.phase === 'Running' && !!previous;
      if (s.phase !== 'Running') s.attempts = (Number(s.attempts) || 0) + 1;
      s.phase = 'Running';
      s.claimedBy = worker.id;
      s.leaseToken = crypto.randomUUID();
      s.assignedWorker = worker.id;
      s.leaseUntil = rfc3339(new Date(now.getTime() + this.leaseMs));
      s.lastHeartbeat = rfc3339(now);
      s.startedAt ??= rfc3339(now);
      delete s.nextAttemptAt;
      delete s.completedAt;
      if (takeover) {
        s.lastError = previous === worker.id ? `worker lease expired; task resumed by ${worker.id}` : `worker lease expired; task reassigned from ${previous} to ${worker.id}`;
        pushHistory(s, 'takeover', worker.id, s.lastError, now);
      } else pushHistory(s, 'claim', worker.id, `claimed by ${worker.id} (attempt ${s.attempts})`, now);
      let written: StoredObject | undefined;
      try {
        written = await this.claim(task, s);
      } catch (e) {
        // The claims made so far are committed: hand them back rather than strand them.
        if (claimed.length) break;
        throw e;
      }
      if (written) claimed.push(written);
    }
    return claimed;
  }

  /** Extends the lease while the worker still owns the task; false once it lost it. */
  async renew(namespace: string, name: string, holder: LeaseHolder): Promise<boolean> {
    return !!(await this.fenced(namespace, name, holder, (s, now) => {
      s.leaseUntil = rfc3339(new Date(now.getTime() + this.leaseMs));
      s.lastHeartbeat = rfc3339(now);
      return s;
    }));
  }

  /**
   * Writes the task's status through `mutate` only while `holder` holds an unexpired lease.
   * Returns the stored task with its whole status (unchanged when `mutate` returns undefined), or
   * undefined when the worker was fenced out (or the task is gone). `mutate` gets a draft of the
   * status it may change freely; it may run again after a conflict.
   *
   * The write is group-committed with the other writes of this event-loop turn (one COMMIT for the
   * hops of several tasks) and published after that COMMIT. A refused or failed write (a failed
   * COMMIT too) drops the held status, whose version was never stored. Calls for the same task in
   * this process run one after the other, so none of them sees the held status half-written.
   */
  fenced(namespace: string, name: string, holder: LeaseHolder, mutate: (s: Status, now: Date) => Status | undefined): Promise<StoredObject | undefined> {
    const key = `${namespace}/${name}`;
    const prior = this.fencing.get(key);
    const run = prior ? prior.then(() => this.fencedNow(key, namespace, name, holder, mutate)) : this.fencedNow(key, namespace, name, holder, mutate);
    const tail: Promise<void> = run.then(
      () => {
        if (this.fencing.get(key) === tail) this.fencing.delete(key);
      },
      () => {
        if (this.fencing.get(key) === tail) this.fencing.delete(key);
      },
    );
    this.fencing.set(key, tail);
    return run;
  }

  private async fencedNow(key: string, namespace: string, name: string, holder: LeaseHolder, mutate: (s: Status, now: Date) => Status | undefined): Promise<StoredObject | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const task = await this.registry.findSummary(this.def, namespace, name);
      const now = this.clock.now();
      const s = task?.status ?? {};
      if (!task || s.phase !== 'Running' || !holds(s, holder) || !(time(s.leaseUntil) > now.getTime())) {
        this.working.delete(key);
        return undefined;
      }
      const work = await this.held(key, task);
      if (!work) continue;
      let next: Status | undefined;
      try {
        next = mutate(work.draft(), now);
      } catch (e) {
        this.working.delete(key);
        throw e;
      }
      // Nothing to change: the task as it is (still owned). A draft that was pushed to and then
      // given up leaves the held status changed, so it is read again.
      if (!next) {
        if (work.intact()) return { ...task, status: work.status };
        this.working.delete(key);
        return await this.registry.findDecoded(this.def, namespace, name);
      }
      const { summary, records } = work.changes(next);
      let written: StoredObject | undefined;
      try {
        written = await this.registry.writeStatusDelta(this.def, namespace, name, task.metadata.resourceVersion, summary, records);
      } catch (e) {
        // The draft shares the held streams: what was pushed to them was not stored.
        this.working.delete(key);
        throw e;
      }
      if (!written) {
        this.working.delete(key);
        continue;
      }
      const status = work.commit(written.status ?? {}, next, records, written.metadata.resourceVersion);
      // Only a running task is held on to; its last write (an ending) lets it go.
      if (status.phase !== 'Running') this.working.delete(key);
      return { ...written, status };
    }
    this.working.delete(key);
    return undefined;
  }

  /** How many running tasks' statuses this process holds between their writes. */
  get heldTasks(): number {
    return this.working.size;
  }

  /** Lets go of the status held for a task whose run ended in this process. */
  forget(namespace: string, name: string): void {
    this.working.delete(`${namespace}/${name}`);
  }

  /** The held status of a task, read whole when this process has none or another writer came between. */
  private async held(key: string, task: StoredObject): Promise<WorkingStatus | undefined> {
    const work = this.working.get(key);
    if (work && work.uid === task.metadata.uid && work.resourceVersion === task.metadata.resourceVersion) return work;
    const full = await this.registry.findDecoded(this.def, task.metadata.namespace, task.metadata.name);
    if (!full) return undefined;
    const fresh = new WorkingStatus(full.metadata.uid, full.metadata.resourceVersion, full.status ?? {});
    this.working.set(key, fresh);
    return fresh;
  }

  /**
   * A claim: the task's summary with the new lease, version-checked, and its history row appended;
   * undefined when someone else wrote first. Returns the task with its whole status.
   */
  private async claim(task: StoredObject, status: Status): Promise<StoredObject | undefined> {
    const { namespace, name } = task.metadata;
    const appended: unknown[] = Array.isArray(status.history) ? status.history : [];
    delete status.history;
    const counts = { ...(status.record_counts ?? {}) };
    counts.history = Math.min(HISTORY_CAP, (Number(counts.history) || 0) + appended.length);
    status.record_counts = counts;
    const records = appended.length ? [{ field: 'history', append: appended, keep: HISTORY_CAP }] : [];
    const written = await this.registry.writeStatusDelta(this.def, namespace, name, task.metadata.resourceVersion, status, records);
    if (!written) return undefined;
    const full = await this.registry.findDecoded(this.def, namespace, name);
    if (full) this.working.set(`${namespace}/${name}`, new WorkingStatus(full.metadata.uid, full.metadata.resourceVersion, full.status ?? {}));
    return full;
  }
}
