// The task worker: claims due tasks that fit it (up to --max-concurrent-tasks), runs each with a
// TaskRun, notices cancellation, deletion and takeovers on the change feed (which also carries
// other processes' writes), and hands its leases back when it stops.
import { InsufficientStorage } from '../../errors';
import type { StoredObject } from '../../registry/kind';
import type { WatchService } from '../../watch/service';
import type { Subscription } from '../../watch/hub';
import type { FeedChange } from '../../watch/feeds';
import type { WorkerProfile } from '../leases';
import type { WorkerHeartbeat } from '../workers';
import type { EngineDeps } from './deps';
import { TaskRun } from './task-run';

export interface TaskWorkerOptions {
  profile: WorkerProfile;
  maxConcurrentTasks: number;
  /** How often due tasks are looked for without a wake-up (retry times, lapsed leases). */
  pollMs?: number;
  heartbeat?: WorkerHeartbeat;
}

export class TaskWorker {
  private readonly runs = new Map<string, { run: TaskRun; done: Promise<void> }>();
  private timer?: ReturnType<typeof setInterval>;
  private sub?: Subscription<FeedChange>;
  private stopped = false;
  private ticking = false;
  private again = false;
  /** The pass under way (or the last one): stop() waits for it, so nothing is launched after. */
  private ticked: Promise<void> = Promise.resolve();
  private pending?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly deps: EngineDeps,
    private readonly watch: WatchService,
    private readonly opts: TaskWorkerOptions,
  ) {}

  get running(): number {
    return this.runs.size;
  }

  async start(): Promise<void> {
    await this.opts.heartbeat?.start();
    this.subscribe();
    // tick() logs its own failures and never rejects.
    this.timer = setInterval(() => void this.tick(), this.opts.pollMs ?? 1000);
    (this.timer as { unref?: () => void }).unref?.();
    this.deps.log.info('task worker started', { worker: this.deps.workerId, maxConcurrentTasks: this.opts.maxConcurrentTasks });
    void this.tick();
  }

  private subscribe(): void {
    this.sub = this.watch.changes.hub.subscribe((c) => c.def.kind === 'Task', 100_000);
    void this.follow(this.sub);
  }

  private async follow(sub: Subscription<FeedChange>): Promise<void> {
    try {
      await this.followChanges(sub);
    } catch (e) {
      // A failure here must not end the process: look again with a fresh subscription.
      this.deps.log.error('task change feed failed', { error: String((e as Error)?.message ?? e) });
      sub.close();
      if (!this.stopped) this.subscribe();
    }
  }

  private async followChanges(sub: Subscription<FeedChange>): Promise<void> {
    for (;;) {
      const batch = await sub.next();
      if ('closed' in batch) return;
      if ('overflow' in batch) {
        // Fell behind: look at every running task once and carry on with a fresh subscription.
        for (const { run } of this.runs.values()) await run.observe(await this.read(run.key));
        if (!this.stopped) this.subscribe();
        return;
      }
      let wake = false;
      for (const c of batch.items) {
        const key = `${c.namespace}/${c.name}`;
        const active = this.runs.get(key);
        if (!active) wake = true;
        else if (c.type === 'deleted') await active.run.observe(undefined);
        // The run's own writes need no second look; anyone else's (cancel, takeover) do.
        else if (String(c.revision) !== active.run.task().metadata.resourceVersion) await active.run.observe(await this.read(key));
      }
      if (wake) this.soon();
    }
  }

  private read(key: string): Promise<StoredObject | undefined> {
    const [namespace, name] = key.split('/');
    return this.deps.registry.findDecoded(this.deps.registry.byPlural.get('tasks')!, namespace, name);
  }

  /** A tick shortly, coalescing the wake-ups of a burst of task changes into one look. */
  private soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.tick();
    }, 10);
  }

  /** Claims while there is room; re-entrant calls coalesce into one more pass. Never rejects. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.ticking) {
      this.again = true;
      return this.ticked;
    }
    this.ticking = true;
    this.ticked = this.claimWhileRoom();
    return this.ticked;
  }

  private async claimWhileRoom(): Promise<void> {
    try {
      do {
        this.again = false;
        const room = this.opts.maxConcurrentTasks - this.runs.size;
        if (room > 0) {
          for (const task of await this.deps.leases.claimDue(this.opts.profile, room, new Set(this.runs.keys()))) {
            try {
              await this.launch(task);
            } catch (e) {
              this.deps.leases.forget(task.metadata.namespace, task.metadata.name);
              // Its lease lapses and the task is taken over; the rest of the batch still runs.
              this.deps.log.error('could not start a claimed task', { task: `${task.metadata.namespace}/${task.metadata.name}`, error: String((e as Error)?.message ?? e) });
            }
          }
        }
      } while (this.again && !this.stopped && this.runs.size < this.opts.maxConcurrentTasks);
    } catch (e) {
      // A full disk is logged once by the store; claims simply wait for room (the next tick).
      if (e instanceof InsufficientStorage) this.deps.log.debug('task claim waits for disk space', { error: e.message });
      else this.deps.log.error('task claim failed', { error: String((e as Error)?.message ?? e) });
    } finally {
      this.ticking = false;
    }
  }

  private async launch(task: StoredObject): Promise<void> {
    const { deps } = this;
    const { namespace, name } = task.metadata;
    const s = task.status ?? {};
    const last = Array.isArray(s.history) ? s.history[s.history.length - 1] : undefined;
    const message = `task ${last?.type === 'takeover' ? 'taken over' : 'claimed'} by worker=${deps.workerId} attempt=${s.attempts} lease=${s.leaseUntil}`;
    await deps.logs.append('Task', namespace, name, message);
    await deps.events.publish({
      source: 'task-controller',
      type: 'task.claimed',
      kind: 'Task',
      name,
      namespace,
      message,
      data: { phase: s.phase, attempts: s.attempts, assignedWorker: s.assignedWorker, claimedBy: s.claimedBy, lastError: s.lastError },
    });
    const run = new TaskRun(deps, task);
    const key = run.key;
    const done = run.run().finally(() => {
      this.runs.delete(key);
      // However the run ended (finished, cancelled, deleted, taken over, stopping), this process
      // no longer holds the task's status.
      deps.leases.forget(namespace, name);
      if (this.opts.heartbeat) this.opts.heartbeat.current = this.runs.size;
      void this.tick();
    });
    this.runs.set(key, { run, done });
    if (this.opts.heartbeat) this.opts.heartbeat.current = this.runs.size;
  }

  /** Stops claiming, aborts what runs and hands the leases back so a restart resumes at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.sub?.close();
    // A pass that was claiming launches what it claimed first, so those runs are stopped too.
    await this.ticked;
    for (const { run } of this.runs.values()) run.stop('worker stopping', true);
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
    await this.opts.heartbeat?.stop();
  }
}
