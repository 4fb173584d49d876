// Fires TaskSchedules: at each cron slot (in the schedule's time zone) a run task is created from
// the template, named <schedule>-<YYYYMMDD-HHMM> so a slot can never create two runs. One process
// fires: the controller leads through a lease in the meta table and reconciles only while it holds
// it. Timers are requeueAfter on the keyed work queue; the clock is injected.
import { ApiError, NotFound } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Logger } from '../log';
import type { KindDefinition, Status, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { cancelTask } from '../runtime/engine/cancel';
import { rfc3339, type Clock } from '../util/time';
import { CronSchedule, wallClock } from '../runtime/schedule-slots';
import { createRun, resolveTemplate, runPrefix, SCHEDULE_LABEL, SCHEDULE_NS_LABEL, SCHEDULE_SOURCE, slotLabel } from '../runtime/schedule-runs';
import { timerSchedule, WorkQueue, type ReconcileResult, type Schedule, type WorkQueueOptions } from './work-queue';
import type { Lease } from '../store/backend';

const ACTIVE = new Set(['', 'Pending', 'Running', 'WaitingApproval']);
const FAILED = new Set(['Failed', 'DeadLetter']);
const SOURCE = SCHEDULE_SOURCE;
/** Re-reads a schedule in Error (a template may appear) this often. */
const ERROR_RETRY_MS = 30_000;

export interface ScheduleDeps {
  registry: Registry;
  events: EventPublisher;
  clock: Clock;
  lease: Lease;
}

export interface ScheduleOptions {
  queue?: Partial<Omit<WorkQueueOptions, 'name' | 'log'>>;
  /** How often the lease is renewed (or tried); default a third of its ttl. */
  renewMs?: number;
  /** Timer for lease renewal; tests pass one they fire by hand. */
  schedule?: Schedule;
}

function timeOf(t: StoredObject): number {
  for (const v of [t.status?.completedAt, t.status?.startedAt, t.metadata.createdAt]) {
    const ms = Date.parse(String(v ?? ''));
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}

export class ScheduleController {
  private readonly queue: WorkQueue;
  private readonly def: KindDefinition;
  private readonly tasks: KindDefinition;
  private unsubscribe?: () => void;
  private renewal?: { cancel(): void };
  private leading = false;
  private readonly schedule: Schedule;

  constructor(
    private readonly deps: ScheduleDeps,
    private readonly log: Logger,
    private readonly opts: ScheduleOptions = {},
  ) {
    this.def = deps.registry.byPlural.get('task-schedules')!;
    this.tasks = deps.registry.byPlural.get('tasks')!;
    this.schedule = opts.schedule ?? timerSchedule;
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'task-schedules', log, ...opts.queue });
  }

  /** Follows schedule changes and its runs' changes; tries for the lease now and every renewal. */
  async start(): Promise<void> {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.registry.onCommit((c) => {
      const m = c.object.metadata;
      if (c.def === this.def) this.queue.add(`${m.namespace}/${m.name}`);
      else if (c.def === this.tasks && m.labels?.[SCHEDULE_LABEL]) this.queue.add(`${m.labels[SCHEDULE_NS_LABEL] ?? m.namespace}/${m.labels[SCHEDULE_LABEL]}`);
    });
    await this.tick();
  }

  /** Stops at once; resolves once the lease is given up (when it was held). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.renewal?.cancel();
    this.queue.stop();
    const was = this.leading;
    this.leading = false;
    if (was) await this.deps.lease.release();
  }

  get healthy(): boolean {
    return this.unsubscribe !== undefined && !this.queue.isStopped;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Renews (or tries to take) the lease; on becoming leader every schedule is reconciled. */
  async tick(): Promise<void> {
    if (this.queue.isStopped) return;
    const leading = await this.deps.lease.acquire();
    if (this.queue.isStopped) {
      // Stopped while acquiring: stop() gave up what it saw held; give up what was just taken.
      if (leading) await this.deps.lease.release();
      return;
    }
    // Read after the acquire, so ticks that overlap see each other's outcome.
    const was = this.leading;
    this.leading = leading;
    if (this.leading && !was) {
      this.log.info('task schedules: this process leads and fires schedules', { holder: this.deps.lease.holder });
      await this.resync();
    } else if (this.leading) {
      // onCommit carries this process's own commits only: a schedule written through another
      // server of a shared database (PostgreSQL) is found by looking at every schedule again at
      // each renewal, so it fires at most one renewal period late, still once per slot.
      await this.resync();
    } else if (!this.leading && was) this.log.warn('task schedules: lease lost, no longer firing', { holder: this.deps.lease.holder });
    if (this.queue.isStopped) return;
    this.renewal?.cancel();
    this.renewal = this.schedule(() => {
      void this.tick().catch((e) => this.log.error('task schedules: lease renewal failed', { error: (e as Error)?.message ?? String(e) }));
    }, this.opts.renewMs ?? Math.max(1, Math.floor(this.deps.lease.ttlMs / 3)));
  }

  async resync(): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(this.def, { after, limit: '1000' });
      for (const o of page.items) this.queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
      after = page.continue;
    } while (after);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (!this.leading) return;
    const i = key.indexOf('/');
    const namespace = key.slice(0, i);
    const name = key.slice(i + 1);
    const schedule = await this.deps.registry.findDecoded(this.def, namespace, name);
    if (!schedule) return;
    const now = this.deps.clock.now();
    const spec = schedule.spec;
    const status: Status = { ...(schedule.status ?? {}) };
    delete status.lastError;
    const cron = CronSchedule.parse(String(spec.schedule ?? ''), String(spec.time_zone ?? 'UTC'));
    if (typeof cron === 'string') return this.finish(schedule, { ...status, phase: 'Error', lastError: cron }, ERROR_RETRY_MS);
    let error: string | undefined;
    const tpl = await resolveTemplate(this.deps.registry, schedule);
    const runNamespace = typeof tpl === 'string' ? namespace : tpl.namespace;
    if (typeof tpl === 'string') error = tpl;

    const slot = cron.previous(now);
    const last = Date.parse(String(status.lastScheduleTime ?? ''));
    // A schedule never fires a slot from before it existed.
    const created = Date.parse(String(schedule.metadata.createdAt ?? '')) || 0;
    const due = slot && slot.getTime() >= Math.floor(created / 60_000) * 60_000 && (Number.isNaN(last) || slot.getTime() > last);
    if (spec.suspend !== true && due && !error) {
      error = await this.fire(schedule, slot, now, status, runNamespace);
    }
    const runs = await this.runs(schedule, runNamespace);
    await this.prune(schedule, runs);
    const kept = await this.runs(schedule, runNamespace);
    status.activeRuns = kept.filter((t) => ACTIVE.has(t.status?.phase ?? '')).map((t) => t.metadata.name).sort();
    for (const t of kept) {
      if (t.status?.phase !== 'Succeeded' || !t.status.completedAt) continue;
      if (!status.lastSuccessfulTime || Date.parse(t.status.completedAt) > Date.parse(status.lastSuccessfulTime)) status.lastSuccessfulTime = t.status.completedAt;
    }
    const next = cron.next(now);
    if (next) status.nextScheduleTime = rfc3339(next);
    else delete status.nextScheduleTime;
    status.phase = error ? 'Error' : spec.suspend === true ? 'Suspended' : 'Ready';
    if (error) status.lastError = error;
    const wait = error ? ERROR_RETRY_MS : next ? Math.max(1, next.getTime() - now.getTime()) : undefined;
    return this.finish(schedule, status, wait);
  }

  /** Decides one due slot; returns an error message when the run could not be created. */
  private async fire(schedule: StoredObject, slot: Date, now: Date, status: Status, runNamespace: string): Promise<string | undefined> {
    const { namespace, name } = schedule.metadata;
    const spec = schedule.spec;
    const at = rfc3339(slot);
    const event = (type: string, message: string, data: Record<string, unknown>) =>
      this.deps.events.publish({ source: SOURCE, type, kind: 'TaskSchedule', name, namespace, message, data: { slot: at, ...data } });
    const runName = `${runPrefix(name)}-${wallClock(slot, String(spec.time_zone ?? 'UTC')).stamp}`;
    const exists = await this.deps.registry.findDecoded(this.tasks, runNamespace, runName);
    // Deciding is recorded only with the status write at the end: until then a crash means the
    // slot is decided again, and the run's fixed name keeps that from creating a second one.
    status.lastScheduleTime = at;
    if (!exists) {
      const lateSeconds = (now.getTime() - slot.getTime()) / 1000;
      const deadline = Number(spec.starting_deadline_seconds ?? 300);
      if (lateSeconds > deadline) {
        await event('taskschedule.missed_deadline', `slot ${at} of ${namespace}/${name} missed by ${Math.floor(lateSeconds)}s (starting_deadline_seconds ${deadline}): no run`, { late_seconds: Math.floor(lateSeconds), starting_deadline_seconds: deadline });
        return;
      }
      const active = (await this.runs(schedule, runNamespace)).filter((t) => ACTIVE.has(t.status?.phase ?? ''));
      const policy = String(spec.concurrency_policy ?? 'forbid');
      if (active.length && policy === 'forbid') {
        await event('taskschedule.skipped_forbid', `slot ${at} of ${namespace}/${name} skipped: ${active.map((t) => t.metadata.name).join(', ')} still active (concurrency_policy forbid)`, { active: active.map((t) => t.metadata.name) });
        return;
      }
      if (policy === 'replace') {
        for (const t of active) {
          try {
            await cancelTask(this.deps.registry, this.deps.events, this.deps.clock, t.metadata.namespace, t.metadata.name, SOURCE);
          } catch (e) {
            // Finished (or gone) meanwhile: nothing left to replace.
            if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
          }
        }
        if (active.length) await event('taskschedule.replaced', `slot ${at} of ${namespace}/${name}: cancelled ${active.map((t) => t.metadata.name).join(', ')} (concurrency_policy replace)`, { cancelled: active.map((t) => t.metadata.name) });
      }
    }
    const r = await createRun(this.deps.registry, schedule, runName, slotLabel(slot));
    if (typeof r === 'string') return r;
    status.lastTriggeredTask = runName;
    if (r.created) {
      await event('taskschedule.triggered', `slot ${at} of ${namespace}/${name}: created task ${runName}`, { task: runName });
      this.log.info('task schedule fired', { schedule: `${namespace}/${name}`, slot: at, task: runName });
    }
    return undefined;
  }

  private async runs(schedule: StoredObject, runNamespace: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let after: string | undefined;
    do {
      const page = await this.deps.registry.list(this.tasks, { namespace: runNamespace, labelSelector: `${SCHEDULE_LABEL}=${schedule.metadata.name}`, after, limit: '1000' });
      for (const t of page.items) if ((t.metadata.labels?.[SCHEDULE_NS_LABEL] ?? t.metadata.namespace) === schedule.metadata.namespace) out.push(t);
      after = page.continue;
    } while (after);
    return out;
  }

  /** Keeps the newest successful_history_limit Succeeded and failed_history_limit failed runs. */
  private async prune(schedule: StoredObject, runs: StoredObject[]): Promise<void> {
    const limits: [(p: string) => boolean, number][] = [
      [(p) => p === 'Succeeded', Number(schedule.spec.successful_history_limit ?? 10)],
      [(p) => FAILED.has(p), Number(schedule.spec.failed_history_limit ?? 3)],
    ];
    const pruned: string[] = [];
    for (const [match, limit] of limits) {
      const finished = runs.filter((t) => match(t.status?.phase ?? '')).sort((a, b) => timeOf(b) - timeOf(a));
      for (const t of finished.slice(limit)) {
        try {
          await this.deps.registry.delete(this.tasks, t.metadata.namespace, t.metadata.name);
          pruned.push(t.metadata.name);
        } catch (e) {
          if (!(e instanceof NotFound)) throw e;
        }
      }
    }
    if (pruned.length) {
      const { namespace, name } = schedule.metadata;
      await this.deps.events.publish({ source: SOURCE, type: 'taskschedule.retention_pruned', kind: 'TaskSchedule', name, namespace, message: `task schedule ${namespace}/${name} deleted ${pruned.length} old run(s)`, data: { deleted: pruned } });
    }
  }

  /** Writes the status when it changed (a write feeds back here, so an unchanged one is skipped). */
  private async finish(schedule: StoredObject, status: Status, requeueAfterMs?: number): Promise<ReconcileResult> {
    const { namespace, name } = schedule.metadata;
    if (JSON.stringify(status) !== JSON.stringify(schedule.status ?? {})) {
      try {
        await this.deps.registry.replaceStatus(this.def, namespace, name, { status }, schedule.metadata.resourceVersion);
      } catch (e) {
        // Changed or deleted meanwhile: the change feed brings the key back.
        if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
      }
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }
}
