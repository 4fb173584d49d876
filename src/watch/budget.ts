// Byte budgets of watch streams: what each watcher holds (frames queued for it, the part of a replay
// page not yet written, the chunk its socket has not accepted yet) and what all of them hold
// together. Over its own budget a watcher is cut off; over the global one, the watcher holding the
// most is cut first, then the next, until the total fits again.

export interface BudgetLimits {
  /** Bytes one watcher may hold before it is cut off as too slow. */
  perWatcher: number;
  /** Bytes all watchers may hold together. */
  total: number;
}

export class WatchBudget {
  private readonly accounts = new Set<Account>();
  /** Bytes held now: a frame queued for several watchers counts once here, once for each of them. */
  used = 0;

  constructor(readonly limits: BudgetLimits) {}

  open(): Account {
    const a = new Account(this);
    this.accounts.add(a);
    return a;
  }

  /** Open accounts (watchers not yet cut or closed). */
  get size(): number {
    return this.accounts.size;
  }

  /** @internal */
  forget(a: Account): void {
    this.accounts.delete(a);
  }

  /**
   * Cuts the largest watchers until the total fits. The largest is the one furthest behind its
   * socket, so the cut frees the most and spares the watchers that keep up.
   */
  enforce(): void {
    while (this.used > this.limits.total) {
      let largest: Account | undefined;
      for (const a of this.accounts) if (!largest || a.bytes > largest.bytes) largest = a;
      // What cut watchers still hold goes when their sockets take it or their grace ends: cutting
      // a watcher that holds nothing frees nothing.
      if (!largest || largest.bytes <= 0) return;
      largest.disconnect();
    }
  }
}

export class Account {
  /** Bytes this watcher holds. */
  bytes = 0;
  cut = false;
  private closed = false;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly budget: WatchBudget) {}

  get limit(): number {
    return this.budget.limits.perWatcher;
  }

  /** Runs once when the watcher is cut off; listeners release what they hold. */
  onCut(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * The watcher now holds `bytes` more, of which `unshared` are new to the process (a frame
   * already queued for another watcher is not). Cuts this watcher, or the largest, when a budget
   * is exceeded.
   */
  grow(bytes: number, unshared = bytes): void {
    // A closed watcher takes nothing more: what it would count now would never be given back.
    if (this.closed) return;
    this.bytes += bytes;
    this.budget.used += unshared;
    if (this.cut) return;
    if (this.bytes > this.budget.limits.perWatcher) this.disconnect();
    else this.budget.enforce();
  }

  shrink(bytes: number, unshared = bytes): void {
    this.bytes -= bytes;
    this.budget.used -= unshared;
  }

  /** Cuts the watcher off: it is sent the SlowConsumer frame and its buffers are released. */
  disconnect(): void {
    if (this.cut) return;
    this.cut = true;
    this.budget.forget(this);
    for (const fn of this.listeners.splice(0)) fn();
  }

  /** The stream ended: the account stops counting towards the global budget's choices. */
  close(): void {
    this.listeners.length = 0;
    this.budget.forget(this);
    this.closed = true;
  }
}

/** `8388608`, `512KiB`, `8MiB`, `1GiB` (also Ki/Mi/Gi): a whole number of bytes, or undefined. */
export function parseByteSize(v: string): number | undefined {
  const m = /^(\d+)\s*(?:(Ki|Mi|Gi)B?|B)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = { ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
