// The step journal on SQLite: write-once results of completed model and tool calls per task, so a
// task resumed after a crash or a takeover replays them instead of calling again. Rows of text
// only; what a step's value means is the runtime's business (runtime/engine/step-journal.ts).
import { and, eq, sql } from 'drizzle-orm';
import { taskJournal } from '../../db/schema';
import type { Clock } from '../util/time';
import type { OpenDatabase } from './database';

const ph = (name: string) => sql.placeholder(name);

export class TaskJournalStore {
  private readonly stmt;

  constructor(
    handle: OpenDatabase,
    private readonly clock: Clock,
  ) {
    const db = handle.db;
    this.stmt = {
      get: db
        .select({ value: taskJournal.value })
        .from(taskJournal)
        .where(and(eq(taskJournal.taskUid, ph('uid')), eq(taskJournal.key, ph('key'))))
        .prepare(),
      insert: db
        .insert(taskJournal)
        .values({ taskUid: ph('uid'), key: ph('key'), value: ph('value'), createdAt: ph('at') } as unknown as typeof taskJournal.$inferInsert)
        .onConflictDoNothing()
        .prepare(),
      drop: db.delete(taskJournal).where(eq(taskJournal.taskUid, ph('uid'))).prepare(),
      count: db.select({ n: sql<number>`count(*)` }).from(taskJournal).where(eq(taskJournal.taskUid, ph('uid'))).prepare(),
    };
  }

  async get(uid: string, key: string): Promise<string | undefined> {
    return this.stmt.get.get({ uid, key })?.value;
  }

  /** Stores `value` unless the key already holds one; returns what the key holds afterwards. */
  async putIfAbsent(uid: string, key: string, value: string): Promise<string> {
    this.stmt.insert.run({ uid, key, value, at: this.clock.now().toISOString() });
    return (await this.get(uid, key)) ?? value;
  }

  async count(uid: string): Promise<number> {
    return Number(this.stmt.count.get({ uid })?.n ?? 0);
  }

  /** Forgets a task's steps (it ended or was deleted). */
  async drop(uid: string): Promise<void> {
    this.stmt.drop.run({ uid });
  }
}
