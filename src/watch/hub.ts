// In-memory broadcast hub: publishers push items after commit; every subscriber has a bounded
// queue. A subscriber whose queue is full is cut off (it learns so on its next read), so a slow
// reader never slows writers or other subscribers.
export type Batch<T> = { items: T[] } | { overflow: true } | { closed: true };

export class Subscription<T> {
  private queue: T[] = [];
  private overflowed = false;
  private closed = false;
  private wake?: () => void;

  constructor(
    private readonly hub: Hub<T>,
    readonly match: (item: T) => boolean,
    private readonly capacity: number,
  ) {}

  /** Called by the hub; never blocks. Returns true when the reader should be woken. */
  offer(item: T): boolean {
    if (this.closed || this.overflowed || !this.match(item)) return false;
    if (this.queue.length >= this.capacity) {
      this.overflowed = true;
      this.queue = [];
      this.hub.remove(this);
    } else this.queue.push(item);
    return true;
  }

  /** Wakes a waiting reader, which then takes everything queued in one batch. */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits for items and takes all that are queued (one batch per wake-up). */
  async next(): Promise<Batch<T>> {
    for (;;) {
      if (this.closed) return { closed: true };
      if (this.overflowed) return { overflow: true };
      if (this.queue.length) {
        const items = this.queue;
        this.queue = [];
        return { items };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Items queued right now, without waiting. */
  drain(): T[] {
    const items = this.queue;
    this.queue = [];
    return items;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.hub.remove(this);
    this.notify();
  }
}

export class Hub<T> {
  private readonly subs = new Set<Subscription<T>>();
  private readonly pending = new Set<Subscription<T>>();
  private flushScheduled = false;

  subscribe(match: (item: T) => boolean, capacity: number): Subscription<T> {
    const s = new Subscription(this, match, capacity);
    this.subs.add(s);
    return s;
  }

  /**
   * Queues the item for every matching subscriber. Readers are woken once per turn of the event
   * loop, so the changes committed by several requests in one turn go out as one write each.
   */
  publish(item: T): void {
    for (const s of this.subs) if (s.offer(item)) this.pending.add(s);
    if (this.pending.size && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const subs = [...this.pending];
    this.pending.clear();
    for (const s of subs) s.notify();
  }

  remove(s: Subscription<T>): void {
    this.subs.delete(s);
    // A removed subscriber (overflowed or closed) still needs waking to see why.
    this.pending.add(s);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Ends every subscription (shutdown): their readers see `closed` and finish. */
  closeAll(): void {
    for (const s of [...this.subs]) s.close();
  }

  get size(): number {
    return this.subs.size;
  }
}

/** The live part of a watch: every batch as frames, until the stream closes or falls behind. */
export async function* liveFrames<T extends { frame: () => Uint8Array }>(sub: Subscription<T>, slowConsumerFrame: () => Uint8Array): AsyncGenerator<Uint8Array[], void, undefined> {
  for (;;) {
    const batch = await sub.next();
    if ('closed' in batch) return;
    if ('overflow' in batch) {
      yield [slowConsumerFrame()];
      return;
    }
    yield batch.items.map((i) => i.frame());
  }
}
