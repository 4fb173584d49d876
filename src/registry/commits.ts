// How a registry write is committed and published: one IMMEDIATE transaction with its resource
// event, or a place in the group commit of the current event-loop turn; commit listeners (watches,
// the engine's change feed) hear of a change only once it is committed.
import { Conflict } from '../errors';
import type { OrreryEvent } from '../events/event';
import type { EventLog } from '../store/event-log';
import { VersionConflict, type ChangeType, type ResourceStore } from '../store/resource-store';
import type { Clock } from '../util/time';
import type { KindDefinition, StoredObject } from './kind';
import { recordResourceEvent, type WriteAction } from './resource-events';

export interface CommittedChange {
  type: ChangeType;
  revision: number;
  def: KindDefinition;
  /** Decoded object; publishers must redact before anything leaves the process. */
  object: StoredObject;
  /** The resource.* event committed with the change, when an event log is attached. */
  event?: OrreryEvent;
}

export type CommitListener = (change: CommittedChange) => void;

export interface WriteResult {
  object: StoredObject;
  created: boolean;
}

/** What a write's transaction produced: the change to publish, when there is one. */
export type TxResult = WriteResult & { revision?: number; type?: ChangeType; event?: OrreryEvent };

/**
 * The unit of work of one registry write. `sideWrite` runs inside the write's IMMEDIATE transaction,
 * after the object is written (or found unchanged) and before commit: rows it writes (a webhook
 * dedupe row, task records) commit with the object or not at all, and a throw rolls both back.
 * It must stay synchronous. Commit listeners still fire only after the commit.
 */
export interface WriteOptions {
  sideWrite?: (result: WriteResult) => void;
}

export class Commits {
  private readonly listeners: CommitListener[] = [];
  /** While a grouped() call runs: its committed changes, published after the group's COMMIT. */
  private held?: CommittedChange[];

  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
    private readonly events?: EventLog,
  ) {}

  onCommit(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  write(def: KindDefinition, action: WriteAction, fn: () => TxResult, opts: WriteOptions = {}): WriteResult {
    let result: TxResult;
    try {
      result = this.store.transaction(() => this.inTransaction(def, action, fn, opts));
    } catch (e) {
      throw concurrentConflict(e);
    }
    this.publish(def, result);
    return result;
  }

  /** write, queued for the group commit of this event-loop turn; listeners fire after its COMMIT. */
  async writeGrouped(def: KindDefinition, action: WriteAction, fn: () => TxResult): Promise<WriteResult> {
    try {
      return await this.store.grouped(() => this.inTransaction(def, action, fn, {}), (r) => this.publish(def, r));
    } catch (e) {
      throw concurrentConflict(e);
    }
  }

  /** Runs `fn` in this turn's group commit; the changes its writes make are published after it. */
  grouped<T>(fn: () => T): Promise<T> {
    const changes: CommittedChange[] = [];
    const run = () => {
      const outer = this.held;
      this.held = changes;
      try {
        return fn();
      } finally {
        this.held = outer;
      }
    };
    return this.store.grouped(run, () => {
      for (const c of changes) this.fire(c);
    });
  }

  private inTransaction(def: KindDefinition, action: WriteAction, fn: () => TxResult, opts: WriteOptions): TxResult {
    const r = fn();
    opts.sideWrite?.({ object: r.object, created: r.created });
    if (r.type && this.events) r.event = recordResourceEvent(this.events, this.clock.now(), def, action, r.type, r.object);
    return r;
  }

  private publish(def: KindDefinition, result: TxResult): void {
    if (result.revision === undefined || !result.type) return;
    const change: CommittedChange = { type: result.type, revision: result.revision, def, object: result.object, event: result.event };
    if (this.held) this.held.push(change);
    else this.fire(change);
  }

  private fire(change: CommittedChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

function concurrentConflict(e: unknown): unknown {
  return e instanceof VersionConflict ? new Conflict('the object was modified concurrently; read it again and retry') : e;
}
