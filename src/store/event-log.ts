// The persisted event log: append inside a write transaction, read after an id for replay, and
// trim by count and age (always keeping the newest row, whose id floors the next one).
import { and, asc, gt, gte, lte, sql } from 'drizzle-orm';
import { events } from '../../db/schema';
import { nanoTimestamp, type NewEvent, type OrreryEvent } from '../events/event';
import type { EventSink } from '../events/publisher';
import { deletedRows, type OpenDatabase } from './database';

type EventRow = typeof events.$inferSelect;
const ph = (name: string) => sql.placeholder(name);

export function rowToEvent(r: EventRow): OrreryEvent {
  const e: OrreryEvent = { id: r.id, timestamp: r.timestamp, source: r.source, type: r.type };
  if (r.kind) e.kind = r.kind;
  if (r.name) e.name = r.name;
  if (r.namespace) e.namespace = r.namespace;
  if (r.action) e.action = r.action;
  if (r.message) e.message = r.message;
  if (r.data !== null) e.data = JSON.parse(r.data);
  return e;
}

export class EventLog implements EventSink {
  private readonly stmt;

  constructor(readonly handle: OpenDatabase) {
    const db = handle.db;
    this.stmt = {
      last: db.select({ id: sql<number>`COALESCE(MAX(${events.id}), 0)` }).from(events).prepare(),
      first: db.select({ id: sql<number | null>`MIN(${events.id})` }).from(events).prepare(),
      after: db.select().from(events).where(and(gt(events.id, ph('after')), lte(events.id, ph('upTo')))).orderBy(asc(events.id)).limit(ph('limit')).prepare(),
      insert: db
        .insert(events)
        .values({
          id: ph('id'),
          timestamp: ph('timestamp'),
          source: ph('source'),
          type: ph('type'),
          kind: ph('kind'),
          name: ph('name'),
          namespace: ph('namespace'),
          action: ph('action'),
          message: ph('message'),
          data: ph('data'),
        } as unknown as typeof events.$inferInsert)
        .prepare(),
    };
  }

  lastId(): number {
    return Number(this.stmt.last.get()!.id);
  }

  /** The oldest id still held, or undefined when the log is empty. */
  firstId(): number | undefined {
    const v = this.stmt.first.get()?.id;
    return v === null || v === undefined ? undefined : Number(v);
  }

  /** Appends inside the caller's write transaction (or alone when none is open). */
  append(e: NewEvent, now: Date, nano: (d: Date) => string): OrreryEvent {
    const row = {
      id: this.lastId() + 1,
      timestamp: e.timestamp ?? nano(now),
      source: e.source,
      type: e.type,
      kind: e.kind ?? '',
      name: e.name ?? '',
      namespace: e.namespace ?? '',
      action: e.action ?? '',
      message: e.message ?? '',
      data: e.data === undefined ? null : JSON.stringify(e.data),
    };
    this.stmt.insert.run(row);
    return rowToEvent(row);
  }

  /** Appends in an IMMEDIATE transaction of its own (the EventPublisher's sink). */
  commit(e: NewEvent, now: Date): OrreryEvent {
    return this.handle.sqlite.transaction(() => this.append(e, now, nanoTimestamp)).immediate();
  }

  /** Events with after < id ≤ upTo, oldest first. */
  readAfter(after: number, upTo: number, limit: number): OrreryEvent[] {
    return this.stmt.after.all({ after, upTo, limit }).map(rowToEvent);
  }

  /**
   * Deletes events beyond the newest `keep` that are also older than `maxAgeMs`, at most `step`
   * of the oldest at a time. The newest event is never deleted.
   */
  trim(keep: number, maxAgeMs: number, now: Date, nano: (d: Date) => string, step: number): number {
    const last = this.lastId();
    const first = this.firstId() ?? last;
    const cutoff = nano(new Date(now.getTime() - maxAgeMs));
    // A contiguous prefix only (see ChangeLog.trim).
    const young = this.handle.db.select({ id: sql<number | null>`MIN(${events.id})` }).from(events).where(gte(events.timestamp, cutoff)).get()?.id;
    const bound = Math.min(last - keep, first + step - 1, last - 1, young === null || young === undefined ? Infinity : Number(young) - 1);
    if (bound < first) return 0;
    this.handle.db.delete(events).where(lte(events.id, bound)).run();
    return deletedRows(this.handle);
  }
}
