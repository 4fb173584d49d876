// The whole status of a task this process holds the lease of (its summary and its record streams),
// kept between the task's writes. A write mutates a cheap draft of it, and only what changed is
// stored: the new trace, history and idempotency rows, the messages whose fields changed, and the
// summary. So a hop reads nothing back and writes the same amount at hop 5 and at hop 200.
//
// Finished messages and appended rows are never changed in place by the engine (it replaces or
// appends); the draft copies only what may change, and the diff relies on that.
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

/** Rows appended after the last row `prev` ended with (and the oldest ones dropped at the cap). */
function appendDelta(field: string, prev: unknown[], cur: unknown[]): RecordDelta | undefined {
  let i = cur.length - 1;
  if (prev.length) while (i >= 0 && cur[i] !== prev[prev.length - 1]) i--;
  const kept = i + 1;
  const intact = prev.length ? kept > 0 && kept <= prev.length && cur[0] === prev[prev.length - kept] : true;
  const added = cur.slice(kept);
  if (intact && !added.length && kept === prev.length) return undefined;
  // Anything but appending (rows replaced, reordered, trimmed without an append): the whole stream.
  if (!intact || !added.length) return { field, replace: cur };
  return { field, append: added, keep: cur.length };
}

export class WorkingStatus {
  private byId = new Map<string, Message>();

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
   * A copy for a write to change: the summary deep-copied, record arrays copied, unfinished
   * messages copied. A write that is refused or discarded leaves the held status as it was.
   */
  draft(): Status {
    const summary: Status = {};
    for (const [k, v] of Object.entries(this.base)) if (!RECORD_FIELDS.includes(k)) summary[k] = v;
    const d: Status = structuredClone(summary);
    for (const field of APPENDED) if (Array.isArray(this.base[field])) d[field] = this.base[field].slice();
    if (Array.isArray(this.base.messages)) d.messages = (this.base.messages as Message[]).map((m) => (isFinished(m) ? m : copyMessage(m)));
    return d;
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
      const d = appendDelta(field, list(this.base[field]), cur);
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
