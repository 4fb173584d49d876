// Log lines of Tasks and Agents in the object_logs table: timestamped single lines, the newest
// 500 per Task and 200 per Agent kept, read oldest first.
import { and, desc, eq, lte, sql } from 'drizzle-orm';
import { objectLogs } from '../../db/schema';
import type { Clock } from '../util/time';
import type { OpenDatabase } from './database';

export type LogOwnerKind = 'Task' | 'Agent';

/** Lines kept per owner, as Orloj keeps them (task store 500, agent manager 200). */
export const LOG_CAPS: Record<LogOwnerKind, number> = { Task: 500, Agent: 200 };
export const MAX_LOG_MESSAGE_BYTES = 4096;
/** Owners are trimmed on their first append in this process, then every TRIM_EVERY appends. */
const TRIM_EVERY = 32;
/** Bound on the per-owner append counters; clearing them only makes the next trims come early. */
const MAX_TRACKED_OWNERS = 10_000;

const ph = (name: string) => sql.placeholder(name);
const ownerKey = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One line: newlines become spaces and the text is cut to 4 KiB without splitting a character. */
export function logMessage(message: string): string {
  const flat = message.replace(/\r\n|[\r\n]/g, ' ');
  const bytes = encoder.encode(flat);
  if (bytes.byteLength <= MAX_LOG_MESSAGE_BYTES) return flat;
  let end = MAX_LOG_MESSAGE_BYTES;
  // Back up over UTF-8 continuation bytes so the cut lands on a character boundary.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

export class ObjectLogs {
  private readonly stmt;
  private readonly appends = new Map<string, number>();

  constructor(
    readonly handle: OpenDatabase,
    private readonly clock: Clock,
  ) {
    const db = handle.db;
    const owner = and(eq(objectLogs.kind, ph('kind')), eq(objectLogs.namespace, ph('namespace')), eq(objectLogs.name, ph('name')));
    // The id of the newest line that falls outside the cap (NULL while the owner has fewer lines).
    const boundary = sql`(SELECT ${objectLogs.id} FROM ${objectLogs} WHERE ${owner} ORDER BY ${objectLogs.id} DESC LIMIT 1 OFFSET ${ph('cap')})`;
    this.stmt = {
      insert: db
        .insert(objectLogs)
        .values({ kind: ph('kind'), namespace: ph('namespace'), name: ph('name'), line: ph('line') } as unknown as typeof objectLogs.$inferInsert)
        .prepare(),
      trim: db.delete(objectLogs).where(and(owner, lte(objectLogs.id, boundary))).prepare(),
      newest: db.select({ line: objectLogs.line }).from(objectLogs).where(owner).orderBy(desc(objectLogs.id)).limit(ph('cap')).prepare(),
      remove: db.delete(objectLogs).where(owner).prepare(),
      count: db.select({ n: sql<number>`COUNT(*)` }).from(objectLogs).where(owner).prepare(),
    };
  }

  /** Appends `<RFC 3339 time with ms> <message>` and trims the owner's oldest lines now and then. */
  async append(kind: LogOwnerKind, namespace: string, name: string, message: string): Promise<void> {
    const line = `${this.clock.now().toISOString()} ${logMessage(message)}`;
    this.stmt.insert.run({ kind, namespace, name, line });
    const key = ownerKey(kind, namespace, name);
    const seen = this.appends.get(key);
    if (seen === undefined && this.appends.size >= MAX_TRACKED_OWNERS) this.appends.clear();
    const n = seen === undefined ? 0 : seen + 1;
    this.appends.set(key, n % TRIM_EVERY);
    if (n % TRIM_EVERY === 0) this.stmt.trim.run({ kind, namespace, name, cap: LOG_CAPS[kind] });
  }

  /** The owner's newest lines (at most its cap), oldest first. */
  async read(kind: LogOwnerKind, namespace: string, name: string): Promise<string[]> {
    return this.stmt.newest
      .all({ kind, namespace, name, cap: LOG_CAPS[kind] })
      .map((r) => r.line)
      .reverse();
  }

  /** Lines stored for the owner, including any not yet trimmed (for tests and diagnostics). */
  async stored(kind: LogOwnerKind, namespace: string, name: string): Promise<number> {
    return Number(this.stmt.count.get({ kind, namespace, name })!.n);
  }

  async deleteOwner(kind: LogOwnerKind, namespace: string, name: string): Promise<void> {
    this.stmt.remove.run({ kind, namespace, name });
    this.appends.delete(ownerKey(kind, namespace, name));
  }
}
