// The change log on PostgreSQL: the same reads as src/store/change-log.ts. Revisions are allocated
// under the revision_counter row lock, so changes commit in revision order: once a revision is
// visible, every smaller one is too (or was rolled back and never existed), and a reader that
// reads up to the newest committed revision skips nothing.
import { trimBound, type ChangeLog, type LoggedChange } from '../change-log';
import type { ResourceRow } from '../resource-store';
import type { PgResourceStore } from './resource-store';

type Row = Record<string, unknown>;

export class PgChangeLog implements Pick<ChangeLog, 'lastRevision' | 'firstRevision' | 'rowsWithin' | 'readAfter' | 'trim'> {
  constructor(private readonly store: PgResourceStore) {}

  async lastRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  async firstRevision(): Promise<number | undefined> {
    const [r] = await this.store.sql`SELECT MIN(revision) AS rev FROM changes`;
    return r?.rev === null || r?.rev === undefined ? undefined : Number(r.rev);
  }

  async rowsWithin(after: number, upTo: number, maxBytes: number, limit: number): Promise<number> {
    const sizes = await this.store.sql`SELECT octet_length(object) AS size FROM changes WHERE revision > ${after} AND revision <= ${upTo} ORDER BY revision LIMIT ${limit}`;
    let n = 0;
    for (let total = 0; n < sizes.length && (n === 0 || total + Number(sizes[n].size) <= maxBytes); n++) total += Number(sizes[n].size);
    return n;
  }

  async readAfter(after: number, upTo: number, limit: number): Promise<LoggedChange[]> {
    const rows = await this.store.sql`SELECT revision, kind, namespace, name, type, object FROM changes WHERE revision > ${after} AND revision <= ${upTo} ORDER BY revision LIMIT ${limit}`;
    return rows.map((c: Row) => ({
      revision: Number(c.revision),
      kind: c.kind as string,
      namespace: c.namespace as string,
      name: c.name as string,
      type: c.type as LoggedChange['type'],
      row: JSON.parse(c.object as string) as ResourceRow,
    }));
  }

  /** As ChangeLog.trim: a contiguous prefix only, the newest change always kept. */
  async trim(keep: number, maxAgeMs: number, now: Date, step: number): Promise<number> {
    const last = await this.lastRevision();
    const first = (await this.firstRevision()) ?? last;
    const cutoff = new Date(now.getTime() - maxAgeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const [y] = await this.store.sql`SELECT MIN(revision) AS rev FROM changes WHERE created_at >= ${cutoff}`;
    const bound = trimBound(first, last, keep, step, y?.rev);
    if (bound < first) return 0;
    const gone = await this.store.sql`DELETE FROM changes WHERE revision <= ${bound} RETURNING revision`;
    return gone.length;
  }
}
