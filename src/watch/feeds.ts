// Feeds the hubs in commit order. A local commit is published at once; commits made by other
// processes on the same database (worker processes) are found by tailing the logs, so watchers
// see every change exactly once and in revision order.
import type { OrreryEvent } from '../events/event';
import type { KindDefinition, StoredObject } from '../registry/kind';
import type { ChangeType, ResourceRow } from '../store/resource-store';
import { frame, lazyFrame } from './frames';
import { Hub } from './hub';
import type { Changes, Events } from '../store/backend';

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
  /** Hears of each change another process committed, in revision order, once. */
  committedElsewhere?(def: KindDefinition, type: ChangeType, revision: number, row: ResourceRow): void;
}

const BATCH = 1000;

export function changeFrame(type: ChangeType, revision: number, resource: StoredObject): Uint8Array {
  return frame('resource', revision, `{"type":"${type}","resource":${JSON.stringify(resource)}}`);
}

/**
 * Runs a catch-up one at a time: a call while one runs makes it run once more after (so what was
 * committed before the call is included) and resolves with that run.
 */
class CatchUp {
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly once: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          await this.once();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }
}

export class ChangeFeed {
  readonly hub = new Hub<FeedChange>();
  private last = 0;
  /** Whether `last` was read from the log yet: the feed starts after what was committed before it. */
  private started = false;
  private readonly catching = new CatchUp(() => this.catchUpOnce());
  /** Local commits that came out of order and are published from the log instead (their listeners already ran). */
  private readonly local = new Set<number>();

  constructor(private readonly log: Changes, private readonly reader: RowReader) {
    // The first catch-up reads the starting revision (at once on SQLite, before any commit can
    // follow). A failure leaves the feed unstarted: the next catch-up (a poll, a watch, a commit)
    // reads it again, and the poll reports its failure.
    void this.catchUp().catch(() => {});
  }

  /** The newest revision published to the hub. */
  get revision(): number {
    return this.last;
  }

  /** After a local commit: publish it, or catch up first if another process wrote in between. */
  committed(revision: number, type: ChangeType, def: KindDefinition, object: StoredObject): void {
    if (revision <= this.last) return;
    if (!this.started || revision !== this.last + 1) {
      // The log has it, in order. A failure is retried (and reported) by the next poll.
      this.local.add(revision);
      void this.catchUp().catch(() => {});
      return;
    }
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

  /**
   * Publishes every logged change after the last published one; resolves once everything
   * committed before the call is published. Local commits may be published (by committed())
   * while it reads: they advance `last`, and the pages read skip what is already published, so
   * the hub still gets every revision once and in order.
   */
  catchUp(): Promise<void> {
    return this.catching.run();
  }

  private async catchUpOnce(): Promise<void> {
    if (!this.started) {
      this.last = await this.log.lastRevision();
      this.started = true;
      return;
    }
    const upTo = await this.log.lastRevision();
    while (this.last < upTo) {
      const batch = await this.log.readAfter(this.last, upTo, BATCH);
      if (!batch.length) {
        // Trimmed away before we saw it: nothing to publish, move on.
        this.last = Math.max(this.last, upTo);
        break;
      }
      for (const c of batch) {
        if (c.revision <= this.last) continue;
        this.last = c.revision;
        const def = this.reader.byKind.get(c.kind.toLowerCase());
        if (!def) continue;
        const row = { ...c.row, resourceVersion: c.revision };
        if (!this.local.delete(c.revision)) this.reader.committedElsewhere?.(def, c.type, c.revision, row);
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
    // Out-of-order local commits the log no longer has (trimmed) are not waited for.
    for (const r of this.local) if (r <= this.last) this.local.delete(r);
  }
}

export function eventFrame(e: OrreryEvent): Uint8Array {
  return frame('event', e.id, JSON.stringify(e));
}

export class EventFeed {
  readonly hub = new Hub<FeedEvent>();
  private last = 0;
  /** Whether `last` was read from the log yet (see ChangeFeed). */
  private started = false;
  private readonly catching = new CatchUp(() => this.catchUpOnce());

  constructor(private readonly log: Events) {
    // As for ChangeFeed: a failure is retried by the next catch-up.
    void this.catchUp().catch(() => {});
  }

  get lastId(): number {
    return this.last;
  }

  published(e: OrreryEvent): void {
    if (e.id <= this.last) return;
    if (!this.started || e.id !== this.last + 1) {
      // A failure is retried (and reported) by the next poll.
      void this.catchUp().catch(() => {});
      return;
    }
    this.last = e.id;
    this.hub.publish({ event: e, frame: lazyFrame(() => eventFrame(e)) });
  }

  /** Publishes every logged event after the last published one (see ChangeFeed.catchUp). */
  catchUp(): Promise<void> {
    return this.catching.run();
  }

  private async catchUpOnce(): Promise<void> {
    if (!this.started) {
      this.last = await this.log.lastId();
      this.started = true;
      return;
    }
    const upTo = await this.log.lastId();
    while (this.last < upTo) {
      const batch = await this.log.readAfter(this.last, upTo, BATCH);
      if (!batch.length) {
        this.last = Math.max(this.last, upTo);
        break;
      }
      for (const e of batch) {
        if (e.id <= this.last) continue;
        this.last = e.id;
        this.hub.publish({ event: e, frame: lazyFrame(() => eventFrame(e)) });
      }
    }
  }
}
