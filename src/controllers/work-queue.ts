// A keyed work queue for level-triggered controllers: queued keys are deduplicated, one key never
// runs twice at once (an add while it runs makes it run again after), failures back off.
import type { Logger } from '../log';

export type ReconcileResult = { requeueAfterMs?: number } | void;
export type Reconcile = (key: string) => ReconcileResult | Promise<ReconcileResult>;

/** Delayed re-adds go through this, so tests can fire them by hand instead of sleeping. */
export type Schedule = (fn: () => void, ms: number) => { cancel(): void };

export const timerSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return { cancel: () => clearTimeout(timer) };
};

export interface WorkQueueOptions {
  name: string;
  log: Logger;
  /** Keys reconciled at the same time (different keys only). Default 1. */
  concurrency?: number;
  /** First retry delay after a failure, doubled per consecutive failure up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  schedule?: Schedule;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while running: they go back into the queue when their run ends. */
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { cancel(): void }>();
  private readonly failures = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly schedule: Schedule;

  constructor(
    private readonly reconcile: Reconcile,
    private readonly opts: WorkQueueOptions,
  ) {
    this.schedule = opts.schedule ?? timerSchedule;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) this.dirty.add(key);
    else if (!this.queued.has(key)) {
      this.queued.add(key);
      this.queue.push(key);
      queueMicrotask(() => this.pump());
    }
  }

  /** Adds the key after a delay; a later delay for the same key replaces an earlier one. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    this.delayed.get(key)?.cancel();
    const handle = this.schedule(() => {
      if (this.delayed.get(key) === handle) this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, handle);
  }

  /** Drops queued and delayed keys; runs in progress finish. */
  stop(): void {
    this.stopped = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.settle();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Keys waiting for a delayed retry or requeue (not counted by idle()). */
  get pendingDelayed(): number {
    return this.delayed.size;
  }

  /** Resolves once nothing is queued or running; delayed re-adds do not count. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.running.size === 0;
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 1;
    while (!this.stopped && this.running.size < limit && this.queue.length) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    this.settle();
  }

  private async run(key: string): Promise<void> {
    let result: ReconcileResult = undefined;
    let failed = false;
    try {
      result = await this.reconcile(key);
      this.failures.delete(key);
    } catch (e) {
      failed = true;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = this.backoff(n);
      this.opts.log.error(`${this.opts.name}: reconcile failed, retrying`, { key, attempt: n, retryInMs: delay, error: (e as Error)?.message ?? String(e) });
      this.addAfter(key, delay);
    }
    this.running.delete(key);
    if (!failed && result?.requeueAfterMs !== undefined) {
      if (result.requeueAfterMs <= 0) this.dirty.add(key);
      else this.addAfter(key, result.requeueAfterMs);
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }

  private backoff(attempt: number): number {
    const base = this.opts.baseBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 60_000;
    return Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
