// The whole status of a task this process holds the lease of (its summary and its record streams),
// kept between the task's writes. A write mutates a cheap draft of it, and only what changed is
// stored: the new trace, history and idempotency rows, the messages whose fields changed, and the
// summary. So a hop reads nothing back and writes the same amount at hop 5 and at hop 200.
//
// Finished messages and appended rows are never changed in place by the engine (it pushes, or
// replaces a stream with a new array); the draft copies only what may change, shares the appended
// streams (so a hop allocates nothing in proportion to the trace), and the diff relies on that.
import type { Status } from '../registry/kind';
import type { RecordDelta } from '../store/task-records';

/** Streams that only grow at the end (and lose their oldest rows at their cap). */
const APPENDED = ['trace', 'history', 'message_idempotency'] as const;
export const RECORD_FIELDS: readonly string[] = [...APPENDED, 'messages'];
const FINISHED = new Set(['Succeeded', 'DeadLetter']);

type Message = Record<string, unknown> & { message_id: string; phase?: string };

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isFinished = (m: Message) => FINISHED.has(String(m.phase));

function copyMessage(m: Message): Message {
  const c: Message = { ...m };
  if (m.review && typeof m.review === 'object') c.review = { ...(m.review as object) };
  return c;
}

function sameMessage(a: Message, b: Message): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (a[k] === b[k]) continue;
    if (k === 'review' && JSON.stringify(a[k]) === JSON.stringify(b[k])) continue;
    return false;
  }
  return true;
}

/** Where an appended stream ended when a draft was made: its array, length and last row. */
interface Mark {
  rows: unknown[];
  length: number;
}

/**
 * What became of an appended stream since `mark`: rows appended (the draft shares the held array,
 * so the engine's pushes land in it past `mark.length`), possibly with the oldest dropped at the
 * cap (the engine then hands back a new, shorter array), or anything else, stored whole.
 */
function appendDelta(field: string, mark: Mark, cur: unknown[]): RecordDelta | undefined {
  const { rows, length } = mark;
  const last = length ? rows[length - 1] : undefined;
  let kept = 0;
  if (length) {
    let i = cur === rows ? length - 1 : cur.length - 1;
    while (i >= 0 && cur[i] !== last) i--;
    kept = i + 1;
  }
  // The rows kept must be the newest `kept` rows held, in order, and none of them changed place.
  const intact = length ? kept > 0 && kept <= length && cur[0] === rows[length - kept] : true;
  const added = cur.length - kept;
  if (intact && !added && kept === length) return undefined;
  if (!intact || !added) return { field, replace: cur.slice() };
  return { field, append: cur.slice(kept), keep: cur.length };
}

export class WorkingStatus {
  private byId = new Map<string, Message>();
  private marks: Record<string, Mark> = {};

  constructor(
    readonly uid: string,
    public resourceVersion: string,
    private base: Status,
  ) {
    this.index();
  }

  /** The status as last written (summary and records). */
  get status(): Status {
    return this.base;
  }

  /**
   * A draft for a write to change: the summary deep-copied, unfinished messages copied, and the
   * appended streams shared (only pushing to them, or replacing them, is allowed). If the write is
   * then not stored, `intact()` says whether the held status is still as it was.
   */
  draft(): Status {
    const summary: Status = {};
    for (const [k, v] of Object.entries(this.base)) if (!RECORD_FIELDS.includes(k)) summary[k] = v;
    const d: Status = structuredClone(summary);
    this.marks = {};
    for (const field of APPENDED) {
      const rows = list(this.base[field]);
      this.base[field] = d[field] = rows;
      this.marks[field] = { rows, length: rows.length };
    }
    if (Array.isArray(this.base.messages)) d.messages = (this.base.messages as Message[]).map((m) => (isFinished(m) ? m : copyMessage(m)));
    return d;
  }

  /** Whether the held status is as it was before the last draft (nothing was pushed to it). */
  intact(): boolean {
    return APPENDED.every((field) => !this.marks[field] || list(this.base[field]).length === this.marks[field].length);
  }

  /** What storing `next` (a changed draft) takes: its summary and the changes to each record stream. */
  changes(next: Status): { summary: Status; records: RecordDelta[] } {
    const summary: Status = {};
    for (const [k, v] of Object.entries(next)) if (!RECORD_FIELDS.includes(k)) summary[k] = v;
    const records: RecordDelta[] = [];
    const counts: Record<string, number> = {};
    for (const field of APPENDED) {
      const cur = list(next[field]);
      counts[field] = cur.length;
      const d = appendDelta(field, this.marks[field] ?? { rows: list(this.base[field]), length: list(this.base[field]).length }, cur);
      if (d) records.push(d);
    }
    const messages = list(next.messages) as Message[];
    counts.messages = messages.length;
    const d = this.messageDelta(messages);
    if (d) records.push(d);
    summary.record_counts = counts;
    return { summary, records };
  }

  /**
   * After a successful write: `stored` is the summary as stored, `next` the draft that was written
   * and `records` its changes (as returned by changes()). Returns the whole status now held.
   */
  commit(stored: Status, next: Status, records: RecordDelta[], resourceVersion: string): Status {
    const full: Status = { ...stored };
    for (const field of RECORD_FIELDS) full[field] = list(next[field]);
    this.base = full;
    this.resourceVersion = resourceVersion;
    const messages = records.find((r) => r.field === 'messages');
    for (const key of messages?.remove ?? []) this.byId.delete(key);
    for (const u of messages?.upsert ?? []) this.byId.set(u.key, u.value as Message);
    return full;
  }

  private index(): void {
    this.byId = new Map((list(this.base.messages) as Message[]).map((m) => [m.message_id, m]));
  }

  private messageDelta(cur: Message[]): RecordDelta | undefined {
    const upsert: { key: string; value: unknown }[] = [];
    let fresh = 0;
    for (const m of cur) {
      const old = this.byId.get(m.message_id);
      if (!old) fresh++;
      if (!old || (old !== m && !sameMessage(old, m))) upsert.push({ key: m.message_id, value: m });
    }
    let remove: string[] = [];
    if (this.byId.size + fresh !== cur.length) {
      const ids = new Set(cur.map((m) => m.message_id));
      remove = [...this.byId.keys()].filter((id) => !ids.has(id));
    }
    if (!upsert.length && !remove.length) return undefined;
    return { field: 'messages', upsert, remove };
  }
}
