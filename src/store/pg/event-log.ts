// The event log on PostgreSQL: the same calls as src/store/event-log.ts. Event ids come from the
// event counter row (revision_counter id 2), whose row lock, held until COMMIT, makes events
// commit in id order on every server, so a replay after an id skips nothing. The commit
// announces itself on the changes channel (src/store/pg/change-feed.ts).
import { nanoTimestamp, type NewEvent, type OrreryEvent } from '../../events/event';
import type { EventSink } from '../../events/publisher';
import { appendedEvent, rowToEvent, type EventLog } from '../event-log';
import { trimBound } from '../change-log';
import { CHANGES_CHANNEL, type PgResourceStore } from './resource-store';

type Row = Record<string, unknown>;

/** The counter row event ids are allocated from. */
export const EVENT_COUNTER = 2;


export class PgEventLog implements EventSink, Pick<EventLog, 'lastId' | 'firstId' | 'append' | 'commit' | 'readAfter' | 'trim'> {
  constructor(private readonly store: PgResourceStore) {}

  async lastId(): Promise<number> {
    const [r] = await this.store.sql`SELECT value FROM revision_counter WHERE id = ${EVENT_COUNTER}`;
    return Number(r?.value ?? 0);
  }

  async firstId(): Promise<number | undefined> {
    const [r] = await this.store.sql`SELECT MIN(id) AS id FROM events`;
    return r?.id === null || r?.id === undefined ? undefined : Number(r.id);
  }

  /** Appends inside the caller's write (or alone when none is open). */
  async append(e: NewEvent, now: Date, nano: (d: Date) => string, dataJson?: string): Promise<OrreryEvent> {
    const sql = this.store.sql;
    // Every writer locks the revision row before the event row, so a write that records a change
    // and an event and a write that records only an event can never wait on each other in a cycle.
    await sql`SELECT 1 FROM revision_counter WHERE id = 1 FOR UPDATE`;
    const [c] = await sql`UPDATE revision_counter SET value = value + 1 WHERE id = ${EVENT_COUNTER} RETURNING value`;
    const id = Number(c.value);
    const timestamp = e.timestamp ?? nano(now);
    const data = e.data === undefined ? null : (dataJson ?? JSON.stringify(e.data));
    await sql`INSERT INTO events (id, timestamp, source, type, kind, name, namespace, action, message, data) VALUES (${id}, ${timestamp}, ${e.source}, ${e.type}, ${e.kind ?? ''}, ${e.name ?? ''}, ${e.namespace ?? ''}, ${e.action ?? ''}, ${e.message ?? ''}, ${data})`;
    await sql`SELECT pg_notify(${CHANGES_CHANNEL}, '')`;
    return appendedEvent(e, id, timestamp);
  }

  commit(e: NewEvent, now: Date): Promise<OrreryEvent> {
    return this.store.write(() => this.append(e, now, nanoTimestamp));
  }

  async readAfter(after: number, upTo: number, limit: number): Promise<OrreryEvent[]> {
    const rows = await this.store.sql`SELECT * FROM events WHERE id > ${after} AND id <= ${upTo} ORDER BY id LIMIT ${limit}`;
    return rows.map((r: Row) => rowToEvent({ ...r, id: Number(r.id) } as Parameters<typeof rowToEvent>[0]));
  }

  /** As EventLog.trim: a contiguous prefix only, the newest event always kept. */
  async trim(keep: number, maxAgeMs: number, now: Date, nano: (d: Date) => string, step: number): Promise<number> {
    const [l] = await this.store.sql`SELECT COALESCE(MAX(id), 0) AS id FROM events`;
    const last = Number(l.id);
    const first = (await this.firstId()) ?? last;
    const cutoff = nano(new Date(now.getTime() - maxAgeMs));
    const [y] = await this.store.sql`SELECT MIN(id) AS id FROM events WHERE timestamp >= ${cutoff}`;
    const bound = trimBound(first, last, keep, step, y?.id);
    if (bound < first) return 0;
    const gone = await this.store.sql`DELETE FROM events WHERE id <= ${bound} RETURNING id`;
    return gone.length;
  }
}
