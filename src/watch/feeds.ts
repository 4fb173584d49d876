// Feeds the hubs in commit order. A local commit is published at once; commits made by other
// processes on the same database (worker processes) are found by tailing the logs, so watchers
// see every change exactly once and in revision order.
import type { OrreryEvent } from '../events/event';
import type { KindDefinition, StoredObject } from '../registry/kind';
import type { ChangeLog } from '../store/change-log';
import type { EventLog } from '../store/event-log';
import type { ChangeType, ResourceRow } from '../store/resource-store';
import { frame, lazyFrame } from './frames';
import { Hub } from './hub';

export interface FeedChange {
  revision: number;
  type: ChangeType;
  def: KindDefinition;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  frame: () => Uint8Array;
}

export interface FeedEvent {
  event: OrreryEvent;
  frame: () => Uint8Array;
}

export interface RowReader {
  byKind: Map<string, KindDefinition>;
  /** A stored row as readers see it (decoded, then redacted). */
  present(def: KindDefinition, row: ResourceRow): StoredObject;
}

const BATCH = 1000;

export function changeFrame(type: ChangeType, revision: number, resource: StoredObject): Uint8Array {
  return frame('resource', revision, `{"type":"${type}","resource":${JSON.stringify(resource)}}`);
}

export class ChangeFeed {
  readonly hub = new Hub<FeedChange>();
  private last: number;

  constructor(private readonly log: ChangeLog, private readonly reader: RowReader) {
    this.last = log.lastRevision();
  }

  /** The newest revision published to the hub. */
  get revision(): number {
    return this.last;
  }

  /** After a local commit: publish it, or catch up first if another process wrote in between. */
  committed(revision: number, type: ChangeType, def: KindDefinition, object: StoredObject): void {
    if (revision <= this.last) return;
    if (revision !== this.last + 1) return this.catchUp();
    this.last = revision;
    const m = object.metadata;
    // A deletion is itself a revision; the frame says which, like the replayed change row does.
    const shown = type === 'deleted' ? { ...object, metadata: { ...m, resourceVersion: String(revision) } } : object;
    this.hub.publish({
      revision,
      type,
      def,
      namespace: m.namespace,
      name: m.name,
      labels: m.labels ?? {},
      frame: lazyFrame(() => changeFrame(type, revision, def.redact ? { ...shown, spec: def.redact(shown.spec) } : shown)),
    });
  }

  /** Publishes every logged change after the last published one. */
  catchUp(): void {
    const upTo = this.log.lastRevision();
    while (this.last < upTo) {
      const batch = this.log.readAfter(this.last, upTo, BATCH);
      if (!batch.length) {
        // Trimmed away before we saw it: nothing to publish, move on.
        this.last = upTo;
        break;
      }
      for (const c of batch) {
        this.last = c.revision;
        const def = this.reader.byKind.get(c.kind.toLowerCase());
        if (!def) continue;
        const row = { ...c.row, resourceVersion: c.revision };
        this.hub.publish({
          revision: c.revision,
          type: c.type,
          def,
          namespace: c.namespace,
          name: c.name,
          labels: JSON.parse(row.labels),
          frame: lazyFrame(() => changeFrame(c.type, c.revision, this.reader.present(def, row))),
        });
      }
    }
  }
}

export function eventFrame(e: OrreryEvent): Uint8Array {
  return frame('event', e.id, JSON.stringify(e));
}

export class EventFeed {
  readonly hub = new Hub<FeedEvent>();
  private last: number;

  constructor(private readonly log: EventLog) {
    this.last = log.lastId();
  }

  get lastId(): number {
    return this.last;
  }

  published(e: OrreryEvent): void {
    if (e.id <= this.last) return;
    if (e.id !== this.last + 1) return this.catchUp();
    this.last = e.id;
    this.hub.publish({ event: e, frame: lazyFrame(() => eventFrame(e)) });
  }

  catchUp(): void {
    const upTo = this.log.lastId();
    while (this.last < upTo) {
      const batch = this.log.readAfter(this.last, upTo, BATCH);
      if (!batch.length) {
        this.last = upTo;
        break;
      }
      for (const e of batch) {
        this.last = e.id;
        this.hub.publish({ event: e, frame: lazyFrame(() => eventFrame(e)) });
      }
    }
  }
}
