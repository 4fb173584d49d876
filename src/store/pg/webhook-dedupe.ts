// Webhook delivery lookups on PostgreSQL: the same calls as src/store/webhook-dedupe.ts. The
// dedupe row is written on the caller's write transaction (store.sql), so it commits or rolls back
// together with the task the delivery creates.
import type { DedupeHit, WebhookDedupeStore } from '../webhook-dedupe';
import type { PgResourceStore } from './resource-store';

type Row = Record<string, unknown>;

const toHit = (r: Row): DedupeHit => ({ taskNamespace: r.task_namespace as string, taskName: r.task_name as string });

export class PgWebhookDedupeStore implements Pick<WebhookDedupeStore, 'findEndpoint' | 'get' | 'put' | 'prune'> {
  constructor(private readonly store: PgResourceStore) {}

  /** The TaskWebhook whose status.endpointID is `id`. */
  async findEndpoint(id: string): Promise<{ namespace: string; name: string } | undefined> {
    // Exactly the expression and predicate of the partial index resources_webhook_endpoint.
    const [r] = await this.store.sql`
      SELECT namespace, name FROM resources
      WHERE kind = 'TaskWebhook' AND (status::jsonb ->> 'endpointID') = ${id} LIMIT 1`;
    return r ? { namespace: r.namespace as string, name: r.name as string } : undefined;
  }

  /** The task an unexpired row for (endpoint, event) names. */
  async get(endpoint: string, event: string, nowMs: number): Promise<DedupeHit | undefined> {
    const [r] = await this.store.sql`
      SELECT task_namespace, task_name FROM webhook_dedupe
      WHERE endpoint_id = ${endpoint} AND event_id = ${event} AND expires_at > ${nowMs}`;
    return r ? toHit(r) : undefined;
  }

  /**
   * Insert-if-absent (an expired row for the key is replaced); returns the task of the row that
   * holds the key afterwards. Call inside the transaction that writes the task. One statement: a
   * concurrent delivery of the same event waits on the key until this transaction ends, then
   * either finds this row (committed) or inserts its own (rolled back).
   */
  async put(endpoint: string, event: string, task: DedupeHit, nowMs: number, expiresMs: number): Promise<DedupeHit> {
    const at = new Date(nowMs).toISOString();
    const [won] = await this.store.sql`
      INSERT INTO webhook_dedupe (endpoint_id, event_id, task_namespace, task_name, expires_at, created_at)
      VALUES (${endpoint}, ${event}, ${task.taskNamespace}, ${task.taskName}, ${expiresMs}, ${at})
      ON CONFLICT (endpoint_id, event_id) DO UPDATE SET
        task_namespace = excluded.task_namespace, task_name = excluded.task_name,
        expires_at = excluded.expires_at, created_at = excluded.created_at
      WHERE webhook_dedupe.expires_at <= ${nowMs}
      RETURNING task_namespace, task_name, expires_at`;
    // As on SQLite, a row that is already expired when written does not hold the key.
    if (won) return Number(won.expires_at) > nowMs ? toHit(won) : task;
    return (await this.get(endpoint, event, nowMs)) ?? task;
  }

  /** Deletes rows whose window has passed; returns how many. */
  async prune(nowMs: number): Promise<number> {
    const gone = await this.store.sql`DELETE FROM webhook_dedupe WHERE expires_at <= ${nowMs}`;
    return gone.count;
  }
}
