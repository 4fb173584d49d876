// Webhook delivery lookups on SQLite: the TaskWebhook behind an endpoint id (through the
// resources_webhook_endpoint index, never a scan) and the (endpoint, event id) dedupe rows.
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import { resources, webhookDedupe } from '../../db/schema';
import type { OpenDatabase } from './database';

const ph = (name: string) => sql.placeholder(name);

export interface DedupeHit {
  taskNamespace: string;
  taskName: string;
}

export class WebhookDedupeStore {
  private readonly stmt;

  constructor(handle: OpenDatabase) {
    const db = handle.db;
    this.stmt = {
      endpoint: db
        .select({ namespace: resources.namespace, name: resources.name })
        .from(resources)
        .where(and(sql`json_extract(${resources.status}, '$.endpointID') = ${ph('id')}`, sql`${resources.kind} = 'TaskWebhook'`))
        .limit(1)
        .prepare(),
      get: db
        .select({ taskNamespace: webhookDedupe.taskNamespace, taskName: webhookDedupe.taskName })
        .from(webhookDedupe)
        .where(and(eq(webhookDedupe.endpointId, ph('endpoint')), eq(webhookDedupe.eventId, ph('event')), gt(webhookDedupe.expiresAt, ph('now'))))
        .prepare(),
      dropExpiredKey: db
        .delete(webhookDedupe)
        .where(and(eq(webhookDedupe.endpointId, ph('endpoint')), eq(webhookDedupe.eventId, ph('event')), lte(webhookDedupe.expiresAt, ph('now'))))
        .prepare(),
      insert: db
        .insert(webhookDedupe)
        .values({
          endpointId: ph('endpoint'),
          eventId: ph('event'),
          taskNamespace: ph('ns'),
          taskName: ph('task'),
          expiresAt: ph('expires'),
          createdAt: ph('at'),
        } as unknown as typeof webhookDedupe.$inferInsert)
        .onConflictDoNothing()
        .prepare(),
      prune: handle.sqlite.query('DELETE FROM webhook_dedupe WHERE expires_at <= ?1'),
    };
  }

  /** The TaskWebhook whose status.endpointID is `id`. */
  async findEndpoint(id: string): Promise<{ namespace: string; name: string } | undefined> {
    return this.stmt.endpoint.get({ id }) ?? undefined;
  }

  /** The task an unexpired row for (endpoint, event) names. */
  async get(endpoint: string, event: string, nowMs: number): Promise<DedupeHit | undefined> {
    return this.stmt.get.get({ endpoint, event, now: nowMs }) ?? undefined;
  }

  /**
   * Insert-if-absent (an expired row for the key is replaced); returns the task of the row that
   * holds the key afterwards. Call inside the transaction that writes the task.
   */
  async put(endpoint: string, event: string, task: DedupeHit, nowMs: number, expiresMs: number): Promise<DedupeHit> {
    this.stmt.dropExpiredKey.run({ endpoint, event, now: nowMs });
    this.stmt.insert.run({ endpoint, event, ns: task.taskNamespace, task: task.taskName, expires: expiresMs, at: new Date(nowMs).toISOString() });
    return (await this.get(endpoint, event, nowMs)) ?? task;
  }

  /** Deletes rows whose window has passed; returns how many. */
  async prune(nowMs: number): Promise<number> {
    return this.stmt.prune.run(nowMs).changes;
  }
}
