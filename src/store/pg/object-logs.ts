// Log lines of Tasks and Agents on PostgreSQL: the same calls as src/store/object-logs.ts, on the
// object_logs table. Statements run on the caller's write transaction when one is open.
import type { Clock } from '../../util/time';
import { LOG_CAPS, logMessage, type LogOwnerKind, type ObjectLogs } from '../object-logs';
import type { PgResourceStore } from './resource-store';

/** As on SQLite: owners are trimmed on their first append here, then every TRIM_EVERY appends. */
const TRIM_EVERY = 32;
/** Bound on the per-owner append counters; clearing them only makes the next trims come early. */
const MAX_TRACKED_OWNERS = 10_000;

const ownerKey = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`;

export class PgObjectLogs implements Pick<ObjectLogs, 'append' | 'read' | 'stored' | 'deleteOwner'> {
  private readonly appends = new Map<string, number>();

  constructor(
    private readonly store: PgResourceStore,
    private readonly clock: Clock,
  ) {}

  /** Appends `<RFC 3339 time with ms> <message>` and trims the owner's oldest lines now and then. */
  async append(kind: LogOwnerKind, namespace: string, name: string, message: string): Promise<void> {
    const line = `${this.clock.now().toISOString()} ${logMessage(message)}`;
    await this.store.sql`INSERT INTO object_logs (kind, namespace, name, line) VALUES (${kind}, ${namespace}, ${name}, ${line})`;
    const key = ownerKey(kind, namespace, name);
    const seen = this.appends.get(key);
    if (seen === undefined && this.appends.size >= MAX_TRACKED_OWNERS) this.appends.clear();
    const n = seen === undefined ? 0 : seen + 1;
    this.appends.set(key, n % TRIM_EVERY);
    if (n % TRIM_EVERY === 0) await this.trim(kind, namespace, name);
  }

  /** The owner's newest lines (at most its cap), oldest first. */
  async read(kind: LogOwnerKind, namespace: string, name: string): Promise<string[]> {
    const rows = await this.store.sql`
      SELECT line FROM object_logs WHERE kind = ${kind} AND namespace = ${namespace} AND name = ${name}
      ORDER BY id DESC LIMIT ${LOG_CAPS[kind]}`;
    return rows.map((r: { line: string }) => r.line).reverse();
  }

  /** Lines stored for the owner, including any not yet trimmed (for tests and diagnostics). */
  async stored(kind: LogOwnerKind, namespace: string, name: string): Promise<number> {
    const [r] = await this.store.sql`SELECT count(*) AS n FROM object_logs WHERE kind = ${kind} AND namespace = ${namespace} AND name = ${name}`;
    return Number(r.n);
  }

  async deleteOwner(kind: LogOwnerKind, namespace: string, name: string): Promise<void> {
    await this.store.sql`DELETE FROM object_logs WHERE kind = ${kind} AND namespace = ${namespace} AND name = ${name}`;
    this.appends.delete(ownerKey(kind, namespace, name));
  }

  /**
   * Deletes every line at or below the newest one outside the cap (none while the owner has fewer
   * lines: the subquery is NULL). Both walk the (kind, namespace, name, id) index.
   */
  private async trim(kind: LogOwnerKind, namespace: string, name: string): Promise<void> {
    await this.store.sql`
      DELETE FROM object_logs WHERE kind = ${kind} AND namespace = ${namespace} AND name = ${name} AND id <= (
        SELECT id FROM object_logs WHERE kind = ${kind} AND namespace = ${namespace} AND name = ${name}
        ORDER BY id DESC LIMIT 1 OFFSET ${LOG_CAPS[kind]})`;
  }
}
