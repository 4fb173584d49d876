// Row-level access to the generic resources table and the changes log. Every write allocates the
// next global revision and appends a change row inside the caller's IMMEDIATE transaction.
import { and, asc, eq, gt, or, sql } from 'drizzle-orm';
import { changes, meta, resources } from '../../db/schema';
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

export class ResourceStore {
  private readonly db: Db;
  private readonly getStmt;
  private readonly nextRevStmt;

  constructor(readonly handle: OpenDatabase) {
    this.db = handle.db;
    handle.sqlite.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', '0')");
    this.getStmt = this.db
      .select()
      .from(resources)
      .where(
        and(
          eq(resources.kind, sql.placeholder('kind')),
          eq(resources.namespace, sql.placeholder('ns')),
          eq(resources.name, sql.placeholder('name')),
        ),
      )
      .prepare();
    this.nextRevStmt = this.db
      .update(meta)
      .set({ value: sql`CAST(${meta.value} AS INTEGER) + 1` })
      .where(eq(meta.key, 'revision'))
      .returning({ value: meta.value })
      .prepare();
  }

  /** Runs fn in one synchronous IMMEDIATE transaction: it commits whole or not at all. */
  transaction<T>(fn: () => T): T {
    return this.handle.sqlite.transaction(fn).immediate();
  }

  get(kind: string, namespace: string, name: string): ResourceRow | undefined {
    return this.getStmt.get({ kind, ns: namespace, name });
  }

  list(q: ListQuery): ResourceRow[] {
    const conds = [eq(resources.kind, q.kind)];
    if (q.namespace !== undefined) conds.push(eq(resources.namespace, q.namespace));
    if (q.after) {
      conds.push(
        or(
          gt(resources.namespace, q.after.namespace),
          and(eq(resources.namespace, q.after.namespace), gt(resources.name, q.after.name)),
        )!,
      );
    }
    return this.db
      .select()
      .from(resources)
      .where(and(...conds))
      .orderBy(asc(resources.namespace), asc(resources.name))
      .limit(q.limit)
      .all();
  }

  currentRevision(): number {
    const row = this.db.select({ value: meta.value }).from(meta).where(eq(meta.key, 'revision')).get();
    return Number(row?.value ?? 0);
  }

  /** Inserts a new row at the next revision; call inside transaction(). */
  insert(row: NewResourceRow): ChangeRecord {
    const revision = this.nextRevision();
    const stored = this.db
      .insert(resources)
      .values({ ...row, resourceVersion: revision })
      .returning()
      .get();
    return this.record('added', stored);
  }

  /**
   * Replaces a row only if its resource_version still equals expectedVersion; returns undefined
   * when another writer got there first. Call inside transaction().
   */
  update(row: ResourceRow, expectedVersion: number): ChangeRecord | undefined {
    const revision = this.nextRevision();
    const stored = this.db
      .update(resources)
      .set({
        resourceVersion: revision,
        generation: row.generation,
        labels: row.labels,
        annotations: row.annotations,
        spec: row.spec,
        status: row.status,
        updatedAt: row.updatedAt,
      })
      .where(and(eq(resources.id, row.id), eq(resources.resourceVersion, expectedVersion)))
      .returning()
      .get();
    if (!stored) throw new VersionConflict();
    return this.record('updated', stored);
  }

  /** Deletes a row if its version is still expectedVersion; call inside transaction(). */
  delete(row: ResourceRow): ChangeRecord {
    const deleted = this.db
      .delete(resources)
      .where(and(eq(resources.id, row.id), eq(resources.resourceVersion, row.resourceVersion)))
      .returning()
      .get();
    if (!deleted) throw new VersionConflict();
    const revision = this.nextRevision();
    return this.record('deleted', { ...deleted, resourceVersion: revision });
  }

  namespaces(): string[] {
    return this.db
      .selectDistinct({ ns: resources.namespace })
      .from(resources)
      .orderBy(asc(resources.namespace))
      .all()
      .map((r) => r.ns);
  }

  countByKind(): Record<string, number> {
    const rows = this.db
      .select({ kind: resources.kind, n: sql<number>`count(*)` })
      .from(resources)
      .groupBy(resources.kind)
      .all();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }

  private nextRevision(): number {
    const r = this.nextRevStmt.get();
    return Number(r!.value);
  }

  private record(type: ChangeType, row: ResourceRow): ChangeRecord {
    const revision = row.resourceVersion;
    this.db
      .insert(changes)
      .values({
        revision,
        kind: row.kind,
        namespace: row.namespace,
        name: row.name,
        type,
        object: JSON.stringify(row),
        createdAt: row.updatedAt,
      })
      .run();
    return { revision, kind: row.kind, namespace: row.namespace, name: row.name, type, row };
  }
}

/** Thrown inside a transaction when a version-checked write lost a race; rolls it back. */
export class VersionConflict extends Error {
  constructor() {
    super('resource version changed concurrently');
  }
}
