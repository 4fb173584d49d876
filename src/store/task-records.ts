// Record streams kept outside an object's row (a Task's messages, trace, history and idempotency
// records): ordered rows per (owner uid, field), appended and trimmed one hop at a time, so the
// cost of a hop does not depend on how long the streams already are. Keyed streams (messages)
// update a record in place by its key. Callers run these inside the registry's write transaction.
import { and, asc, eq, sql } from 'drizzle-orm';
import { taskRecords } from '../../db/schema';
import type { OpenDatabase } from './database';

/** What one write does to one record stream. */
export interface RecordDelta {
  field: string;
  /** The stream becomes exactly these records (a whole-status write). */
  replace?: unknown[];
  /** Records added at the end, in order. */
  append?: unknown[];
  /** After appending, only the newest `keep` records stay (the stream's cap). */
  keep?: number;
  /** Keyed records written in place (or added at the end when the key is new). */
  upsert?: { key: string; value: unknown }[];
  /** Keys of keyed records to remove. */
  remove?: string[];
}

/** How a stream names its records (messages by message_id); unkeyed streams use ''. */
export type RecordKeyOf = (field: string, value: unknown) => string;

const ph = (name: string) => sql.placeholder(name);

export class TaskRecordStore {
  private readonly stmt;

  constructor(
    handle: OpenDatabase,
    private readonly keyOf: RecordKeyOf = () => '',
  ) {
    const db = handle.db;
    const owner = and(eq(taskRecords.taskUid, ph('uid')), eq(taskRecords.field, ph('field')));
    const ofKey = and(owner, eq(taskRecords.key, ph('key')));
    this.stmt = {
      all: db.select({ field: taskRecords.field, body: taskRecords.body }).from(taskRecords).where(eq(taskRecords.taskUid, ph('uid'))).orderBy(asc(taskRecords.field), asc(taskRecords.seq)).prepare(),
      last: db.select({ seq: sql<number>`COALESCE(MAX(${taskRecords.seq}), 0)` }).from(taskRecords).where(owner).prepare(),
      insert: db
        .insert(taskRecords)
        .values({ taskUid: ph('uid'), field: ph('field'), seq: ph('seq'), key: ph('key'), body: ph('body') } as unknown as typeof taskRecords.$inferInsert)
        .prepare(),
      update: db.update(taskRecords).set({ body: ph('body') } as unknown as Partial<typeof taskRecords.$inferInsert>).where(ofKey).returning({ seq: taskRecords.seq }).prepare(),
      remove: db.delete(taskRecords).where(ofKey).prepare(),
      trim: db.delete(taskRecords).where(and(owner, sql`${taskRecords.seq} <= ${ph('upTo')}`)).prepare(),
      clear: db.delete(taskRecords).where(owner).prepare(),
      drop: db.delete(taskRecords).where(eq(taskRecords.taskUid, ph('uid'))).prepare(),
    };
  }

  /** Every stream of an owner, oldest record first; streams without records are absent. */
  load(uid: string): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const r of this.stmt.all.all({ uid })) (out[r.field] ??= []).push(JSON.parse(r.body));
    return out;
  }

  apply(uid: string, deltas: RecordDelta[]): void {
    for (const d of deltas) this.applyOne(uid, d);
  }

  /** Removes every record of an owner (its object was deleted). */
  drop(uid: string): void {
    this.stmt.drop.run({ uid });
  }

  private applyOne(uid: string, d: RecordDelta): void {
    const { field } = d;
    if (d.replace) {
      this.stmt.clear.run({ uid, field });
      d.replace.forEach((value, i) => this.insert(uid, field, i + 1, value));
    }
    let seq: number | undefined;
    const next = () => (seq = (seq ?? Number(this.stmt.last.get({ uid, field })!.seq)) + 1);
    for (const key of d.remove ?? []) this.stmt.remove.run({ uid, field, key });
    for (const u of d.upsert ?? []) {
      const body = JSON.stringify(u.value);
      if (!this.stmt.update.get({ uid, field, key: u.key, body })) this.stmt.insert.run({ uid, field, seq: next(), key: u.key, body });
    }
    for (const value of d.append ?? []) this.insert(uid, field, next(), value);
    if (d.keep !== undefined && d.append?.length) {
      const last = seq ?? Number(this.stmt.last.get({ uid, field })!.seq);
      if (last > d.keep) this.stmt.trim.run({ uid, field, upTo: last - d.keep });
    }
  }

  private insert(uid: string, field: string, seq: number, value: unknown): void {
    this.stmt.insert.run({ uid, field, seq, key: this.keyOf(field, value), body: JSON.stringify(value) });
  }
}
