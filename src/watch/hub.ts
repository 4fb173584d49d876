// In-memory broadcast hub: publishers push items after commit; every subscriber has a bounded
// queue. A subscriber whose queue is full — in frames, or in bytes when it has a budget account —
// is cut off (it learns so on its next read), so a slow reader never slows writers or other
// subscribers.
import type { Account } from './budget';

export type Batch<T> = { items: T[] } | { overflow: true } | { closed: true };

/** One published item as the queues hold it: sized once, and counted once globally however many
 *  budgeted queues hold it. */
interface Entry<T> {
  item: T;
  /** Frame bytes; -1 until a budgeted subscriber first sizes it. */
  bytes: number;
  /** Budgeted queues that hold it (and have counted it). */
  holders: number;
}

export interface SubscribeOptions<T> {
  /** Most items queued before the subscriber is cut off. */
  capacity: number;
  /** Counts queued bytes against this watcher's budget (and the global one). */
  account?: Account;
  /** Bytes an item costs while queued (its frame); needed with `account`. */
  size?: (item: T) => number;
  /** Subscribers with the same key have the same `match`: it runs once per item for all of them. */
  key?: string;
}

export class Subscription<T> {
  private queue: Entry<T>[] = [];
  /** Leading entries of the queue that are sized and counted against the account. */
  private counted = 0;
  private overflowed = false;
  private closed = false;
  private wake?: () => void;
  private readonly capacity: number;
  private readonly account?: Account;
  private readonly size?: (item: T) => number;
  readonly key?: string;
  /** In the hub's list of subscribers to wake this turn. */
  waking = false;

  constructor(
    private readonly hub: Hub<T>,
    readonly match: (item: T) => boolean,
    opts: SubscribeOptions<T>,
  ) {
    this.capacity = opts.capacity;
    this.account = opts.account;
    this.size = opts.size;
    this.key = opts.key;
    this.account?.onCut(() => this.overflow());
  }

  /** Called by the hub; never blocks. Returns true when the reader should be woken. `matched`:
   *  the match already decided for this subscriber's key. */
  offer(entry: Entry<T>, matched?: boolean): boolean {
    if (this.closed || this.overflowed || !(matched ?? this.match(entry.item))) return false;
    if (this.queue.length >= this.capacity) {
      if (this.account) this.account.disconnect();
      else this.overflow();
    } else this.queue.push(entry);
    return true;
  }

  /** Sizes what was queued since the last call and counts it; this may cut the subscriber off. */
  settle(): void {
    const a = this.account;
    if (!a || !this.size) return;
    while (this.counted < this.queue.length && !this.overflowed) {
      const e = this.queue[this.counted++];
      if (e.bytes < 0) e.bytes = this.size(e.item);
      a.grow(e.bytes, e.holders++ === 0 ? e.bytes : 0);
    }
  }

  /** Wakes a waiting reader, which then takes what is queued. */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Waits for items and takes the queued ones: all of them, or with `maxBytes` as many as fit
   * (at least one), so a budgeted reader holds one socket write's worth outside the queue.
   */
  async next(maxBytes = Infinity): Promise<Batch<T>> {
    for (;;) {
      if (this.closed) return { closed: true };
      if (this.overflowed) return { overflow: true };
      this.settle();
      if (this.overflowed) continue;
      if (this.queue.length) return { items: this.take(maxBytes) };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Items queued right now, without waiting. */
  drain(): T[] {
    return this.take(Infinity);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release(this.queue.length);
    this.hub.remove(this);
    this.notify();
  }

  private take(maxBytes: number): T[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + Math.max(0, this.queue[n].bytes) <= maxBytes)) bytes += Math.max(0, this.queue[n++].bytes);
    const items = this.queue.slice(0, n).map((e) => e.item);
    this.release(n);
    return items;
  }

  /** Drops the first n entries, giving back what they counted. */
  private release(n: number): void {
    const counted = Math.min(n, this.counted);
    for (let i = 0; i < counted; i++) {
      const e = this.queue[i];
      this.account!.shrink(e.bytes, --e.holders === 0 ? e.bytes : 0);
    }
    this.counted -= counted;
    this.queue = n >= this.queue.length ? [] : this.queue.slice(n);
  }

  private overflow(): void {
    if (this.overflowed || this.closed) return;
    this.overflowed = true;
    this.release(this.queue.length);
    this.hub.remove(this);
  }
}

export class Hub<T> {
  private readonly subs = new Set<Subscription<T>>();
  private pending: Subscription<T>[] = [];
  private flushScheduled = false;

  subscribe(match: (item: T) => boolean, capacity: number | SubscribeOptions<T>): Subscription<T> {
    const s = new Subscription(this, match, typeof capacity === 'number' ? { capacity } : capacity);
    this.subs.add(s);
    return s;
  }

  /**
   * Queues the item for every matching subscriber. Readers are woken once per turn of the event
   * loop, so the changes committed by several requests in one turn go out as one write each.
   */
  publish(item: T): void {
    const entry: Entry<T> = { item, bytes: -1, holders: 0 };
    // Watchers with the same filter share one match decision (1000 unfiltered watchers: one call).
    const decided = new Map<string, boolean>();
    for (const s of this.subs) {
      let matched: boolean | undefined;
      if (s.key !== undefined) {
        matched = decided.get(s.key);
        if (matched === undefined) decided.set(s.key, (matched = s.match(item)));
      }
      if (s.offer(entry, matched)) this.wake(s);
    }
    this.scheduleFlush();
  }

  private wake(s: Subscription<T>): void {
    if (s.waking) return;
    s.waking = true;
    this.pending.push(s);
  }

  private scheduleFlush(): void {
    if (this.pending.length && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sizes what each woken subscriber was given (frames are built here, once per change, off the
   *  writer's path), applies the budgets, then wakes the readers. */
  private flush(): void {
    this.flushScheduled = false;
    const subs = this.pending;
    this.pending = [];
    for (const s of subs) s.waking = false;
    for (const s of subs) s.settle();
    for (const s of subs) s.notify();
  }

  remove(s: Subscription<T>): void {
    this.subs.delete(s);
    // A removed subscriber (overflowed or closed) still needs waking to see why.
    this.wake(s);
    this.scheduleFlush();
  }

  /** Ends every subscription (shutdown): their readers see `closed` and finish. */
  closeAll(): void {
    for (const s of [...this.subs]) s.close();
  }

  get size(): number {
    return this.subs.size;
  }
}

/** The live part of a watch: queued frames, at most `maxBytes` per yield (at least one frame),
 *  until the stream closes or falls behind (the stream then sends the SlowConsumer frame). */
export async function* liveFrames<T extends { frame: () => Uint8Array }>(sub: Subscription<T>, maxBytes: number): AsyncGenerator<Uint8Array[], void, undefined> {
  for (;;) {
    const batch = await sub.next(maxBytes);
    if (!('items' in batch)) return;
    yield batch.items.map((i) => i.frame());
  }
}
