// How the registry shows and stores the status fields a kind keeps as record streams outside its
// row (a Task's messages, trace, history and idempotency records; see store/task-records.ts).
// Single reads and write answers show the streams inside the status; lists and watch frames carry
// the rest of the status (the summary) with `record_counts`.
import type { RecordDelta } from '../store/task-records';
import type { Records } from '../store/backend';
import { deepEqual } from '../util/equal';
import type { KindDefinition, Status, StoredObject } from './kind';

export class RecordStreams {
  private readonly store: Records;

  /** `open` gives the backend's record store for the streams the kinds declare. */
  constructor(kinds: readonly KindDefinition[], open: (streams: Record<string, string>) => Records) {
    const streams: Record<string, string> = {};
    for (const k of kinds) Object.assign(streams, k.records);
    this.store = open(streams);
  }

  /** The object with its record streams in the status (each one an array, empty when it has none). */
  async show(def: KindDefinition, object: StoredObject): Promise<StoredObject> {
    if (!def.records) return object;
    const held = await this.store.load(object.metadata.uid);
    const status: Status = { ...object.status };
    for (const field of Object.keys(def.records)) status[field] = held[field] ?? [];
    return { ...object, status };
  }

  /**
   * A whole status being written (PUT …/status, a read-modify-write): its record streams are taken
   * out of it, `record_counts` is set, and each stream that differs from what is held is replaced.
   */
  async moveOut(def: KindDefinition, uid: string, status: Status): Promise<RecordDelta[]> {
    const held = await this.store.load(uid);
    const deltas: RecordDelta[] = [];
    const counts: Record<string, number> = {};
    for (const field of Object.keys(def.records ?? {})) {
      const items: unknown[] = Array.isArray(status[field]) ? status[field] : [];
      delete status[field];
      counts[field] = items.length;
      if (!deepEqual(items, held[field] ?? [])) deltas.push({ field, replace: items });
    }
    status.record_counts = counts;
    return deltas;
  }

  /** Writes the changes to an owner's streams; callers run it inside the write's transaction. */
  async apply(uid: string, deltas: RecordDelta[]): Promise<void> {
    if (deltas.length) await this.store.apply(uid, deltas);
  }

  drop(uid: string): Promise<void> {
    return this.store.drop(uid);
  }
}
