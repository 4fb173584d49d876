// Row-level access to the generic resources table and the changes log on SQLite. Every write
// allocates the next global revision (newest change + 1) and appends a change row inside the
// write's transaction (see write()). Methods are async so a network database can stand behind the
// same calls; on SQLite they finish before they return.
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { changes, resources } from '../../db/schema';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, OpenDatabase } from './database';

export type ResourceRow = typeof resources.$inferSelect;
export type NewResourceRow = Omit<ResourceRow, 'id' | 'resourceVersion'>;
export type ChangeType = 'added' | 'updated' | 'deleted';

export interface ChangeRecord {
  revision: number;
  kind: string;
  namespace: string;
  name: string;
  type: ChangeType;
  row: ResourceRow;
}

export interface ListQuery {
  kind: string;
  namespace?: string;
  /** Keyset cursor: rows strictly after (namespace, name). */
  after?: { namespace: string; name: string };
  limit: number;
}

const ph = (name: string) => sql.placeholder(name);

/** A row of `select().from(resources)` in schema column order. */
function toRow(v: unknown[]): ResourceRow {
  return {
    id: v[0] as number,
    kind: v[1] as string,
    namespace: v[2] as string,
    name: v[3] as string,
    uid: v[4] as string,
    resourceVersion: v[5] as number,
    generation: v[6] as number,
    labels: v[7] as string,
    annotations: v[8] as string,
    spec: v[9] as string,
    status: v[10] as string,
    createdAt: v[11] as string,
    updatedAt: v[12] as string,
  };
}

export class ResourceStore {
  private readonly db: Db;
  // Every hot statement is built and prepared once: building drizzle queries per call cost more
  // than the SQLite work itself.
  private readonly stmt;
  private readonly raw;

  constructor(readonly handle: OpenDatabase) {
    this.db = handle.db;
    const db = this.db;
    this.stmt = {
      delete: db
        .delete(resources)
        .where(and(eq(resources.id, ph('id')), eq(resources.resourceVersion, ph('expected'))))
        .returning()
        .prepare(),
      compact: db.delete(changes).where(lt(changes.revision, ph('revision'))).prepare(),
    };
    // The per-write statements go straight to bun:sqlite (positional values, no result mapping):
    // drizzle's placeholder filling and row mapping cost as much as SQLite's own work per write.
    const sqlite = handle.sqlite;
    this.raw = {
      get: sqlite.prepare<unknown[], [string, string, string]>('SELECT * FROM resources WHERE kind = ?1 AND namespace = ?2 AND name = ?3'),
      revision: sqlite.prepare<unknown[], []>('SELECT COALESCE(MAX(revision), 0) FROM changes'),
      insert: sqlite.prepare<unknown, any[]>(
        'INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, labels, annotations, spec, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)',
      ),
      update: sqlite.prepare<unknown, any[]>(
        'UPDATE resources SET resource_version = ?1, generation = ?2, labels = ?3, annotations = ?4, spec = ?5, status = ?6, updated_at = ?7 WHERE id = ?8 AND resource_version = ?9',
      ),
      // Row-value comparison lets SQLite seek straight to the cursor in the (kind, namespace, name) index.
      listAll: sqlite.prepare<unknown[], any[]>(`SELECT * FROM resources WHERE kind = ?1 ORDER BY namespace, name LIMIT ?2`),
      listNs: sqlite.prepare<unknown[], any[]>(`SELECT * FROM resources WHERE kind = ?1 AND namespace = ?2 ORDER BY namespace, name LIMIT ?3`),
      listAllAfter: sqlite.prepare<unknown[], any[]>(`SELECT * FROM resources WHERE kind = ?1 AND (namespace, name) > (?2, ?3) ORDER BY namespace, name LIMIT ?4`),
      listNsAfter: sqlite.prepare<unknown[], any[]>(
        `SELECT * FROM resources WHERE kind = ?1 AND namespace = ?2 AND (namespace, name) > (?3, ?4) ORDER BY namespace, name LIMIT ?5`,
      ),
      change: sqlite.prepare<unknown, any[]>('INSERT INTO changes (revision, kind, namespace, name, type, object, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)'),
    };
  }

