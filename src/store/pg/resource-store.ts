// The resources table and the change log on PostgreSQL: the same calls and promises as the SQLite
// store (src/store/resource-store.ts). A write is one transaction on a pooled connection; its
// statements find that connection through the transaction context, so code written against the
// store does not pass it around. Every write first locks the revision row of revision_counter and
// holds it until COMMIT: writes on any number of servers run one at a time and commit in revision
// order, so the change log never shows a later revision before an earlier one.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQL } from 'bun';
import { VersionConflict, type ChangeRecord, type ChangeType, type ListQuery, type NewResourceRow, type ResourceRow } from '../resource-store';

interface OpenTx {
  sql: SQL;
  after: (() => void)[];
  done: boolean;
}

type Row = Record<string, unknown>;

const COLUMNS = 'id, kind, namespace, name, uid, resource_version, generation, labels, annotations, spec, status, created_at, updated_at';

export function toRow(r: Row): ResourceRow {
  return {
    id: Number(r.id),
    kind: r.kind as string,
    namespace: r.namespace as string,
    name: r.name as string,
    uid: r.uid as string,
    resourceVersion: Number(r.resource_version),
    generation: Number(r.generation),
    labels: r.labels as string,
    annotations: r.annotations as string,
    spec: r.spec as string,
    status: r.status as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

/** The channel a committed change is announced on (the payload is its revision). */
export const CHANGES_CHANNEL = 'orrery_changes';

export class PgResourceStore {
  private readonly open = new AsyncLocalStorage<OpenTx>();

  constructor(readonly pool: SQL) {}

  /** The connection of the write or read being run, or the pool outside one. */
  get sql(): SQL {
    const tx = this.open.getStore();
    return tx && !tx.done ? tx.sql : this.pool;
  }

  /**
   * The unit of work: `fn` runs in one transaction; `committed` runs after its COMMIT, then the
   * promise settles. A write started inside another write's `fn` runs in a savepoint of the same
   * transaction and its `committed` waits for that transaction's COMMIT.
   */
  async write<T>(fn: () => Promise<T>, committed?: (result: T) => void): Promise<T> {
    const outer = this.open.getStore();
    if (outer && !outer.done) {
      const inner: OpenTx = { sql: outer.sql, after: outer.after, done: false };
      const value = await (outer.sql as SQL & { savepoint<R>(f: (sp: SQL) => Promise<R>): Promise<R> }).savepoint((sp) => {
        inner.sql = sp;
        return this.open.run(inner, fn);
      });
      inner.done = true;
      if (committed) outer.after.push(() => committed(value));
      return value;
    }
    const tx: OpenTx = { sql: this.pool, after: [], done: false };
    let value: T;
    try {
      value = await this.pool.begin(async (t) => {
        tx.sql = t;
        // One writer at a time across every server, as on SQLite: a write reads, checks and
        // writes (its object, task records, dedupe rows) knowing nothing changes under it, and
        // commits in revision order. Reads and everything outside writes run concurrently.
        await t`SELECT value FROM revision_counter WHERE id = 1 FOR UPDATE`;
        return this.open.run(tx, fn);
      });
    } catch (e) {
      throw translate(e);
    } finally {
      tx.done = true;
    }
    for (const a of tx.after) a();
    committed?.(value);
    return value;
  }

  /** Reads in one snapshot (REPEATABLE READ, read only); inside a write, that write's own view. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.open.getStore();
    if (outer && !outer.done) return fn();
    const tx: OpenTx = { sql: this.pool, after: [], done: false };
    try {
      return await this.pool.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (t) => {
        tx.sql = t;
        return this.open.run(tx, fn);
      });
    } finally {
      tx.done = true;
    }
  }

  async get(kind: string, namespace: string, name: string): Promise<ResourceRow | undefined> {
    const rows = await this.sql.unsafe(`SELECT ${COLUMNS} FROM resources WHERE kind = $1 AND namespace = $2 AND name = $3`, [kind, namespace, name]);
    return rows.length ? toRow(rows[0]) : undefined;
  }

  async list(q: ListQuery): Promise<ResourceRow[]> {
    const args: unknown[] = [q.kind];
    let where = 'kind = $1';
    if (q.namespace !== undefined) where += ` AND namespace = $${args.push(q.namespace)}`;
    // Row-value comparison: the (kind, namespace, name) index seeks straight to the cursor.
    if (q.after) where += ` AND (namespace, name) > ($${args.push(q.after.namespace)}, $${args.push(q.after.name)})`;
    const rows = await this.sql.unsafe(`SELECT ${COLUMNS} FROM resources WHERE ${where} ORDER BY namespace, name LIMIT $${args.push(q.limit)}`, args);
    return rows.map(toRow);
  }

  /** Rows of a kind in the given status phases ('' = no phase), oldest revision first. */
  async listByPhase(kind: string, phases: string[]): Promise<ResourceRow[]> {
    const named = phases.filter(Boolean);
    // The expression matches the partial index on Task phases exactly.
    const terms = [named.length ? `(status::jsonb ->> 'phase') = ANY($2::text[])` : '', phases.includes('') ? `(status::jsonb ->> 'phase') IS NULL` : ''].filter(Boolean);
    if (!terms.length) return [];
    const rows = await this.sql.unsafe(`SELECT ${COLUMNS} FROM resources WHERE kind = $1 AND (${terms.join(' OR ')}) ORDER BY resource_version`, named.length ? [kind, named] : [kind]);
    return rows.map(toRow);
  }

  async currentRevision(): Promise<number> {
    const [r] = await this.sql`SELECT value FROM revision_counter WHERE id = 1`;
    return Number(r?.value ?? 0);
  }

  async insert(row: NewResourceRow): Promise<ChangeRecord> {
    const resourceVersion = await this.nextRevision();
    const r = row;
    const [ins] = await this.sql.unsafe(
      'INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, labels, annotations, spec, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id',
      [r.kind, r.namespace, r.name, r.uid, resourceVersion, r.generation, r.labels, r.annotations, r.spec, r.status, r.createdAt, r.updatedAt],
    );
    return this.record('added', { ...r, id: Number(ins.id), resourceVersion });
  }

  async update(row: ResourceRow, expectedVersion: number): Promise<ChangeRecord> {
    const resourceVersion = await this.nextRevision();
    const done = await this.sql.unsafe(
      'UPDATE resources SET resource_version = $1, generation = $2, labels = $3, annotations = $4, spec = $5, status = $6, updated_at = $7 WHERE id = $8 AND resource_version = $9 RETURNING id',
      [resourceVersion, row.generation, row.labels, row.annotations, row.spec, row.status, row.updatedAt, row.id, expectedVersion],
    );
    if (done.length !== 1) throw new VersionConflict();
    return this.record('updated', { ...row, resourceVersion });
  }

  async delete(row: ResourceRow, at: string): Promise<ChangeRecord> {
    const resourceVersion = await this.nextRevision();
    const gone = await this.sql.unsafe(`DELETE FROM resources WHERE id = $1 AND resource_version = $2 RETURNING ${COLUMNS}`, [row.id, row.resourceVersion]);
    if (gone.length !== 1) throw new VersionConflict();
    return this.record('deleted', { ...toRow(gone[0]), resourceVersion, updatedAt: at });
  }

  async snapshotIndex(kind: string, upTo: number, namespace?: string, name?: string): Promise<{ ids: Float64Array; bytes: Float64Array }> {
    const args: unknown[] = [kind, upTo];
    let where = 'kind = $1 AND resource_version <= $2';
    if (namespace !== undefined) where += ` AND namespace = $${args.push(namespace)}`;
    if (name !== undefined) where += ` AND name = $${args.push(name)}`;
    const rows = await this.sql.unsafe(
      `SELECT id, octet_length(spec) + octet_length(status) + octet_length(labels) + octet_length(annotations) AS size FROM resources WHERE ${where} ORDER BY resource_version`,
      args,
    );
    return { ids: Float64Array.from(rows, (r: Row) => Number(r.id)), bytes: Float64Array.from(rows, (r: Row) => Number(r.size)) };
  }

  async rowsByIds(ids: number[]): Promise<ResourceRow[]> {
    if (!ids.length) return [];
    const rows = await this.sql.unsafe(`SELECT ${COLUMNS} FROM resources WHERE id = ANY($1::bigint[])`, [ids]);
    return rows.map(toRow);
  }

  async namespaces(): Promise<string[]> {
    const rows = await this.sql`SELECT DISTINCT namespace FROM resources ORDER BY namespace`;
    return rows.map((r: Row) => r.namespace as string);
  }

  async countByKind(): Promise<Record<string, number>> {
    const rows = await this.sql`SELECT kind, count(*) AS n FROM resources GROUP BY kind`;
    return Object.fromEntries(rows.map((r: Row) => [r.kind, Number(r.n)]));
  }

  async countByPhase(): Promise<{ kind: string; phase: string; count: number }[]> {
    const rows = await this.sql`SELECT kind, coalesce(status::jsonb ->> 'phase', '') AS phase, count(*) AS n FROM resources GROUP BY 1, 2 ORDER BY 1, 2`;
    return rows.map((r: Row) => ({ kind: r.kind as string, phase: String(r.phase), count: Number(r.n) }));
  }

  /**
   * Inside the write's transaction: bumps the counter, whose row lock then orders this
   * transaction's COMMIT before any later allocation, on any server.
   */
  private async nextRevision(): Promise<number> {
    const [r] = await this.sql`UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value`;
    return Number(r.value);
  }

  private async record(type: ChangeType, row: ResourceRow): Promise<ChangeRecord> {
    const revision = row.resourceVersion;
    await this.sql.unsafe('INSERT INTO changes (revision, kind, namespace, name, type, object, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      revision,
      row.kind,
      row.namespace,
      row.name,
      type,
      JSON.stringify(row),
      row.updatedAt,
    ]);
    // Delivered to listeners on every server when (and only if) the transaction commits.
    await this.sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${String(revision)})`;
    return { revision, kind: row.kind, namespace: row.namespace, name: row.name, type, row };
  }
}

/**
 * Two writers creating the same object: the loser's INSERT hits the unique key after the winner
 * committed. Like a lost version check, it is a conflict the caller may retry.
 */
function translate(e: unknown): unknown {
  const code = (e as { errno?: string; code?: string })?.errno ?? (e as { code?: string })?.code;
  if (code === '23505' && /resources_kind_ns_name/.test(String((e as Error).message) + String((e as { constraint?: string }).constraint ?? ''))) return new VersionConflict();
  return e;
}
