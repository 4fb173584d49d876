// Reading the changes log for watch replay, and trimming it by count and age. The newest row is
// always kept: its revision is the store's current revision.
import { and, asc, gt, gte, lte, sql } from 'drizzle-orm';
import { changes } from '../../db/schema';
import type { ChangeRecord, ResourceRow } from './resource-store';
import { deletedRows, type OpenDatabase } from './database';

/** A change as logged: its row is the stored row as that change wrote it (at-rest encoded). */
export type LoggedChange = ChangeRecord;

const ph = (name: string) => sql.placeholder(name);

/**
 * The newest id a trim may delete up to: beyond the newest `keep`, at most `step` of the oldest,
 * never the newest row, and only a contiguous prefix (below `young`, the first id still inside the
 * age window, when there is one), so the log never gets a hole a resuming reader would skip.
 */
export function trimBound(first: number, last: number, keep: number, step: number, young: number | null | undefined): number {
  return Math.min(last - keep, first + step - 1, last - 1, young === null || young === undefined ? Infinity : Number(young) - 1);
}

export class ChangeLog {
  private readonly stmt;

  constructor(readonly handle: OpenDatabase) {
    const db = handle.db;
    this.stmt = {
      first: db.select({ rev: sql<number | null>`MIN(${changes.revision})` }).from(changes).prepare(),
      last: db.select({ rev: sql<number>`COALESCE(MAX(${changes.revision}), 0)` }).from(changes).prepare(),
      after: db
        .select()
        .from(changes)
        .where(and(gt(changes.revision, ph('after')), lte(changes.revision, ph('upTo'))))
        .orderBy(asc(changes.revision))
        .limit(ph('limit'))
        .prepare(),
      sizes: db
        .select({ size: sql<number>`octet_length(${changes.object})` })
        .from(changes)
        .where(and(gt(changes.revision, ph('after')), lte(changes.revision, ph('upTo'))))
        .orderBy(asc(changes.revision))
        .limit(ph('limit'))
        .prepare(),
    };
  }

  async lastRevision(): Promise<number> {
    return Number(this.stmt.last.get()!.rev);
  }

  /** The oldest revision still held, or undefined when nothing was ever written. */
  async firstRevision(): Promise<number | undefined> {
    const v = this.stmt.first.get()?.rev;
    return v === null || v === undefined ? undefined : Number(v);
  }

  /**
   * How many of the changes after `after` (up to `upTo`, at most `limit`) fit in `maxBytes` of
   * stored objects, at least one when there is any: sized from the record headers, so a page of
   * large objects is never read whole to find out.
   */
  async rowsWithin(after: number, upTo: number, maxBytes: number, limit: number): Promise<number> {
    const sizes = this.stmt.sizes.all({ after, upTo, limit });
    let n = 0;
    for (let total = 0; n < sizes.length && (n === 0 || total + sizes[n].size <= maxBytes); n++) total += sizes[n].size;
    return n;
  }

  /** Changes with after < revision ≤ upTo, oldest first. */
  async readAfter(after: number, upTo: number, limit: number): Promise<LoggedChange[]> {
    return this.stmt.after.all({ after, upTo, limit }).map((c) => ({
      revision: c.revision,
      kind: c.kind,
      namespace: c.namespace,
      name: c.name,
      type: c.type,
      row: JSON.parse(c.object) as ResourceRow,
    }));
  }

  /**
   * Deletes changes beyond the newest `keep` that are also older than `maxAgeMs`, at most `step`
   * of the oldest at a time. The newest change is never deleted.
   */
  async trim(keep: number, maxAgeMs: number, now: Date, step: number): Promise<number> {
    const last = await this.lastRevision();
    const first = (await this.firstRevision()) ?? last;
    const cutoff = new Date(now.getTime() - maxAgeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Only a contiguous prefix may go: stop below the first change that is still young, so the
    // log never gets a hole that a resuming watcher would silently skip.
    const young = this.handle.db.select({ rev: sql<number | null>`MIN(${changes.revision})` }).from(changes).where(gte(changes.createdAt, cutoff)).get()?.rev;
    const bound = trimBound(first, last, keep, step, young);
    if (bound < first) return 0;
    this.handle.db.delete(changes).where(lte(changes.revision, bound)).run();
    return deletedRows(this.handle);
  }
}
