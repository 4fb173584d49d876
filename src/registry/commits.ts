// How a registry write is committed and published: a unit of work of the store (with its resource
// event and side writes), group-committed with the other writes of the same event-loop turn;
// commit listeners (watches, the engine's change feed) hear of a change only once it is committed.
import { Conflict } from '../errors';
import type { OrreryEvent } from '../events/event';
import { VersionConflict, type ChangeType } from '../store/resource-store';
import type { Clock } from '../util/time';
import type { KindDefinition, StoredObject } from './kind';
import { recordResourceEvent, type WriteAction } from './resource-events';
import type { Events, Resources } from '../store/backend';

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
 * The unit of work of one registry write. `sideWrite` runs inside the write's transaction, after
 * the object is written (or found unchanged) and before commit: rows it writes (a webhook dedupe
 * row, task records) commit with the object or not at all, and a throw rolls both back. It may
 * only do store work. Commit listeners still fire only after the commit.
 */
export interface WriteOptions {
  sideWrite?: (result: WriteResult) => unknown;
}

export class Commits {
  private readonly listeners: CommitListener[] = [];

  constructor(
    private readonly store: Resources,
    private readonly clock: Clock,
    private readonly events?: Events,
  ) {}

  onCommit(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** One write as a unit of work of the store; listeners fire after its COMMIT. */
  async write(def: KindDefinition, action: WriteAction, fn: () => Promise<TxResult>, opts: WriteOptions = {}): Promise<TxResult> {
    try {
      return await this.store.write(() => this.inTransaction(def, action, fn, opts), (r) => this.publish(def, r));
    } catch (e) {
      throw concurrentConflict(e);
    }
  }

  private async inTransaction(def: KindDefinition, action: WriteAction, fn: () => Promise<TxResult>, opts: WriteOptions): Promise<TxResult> {
    const r = await fn();
    await opts.sideWrite?.({ object: r.object, created: r.created });
    if (r.type && this.events) r.event = await recordResourceEvent(this.events, this.clock.now(), def, action, r.type, r.object);
    return r;
  }

  private publish(def: KindDefinition, result: TxResult): void {
    if (result.revision === undefined || !result.type) return;
    this.fire({ type: result.type, revision: result.revision, def, object: result.object, event: result.event });
  }

  /** A change another process committed (read from the change log, in revision order). */
  committedElsewhere(change: CommittedChange): void {
    this.fire(change);
  }

  private fire(change: CommittedChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

function concurrentConflict(e: unknown): unknown {
  return e instanceof VersionConflict ? new Conflict('the object was modified concurrently; read it again and retry') : e;
}