  /**
   * The unit of work: `fn` runs with the other writes queued in the same turn of the event loop, in
   * arrival order, in one IMMEDIATE transaction, each under its own savepoint (its own revision, its
   * own error, rolled back alone). After the one COMMIT, `committed` runs for each write that
   * succeeded, in order, and only then do the promises settle: nothing is acknowledged or
   * published before it is committed. If the COMMIT fails, every write of the batch fails with it.
   * `fn` must do only store work (no network, no timers): the transaction stays open while it runs.
   * A write started inside another write's `fn` runs in a savepoint of the same transaction and
   * its `committed` waits for that transaction's COMMIT.
   */
  write<T>(fn: () => Promise<T>, committed?: (result: T) => void): Promise<T> {
    // A callback scheduled from inside a write (a timer) keeps its context after the COMMIT.
    const open = this.open.getStore();
    if (open && !open.done) return this.nested(open, fn, committed);
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ fn, committed, resolve, reject } as Queued);
      if (this.batch.length === 1) setImmediate(() => void this.flush());
    });
  }

  /**
   * Reads in one snapshot: `fn`'s reads all see the same committed state. Inside a write it is
   * that write's own view.
   */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    const sqlite = this.handle.sqlite;
    if (sqlite.inTransaction) return fn();
    sqlite.exec('BEGIN DEFERRED');
    try {
      return await fn();
    } finally {
      if (sqlite.inTransaction) sqlite.exec('COMMIT');
    }
  }

  private batch: Queued[] = [];
  /** The transaction a write's `fn` runs in, so that writes it starts join it. */
  private readonly open = new AsyncLocalStorage<OpenTx>();
  private savepoints = 0;

  private async nested<T>(tx: OpenTx, fn: () => Promise<T>, committed?: (result: T) => void): Promise<T> {
    const sqlite = this.handle.sqlite;
    const sp = `w${++this.savepoints}`;
    sqlite.exec(`SAVEPOINT ${sp}`);
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      if (sqlite.inTransaction) {
        sqlite.exec(`ROLLBACK TO ${sp}`);
        sqlite.exec(`RELEASE ${sp}`);
      }
      throw e;
    }
    sqlite.exec(`RELEASE ${sp}`);
    if (committed) tx.after.push(() => committed(value));
    return value;
  }

  private async flush(): Promise<void> {
    const items = this.batch;
    this.batch = [];
    const outcomes: { ok: boolean; value: unknown; after: (() => void)[] }[] = [];
    const sqlite = this.handle.sqlite;
    const disk = this.handle.disk;
    let lost: { error: unknown } | undefined;
    const txs: OpenTx[] = [];
    try {
      if (disk.isFull) disk.recheck();
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        for (const item of items) {
          const tx: OpenTx = { after: [], done: false };
          txs.push(tx);
          try {
            // Each write in a savepoint of its own, with the open transaction as its context.
            const value = await this.open.run(tx, () => this.nested(tx, item.fn));
            outcomes.push({ ok: true, value, after: tx.after });
          } catch (e) {
            outcomes.push({ ok: false, value: e, after: [] });
            // Some errors (a full disk, an I/O error) make SQLite roll back the whole transaction,
            // not only the savepoint: nothing of the batch stands, and nothing more may run.
            if (!sqlite.inTransaction) {
              lost = { error: e };
              throw e;
            }
          }
        }
        sqlite.exec('COMMIT');
      } catch (e) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw e;
      } finally {
        for (const o of txs) o.done = true;
      }
      if (disk.isFull) disk.recheck();
      else disk.afterWrite();
    } catch (e) {
      if (!lost) {
        for (const item of items) item.reject(e);
        return;
      }
      // The write that failed gets its error; the others (rolled back, or not yet run) go again
      // in a batch of their own, as if they had arrived after it.
      const failed = outcomes.length - 1;
      items[failed].reject(lost.error);
      const again = items.filter((_, i) => i !== failed);
      if (!again.length) return;
      this.batch.push(...again);
      setImmediate(() => void this.flush());
      return;
    }
    items.forEach((item, i) => {
      const o = outcomes[i];
      if (!o.ok) return item.reject(o.value);
      // As for a single write, a listener that throws fails the call (the write stays committed).
      try {
        for (const a of o.after) a();
        item.committed?.(o.value);
        item.resolve(o.value);
      } catch (e) {
        item.reject(e);
      }
    });
  }

  async get(kind: string, namespace: string, name: string): Promise<ResourceRow | undefined> {
    const v = this.raw.get.values(kind, namespace, name)[0];
    return v ? toRow(v) : undefined;
  }

  async list(q: ListQuery): Promise<ResourceRow[]> {
    const r = this.raw;
    const rows =
      q.namespace !== undefined
        ? q.after
          ? r.listNsAfter.values(q.kind, q.namespace, q.after.namespace, q.after.name, q.limit)
          : r.listNs.values(q.kind, q.namespace, q.limit)
        : q.after
          ? r.listAllAfter.values(q.kind, q.after.namespace, q.after.name, q.limit)
          : r.listAll.values(q.kind, q.limit);
    // Positional rows map to objects at a third of the cost of drizzle's per-column mapping.
    return rows.map(toRow);
  }

  /**
   * Rows of a kind whose status.phase is one of `phases`, oldest revision first: the claim
   * candidates of a task worker without reading every finished task. The phase test runs inside
   * SQLite (json_extract); a PostgreSQL store answers the same question with jsonb.
   */
  async listByPhase(kind: string, phases: string[]): Promise<ResourceRow[]> {
    // The kind is written into the SQL (a kind name, letters only) so that SQLite can use the
    // partial index on Task phases, which a bound parameter would hide from the planner.
    if (!/^[A-Za-z]+$/.test(kind)) throw new Error(`not a kind name: ${kind}`);
    const named = phases.filter(Boolean);
    const terms = [named.length ? `json_extract(status, '$.phase') IN (${named.map(() => '?').join(', ')})` : '', phases.includes('') ? `json_extract(status, '$.phase') IS NULL` : ''].filter(Boolean);
    if (!terms.length) return [];
    // Tasks have a partial index on their phase; the planner is told to use it (it cannot see
    // that a handful of Pending tasks beat a scan of every task of the kind).
    const where = `WHERE kind = '${kind}' AND (${terms.join(' OR ')}) ORDER BY resource_version`;
    const indexed = kind === 'Task' && !phases.includes('');
    let query;
    try {
      query = this.handle.sqlite.query(`SELECT * FROM ${indexed ? 'resources INDEXED BY resources_task_phase' : 'resources'} ${where}`);
    } catch (e) {
      // A database without the index (dropped by hand) still answers, by a scan.
      if (!indexed || !/no such index/i.test(String((e as Error)?.message))) throw e;
      query = this.handle.sqlite.query(`SELECT * FROM resources ${where}`);
    }
    return (query.values(...named) as unknown[][]).map(toRow);
  }

  async currentRevision(): Promise<number> {
    return this.lastRevision();
  }

  /** Inserts a new row at the next revision; call inside transaction(). */
  async insert(row: NewResourceRow): Promise<ChangeRecord> {
    this.handle.disk.assertRoom();
    const resourceVersion = this.nextRevision();
    const r = row;
    const { lastInsertRowid } = this.raw.insert.run(r.kind, r.namespace, r.name, r.uid, resourceVersion, r.generation, r.labels, r.annotations, r.spec, r.status, r.createdAt, r.updatedAt);
    return this.record('added', { id: Number(lastInsertRowid), kind: r.kind, namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion, generation: r.generation, labels: r.labels, annotations: r.annotations, spec: r.spec, status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt });
  }

  /**
   * Replaces a row only if its resource_version still equals expectedVersion; throws
   * VersionConflict (rolling the transaction back) when another writer got there first.
   */
  async update(row: ResourceRow, expectedVersion: number): Promise<ChangeRecord> {
    this.handle.disk.assertRoom();
    const resourceVersion = this.nextRevision();
    const { changes: n } = this.raw.update.run(resourceVersion, row.generation, row.labels, row.annotations, row.spec, row.status, row.updatedAt, row.id, expectedVersion);
    if (n !== 1) throw new VersionConflict();
    return this.record('updated', { ...row, resourceVersion });
  }

  /**
   * Deletes a row if its version is unchanged; call inside transaction(). `at` stamps the change
   * (retention ages changes by it). While the disk is full it also compacts the change log up to
   * itself, as etcd compacts: the log's copies of the object would otherwise keep its space taken
   * (watchers resuming from before get Expired and re-list).
   */
  async delete(row: ResourceRow, at: string): Promise<ChangeRecord> {
    const deleted = this.stmt.delete.get({ id: row.id, expected: row.resourceVersion });
    if (!deleted) throw new VersionConflict();
    const change = this.record('deleted', { ...deleted, resourceVersion: this.nextRevision(), updatedAt: at });
    if (this.handle.disk.isFull) this.stmt.compact.run({ revision: change.revision });
    return change;
  }

  /**
   * The kind's objects with resourceVersion ≤ upTo, oldest version first: their row ids and stored
   * sizes in bytes (read from the record headers, not the values), packed in typed arrays — what a
   * watch's snapshot pages through by bytes.
   */
  async snapshotIndex(kind: string, upTo: number, namespace?: string, name?: string): Promise<{ ids: Float64Array; bytes: Float64Array }> {
    const conds = [eq(resources.kind, kind), sql`${resources.resourceVersion} <= ${upTo}`];
    if (namespace !== undefined) conds.push(eq(resources.namespace, namespace));
    if (name !== undefined) conds.push(eq(resources.name, name));
    const size = sql<number>`octet_length(${resources.spec}) + octet_length(${resources.status}) + octet_length(${resources.labels}) + octet_length(${resources.annotations})`;
    const rows = this.db.select({ id: resources.id, size }).from(resources).where(and(...conds)).orderBy(asc(resources.resourceVersion)).all();
    return { ids: Float64Array.from(rows, (r) => r.id), bytes: Float64Array.from(rows, (r) => Number(r.size)) };
  }

  async rowsByIds(ids: number[]): Promise<ResourceRow[]> {
    return ids.length ? this.db.select().from(resources).where(inArray(resources.id, ids)).all() : [];
  }

  async namespaces(): Promise<string[]> {
    return this.db
      .selectDistinct({ ns: resources.namespace })
      .from(resources)
      .orderBy(asc(resources.namespace))
      .all()
      .map((r) => r.ns);
  }

  async countByKind(): Promise<Record<string, number>> {
    const rows = this.db
      .select({ kind: resources.kind, n: sql<number>`count(*)` })
      .from(resources)
      .groupBy(resources.kind)
      .all();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  /** Objects per kind and status.phase (phase '' when unset), for the metrics endpoint. */
  async countByPhase(): Promise<{ kind: string; phase: string; count: number }[]> {
    const rows = this.handle.sqlite
      .query("SELECT kind, coalesce(json_extract(status, '$.phase'), '') AS phase, count(*) AS n FROM resources GROUP BY kind, phase ORDER BY kind, phase")
      .all() as { kind: string; phase: string; n: number }[];
    return rows.map((r) => ({ kind: r.kind, phase: String(r.phase), count: Number(r.n) }));
  }

  /**
   * Only inside the write transaction: SQLite has one writer, which holds the lock until the change
   * row is added, so the next revision is the newest change + 1.
   */
  private nextRevision(): number {
    return this.lastRevision() + 1;
  }

  private lastRevision(): number {
    return Number(this.raw.revision.values()[0][0]);
  }

  private record(type: ChangeType, row: ResourceRow): ChangeRecord {
    const revision = row.resourceVersion;
    this.raw.change.run(revision, row.kind, row.namespace, row.name, type, JSON.stringify(row), row.updatedAt);
    return { revision, kind: row.kind, namespace: row.namespace, name: row.name, type, row };
  }
}

interface OpenTx {
  /** `committed` callbacks of writes nested in this one, run after its COMMIT. */
  after: (() => void)[];
  /** Set once the transaction has ended. */
  done: boolean;
}

interface Queued {
  fn: () => Promise<unknown>;
  committed?: (result: unknown) => void;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** Thrown inside a transaction when a version-checked write lost a race; rolls it back. */
export class VersionConflict extends Error {
  constructor() {
    super('resource version changed concurrently');
  }
}
