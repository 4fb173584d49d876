// The persisted event log: append inside a write transaction, read after an id for replay, and
// trim by count and age (always keeping the newest row, whose id floors the next one).
import { and, asc, gt, gte, lte, sql } from 'drizzle-orm';
import { events } from '../../db/schema';
import { nanoTimestamp, type NewEvent, type OrreryEvent } from '../events/event';
import type { EventSink } from '../events/publisher';
import { deletedRows, type OpenDatabase } from './database';
import type { ResourceStore } from './resource-store';
import { trimBound } from './change-log';

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

/** The event an append stored, as answered: it holds `e.data` itself, not a copy read back. */
export function appendedEvent(e: NewEvent, id: number, timestamp: string): OrreryEvent {
  const event: OrreryEvent = { id, timestamp, source: e.source, type: e.type };
  if (e.kind) event.kind = e.kind;
  if (e.name) event.name = e.name;
  if (e.namespace) event.namespace = e.namespace;
  if (e.action) event.action = e.action;
  if (e.message) event.message = e.message;
  if (e.data !== undefined) event.data = e.data;
  return event;
}

export class EventLog implements EventSink {
  private readonly stmt;
  private readonly raw;

  constructor(
    readonly handle: OpenDatabase,
    /** Whose unit of work an event of its own commits in. */
    private readonly store: Pick<ResourceStore, 'write'>,
  ) {
    const db = handle.db;
    this.stmt = {
      first: db.select({ id: sql<number | null>`MIN(${events.id})` }).from(events).prepare(),
      after: db.select().from(events).where(and(gt(events.id, ph('after')), lte(events.id, ph('upTo')))).orderBy(asc(events.id)).limit(ph('limit')).prepare(),
    };
    // Appends go straight to bun:sqlite: drizzle's placeholder filling cost more than the insert.
    this.raw = {
      last: handle.sqlite.prepare<unknown[], []>('SELECT COALESCE(MAX(id), 0) FROM events'),
      insert: handle.sqlite.prepare<unknown, any[]>(
        'INSERT INTO events (id, timestamp, source, type, kind, name, namespace, action, message, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)',
      ),
    };
  }

  async lastId(): Promise<number> {
    return this.last();
  }

  private last(): number {
    return Number(this.raw.last.values()[0][0]);
  }

  /** The oldest id still held, or undefined when the log is empty. */
  async firstId(): Promise<number | undefined> {
    const v = this.stmt.first.get()?.id;
    return v === null || v === undefined ? undefined : Number(v);
  }

  /**
   * Appends inside the caller's write transaction (or alone when none is open). `dataJson`, when
   * given, is `e.data` already encoded (a writer that also answers with it encodes it once). The
   * returned event holds `e.data` itself, not a copy read back.
   */
  async append(e: NewEvent, now: Date, nano: (d: Date) => string, dataJson?: string): Promise<OrreryEvent> {
    const id = this.last() + 1;
    const timestamp = e.timestamp ?? nano(now);
    const data = e.data === undefined ? null : (dataJson ?? JSON.stringify(e.data));
    this.raw.insert.run(id, timestamp, e.source, e.type, e.kind ?? '', e.name ?? '', e.namespace ?? '', e.action ?? '', e.message ?? '', data);
    return appendedEvent(e, id, timestamp);
  }

  /** Appends in a write of its own (the EventPublisher's sink). */
  commit(e: NewEvent, now: Date): Promise<OrreryEvent> {
    return this.store.write(() => this.append(e, now, nanoTimestamp));
  }

  /** Events with after < id ≤ upTo, oldest first. */
  async readAfter(after: number, upTo: number, limit: number): Promise<OrreryEvent[]> {
    return this.stmt.after.all({ after, upTo, limit }).map(rowToEvent);
  }

  /**
   * Deletes events beyond the newest `keep` that are also older than `maxAgeMs`, at most `step`
   * of the oldest at a time. The newest event is never deleted.
   */
  async trim(keep: number, maxAgeMs: number, now: Date, nano: (d: Date) => string, step: number): Promise<number> {
    const last = this.last();
    const first = (await this.firstId()) ?? last;
    const cutoff = nano(new Date(now.getTime() - maxAgeMs));
    // A contiguous prefix only (see ChangeLog.trim).
    const young = this.handle.db.select({ id: sql<number | null>`MIN(${events.id})` }).from(events).where(gte(events.timestamp, cutoff)).get()?.id;
    const bound = trimBound(first, last, keep, step, young);
    if (bound < first) return 0;
    this.handle.db.delete(events).where(lte(events.id, bound)).run();
    return deletedRows(this.handle);
  }
}
