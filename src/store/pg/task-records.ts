// Task record streams on PostgreSQL: the same calls as src/store/task-records.ts, on the
// task_records table keyed by (field, task uid, seq). Run inside the registry's write.
import type { RecordDelta, TaskRecordStore } from '../task-records';
import type { PgResourceStore } from './resource-store';

export class PgTaskRecordStore implements Pick<TaskRecordStore, 'load' | 'apply' | 'drop'> {
  private readonly fields: string[];

  constructor(
    private readonly store: PgResourceStore,
    private readonly streams: Readonly<Record<string, string>>,
  ) {
    this.fields = Object.keys(streams).sort();
  }

  async load(uid: string): Promise<Record<string, unknown[]>> {
    const rows = await this.store.sql`SELECT field, body FROM task_records WHERE task_uid = ${uid} AND field = ANY(${this.fields}::text[]) ORDER BY field, seq`;
    const out: Record<string, unknown[]> = {};
    for (const r of rows) (out[r.field as string] ??= []).push(JSON.parse(r.body as string));
    return out;
  }

  async apply(uid: string, deltas: RecordDelta[]): Promise<void> {
    for (const d of deltas) await this.applyOne(uid, d);
  }

  async drop(uid: string): Promise<void> {
    await this.store.sql`DELETE FROM task_records WHERE task_uid = ${uid} AND field = ANY(${this.fields}::text[])`;
  }

  private async applyOne(uid: string, d: RecordDelta): Promise<void> {
    const sql = this.store.sql;
    const { field } = d;
    if (d.replace) {
      await sql`DELETE FROM task_records WHERE field = ${field} AND task_uid = ${uid}`;
      for (const [i, value] of d.replace.entries()) await this.insert(uid, field, i + 1, value);
    }
    let seq: number | undefined;
    const last = async () => Number((await sql`SELECT COALESCE(MAX(seq), 0) AS seq FROM task_records WHERE field = ${field} AND task_uid = ${uid}`)[0].seq);
    const next = async () => (seq = (seq ?? (await last())) + 1);
    for (const key of d.remove ?? []) await sql`DELETE FROM task_records WHERE field = ${field} AND task_uid = ${uid} AND key = ${key} AND key <> ''`;
    for (const u of d.upsert ?? []) {
      const body = JSON.stringify(u.value);
      const done = await sql`UPDATE task_records SET body = ${body} WHERE field = ${field} AND task_uid = ${uid} AND key = ${u.key} AND key <> '' RETURNING seq`;
      if (!done.length) await sql`INSERT INTO task_records (field, task_uid, seq, key, body) VALUES (${field}, ${uid}, ${await next()}, ${u.key}, ${body})`;
    }
    for (const value of d.append ?? []) await this.insert(uid, field, await next(), value);
    if (d.keep !== undefined && d.append?.length) {
      const top = seq ?? (await last());
      if (top > d.keep) await sql`DELETE FROM task_records WHERE field = ${field} AND task_uid = ${uid} AND seq <= ${top - d.keep}`;
    }
  }

  private keyOf(field: string, value: unknown): string {
    const key = this.streams[field];
    return key && value && typeof value === 'object' ? String((value as Record<string, unknown>)[key] ?? '') : '';
  }

  private async insert(uid: string, field: string, seq: number, value: unknown): Promise<void> {
    await this.store.sql`INSERT INTO task_records (field, task_uid, seq, key, body) VALUES (${field}, ${uid}, ${seq}, ${this.keyOf(field, value)}, ${JSON.stringify(value)})`;
  }
}
