// The step journal on PostgreSQL: the same calls as src/store/task-journal.ts, on the task_journal
// table keyed by (task uid, key). Write-once: the first value stored for a key is kept.
import type { Clock } from '../../util/time';
import type { TaskJournalStore } from '../task-journal';
import type { PgResourceStore } from './resource-store';

export class PgTaskJournalStore implements Pick<TaskJournalStore, 'get' | 'putIfAbsent' | 'count' | 'drop'> {
  constructor(
    private readonly store: PgResourceStore,
    private readonly clock: Clock,
  ) {}

  async get(uid: string, key: string): Promise<string | undefined> {
    const [r] = await this.store.sql`SELECT value FROM task_journal WHERE task_uid = ${uid} AND key = ${key}`;
    return r ? (r.value as string) : undefined;
  }

  /** Stores `value` unless the key already holds one; returns what the key holds afterwards. */
  async putIfAbsent(uid: string, key: string, value: string): Promise<string> {
    const at = this.clock.now().toISOString();
    // RETURNING gives the row only when this call inserted it; otherwise read the holder's value.
    const [mine] = await this.store.sql`
      INSERT INTO task_journal (task_uid, key, value, created_at) VALUES (${uid}, ${key}, ${value}, ${at})
      ON CONFLICT (task_uid, key) DO NOTHING RETURNING value`;
    if (mine) return mine.value as string;
    return (await this.get(uid, key)) ?? value;
  }

  async count(uid: string): Promise<number> {
    const [r] = await this.store.sql`SELECT count(*) AS n FROM task_journal WHERE task_uid = ${uid}`;
    return Number(r?.n ?? 0);
  }

  /** Forgets a task's steps (it ended or was deleted). */
  async drop(uid: string): Promise<void> {
    await this.store.sql`DELETE FROM task_journal WHERE task_uid = ${uid}`;
  }
}
