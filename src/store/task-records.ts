// Record streams kept outside an object's row (a Task's messages, trace, history and idempotency
// records): ordered rows per (owner uid, field), appended and trimmed one hop at a time, so the
// cost of a hop does not depend on how long the streams already are. Keyed streams (messages)
// update a record in place by its key. Callers run these inside the registry's write transaction.
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

type Params = Record<string, string | number>;

export class TaskRecordStore {
  private readonly stmt;
  private readonly fields: string[];

  /**
   * `streams` maps each stream to the field of its records that keys them (messages:
   * message_id), '' for streams that are only appended.
   */
  constructor(
    handle: OpenDatabase,
    private readonly streams: Readonly<Record<string, string>>,
  ) {
    this.fields = Object.keys(streams).sort();
    // Rows are stored by (field, task_uid, seq), WITHOUT ROWID: each stream of a task is one run of
    // rows inside its field's part of the table, so a hop writes one leaf page per stream it
    // touches, whether the task is young (its streams would otherwise share a page) or long.
    // Plain prepared statements: a hop runs several, and a keyed lookup must use the key index
    // (the planner would otherwise walk the whole stream by primary key).
    const q = <R = unknown>(text: string) => handle.sqlite.query<R, [Params]>(text);
    const owner = 'field = $field AND task_uid = $uid';
    const ofKey = `${owner} AND key = $key AND key <> ''`;
    this.stmt = {
      stream: q<{ body: string }>(`SELECT body FROM task_records WHERE ${owner} ORDER BY seq`),
      last: q<{ seq: number }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM task_records WHERE ${owner}`),
      insert: q('INSERT INTO task_records (field, task_uid, seq, key, body) VALUES ($field, $uid, $seq, $key, $body)'),
      update: q<{ seq: number }>(`UPDATE task_records INDEXED BY task_records_key SET body = $body WHERE ${ofKey} RETURNING seq`),
      remove: q(`DELETE FROM task_records INDEXED BY task_records_key WHERE ${ofKey}`),
      trim: q(`DELETE FROM task_records WHERE ${owner} AND seq <= $upTo`),
      clear: q(`DELETE FROM task_records WHERE ${owner}`),
    };
  }

  /** Every stream of an owner, oldest record first; streams without records are absent. */
  async load(uid: string): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const field of this.fields) {
      const rows = this.stmt.stream.all({ $field: field, $uid: uid });
      if (rows.length) out[field] = rows.map((r) => JSON.parse(r.body));
    }
    return out;
  }

  async apply(uid: string, deltas: RecordDelta[]): Promise<void> {
    for (const d of deltas) this.applyOne(uid, d);
  }

  /** Removes every record of an owner (its object was deleted). */
  async drop(uid: string): Promise<void> {
    for (const field of this.fields) this.stmt.clear.run({ $uid: uid, $field: field });
  }

  private applyOne(uid: string, d: RecordDelta): void {
    const { field } = d;
    if (d.replace) {
      this.stmt.clear.run({ $uid: uid, $field: field });
      d.replace.forEach((value, i) => this.insert(uid, field, i + 1, value));
    }
    let seq: number | undefined;
    const next = () => (seq = (seq ?? Number(this.stmt.last.get({ $uid: uid, $field: field })!.seq)) + 1);
    for (const key of d.remove ?? []) this.stmt.remove.run({ $uid: uid, $field: field, $key: key });
    for (const u of d.upsert ?? []) {
      const body = JSON.stringify(u.value);
      if (!this.stmt.update.get({ $uid: uid, $field: field, $key: u.key, $body: body })) this.stmt.insert.run({ $uid: uid, $field: field, $seq: next(), $key: u.key, $body: body });
    }
    for (const value of d.append ?? []) this.insert(uid, field, next(), value);
    if (d.keep !== undefined && d.append?.length) {
      const last = seq ?? Number(this.stmt.last.get({ $uid: uid, $field: field })!.seq);
      if (last > d.keep) this.stmt.trim.run({ $uid: uid, $field: field, $upTo: last - d.keep });
    }
  }

  private keyOf(field: string, value: unknown): string {
    const key = this.streams[field];
    return key && value && typeof value === 'object' ? String((value as Record<string, unknown>)[key] ?? '') : '';
  }

  private insert(uid: string, field: string, seq: number, value: unknown): void {
    this.stmt.insert.run({ $uid: uid, $field: field, $seq: seq, $key: this.keyOf(field, value), $body: JSON.stringify(value) });
  }
}
