// Webhook deliveries (reference §8.3): find the TaskWebhook by endpoint id, verify the signature,
// dedupe by (endpoint, event id) and create exactly one run task per event id. The dedupe row
// commits in the run task's transaction; concurrent copies of an event wait for the first.
import { BadRequest, Conflict, NotFound, Unauthorized } from '../../errors';
import type { EventPublisher } from '../../events/publisher';
import { nanoTimestamp } from '../../events/event';
import type { Logger } from '../../log';
import type { KindDefinition, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';
import { rfc3339, type Clock } from '../../util/time';
import { defaultEventHeader, defaultWindowSeconds, profiles } from './profiles';
import { EndpointRateLimiter } from './rate-limit';
import { buildRunTask, type RunTask } from './run-task';
import type { Dedupe } from '../../store/backend';

export interface DeliveryAnswer {
  accepted: true;
  duplicate: boolean;
  event_id: string;
  task: string;
  message?: string;
}

export interface WebhookDeliveryDeps {
  registry: Registry;
  dedupe: Dedupe;
  events: EventPublisher;
  clock: Clock;
  log?: Logger;
  /** Deliveries per minute per endpoint (bursts up to the same number); 0 = unlimited. */
  ratePerMinute: number;
}

type Outcome = 'accepted' | 'duplicate' | 'rejected';
const COUNTERS: Record<Outcome, string> = { accepted: 'acceptedCount', duplicate: 'duplicateCount', rejected: 'rejectedCount' };

/** Tries of a counter update that lost a version check to another server's write. */
const RECORD_ATTEMPTS = 20;

/** Refused deliveries answer one message; the reason only goes to status.lastError. */
const REFUSED = 'the delivery could not be authenticated';

export class WebhookDeliveries {
  private readonly inflight = new Map<string, Promise<DeliveryAnswer>>();
  private readonly limiter: EndpointRateLimiter;
  private readonly webhookKind: KindDefinition;
  private readonly secretKind: KindDefinition;
  private readonly taskKind: KindDefinition;

  constructor(private readonly deps: WebhookDeliveryDeps) {
    this.limiter = new EndpointRateLimiter(deps.clock, deps.ratePerMinute);
    const kind = (k: string) => deps.registry.byKind.get(k.toLowerCase())!;
    this.webhookKind = kind('TaskWebhook');
    this.secretKind = kind('Secret');
    this.taskKind = kind('Task');
  }

  async deliver(endpointId: string, headers: Headers, body: Uint8Array): Promise<DeliveryAnswer> {
    const where = await this.deps.dedupe.findEndpoint(endpointId);
    const webhook = where && (await this.deps.registry.findDecoded(this.webhookKind, where.namespace, where.name));
    if (!webhook) throw new NotFound('webhook-deliveries', endpointId, `no TaskWebhook has endpoint id ${endpointId}`);
    const { namespace, name } = webhook.metadata;
    if (webhook.spec.suspend) throw new Conflict(`TaskWebhook "${name}" is suspended`, { kind: 'task-webhooks', name });
    this.limiter.take(endpointId);
    const now = this.deps.clock.now();
    const auth = webhook.spec.auth ?? {};
    const profile: string = auth.profile ?? 'generic';

    const reason = await this.verify(webhook, headers, body, now);
    if (reason) {
      await this.record(webhook, 'rejected', now, { lastError: reason });
      throw new Unauthorized(REFUSED);
    }
    const eventId = this.eventId(webhook.spec.idempotency ?? {}, profile, headers, body);
    if (!eventId) {
      await this.record(webhook, 'rejected', now, { lastError: 'the delivery carries no event id' });
      throw new BadRequest('the delivery carries no event id', { kind: 'task-webhooks', name });
    }
    const key = `${endpointId}\u0000${eventId}`;
    const first = this.inflight.get(key);
    if (first) {
      const answer = await first;
      await this.record(webhook, 'duplicate', now, { lastEventID: eventId });
      await this.publish(webhook, 'duplicate', eventId, answer.task);
      return { ...answer, duplicate: true, message: undefined };
    }
    const work = Promise.resolve().then(() => this.accept(webhook, endpointId, eventId, body, now, profile));
    this.inflight.set(key, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(key);
    }
  }

  /** Deletes dedupe rows whose window has passed; returns how many. */
  prune(): Promise<number> {
    return this.deps.dedupe.prune(this.deps.clock.now().getTime());
  }

  /** Prunes every `intervalMs` (Orloj: every 60 s) until the returned stop is called. */
  startPruning(intervalMs = 60_000): () => void {
    const prune = async () => {
      try {
        await this.prune();
      } catch (e) {
        this.deps.log?.warn('pruning webhook dedupe rows failed', { error: String(e) });
      }
    };
    // prune() logs its own failures.
    const timer = setInterval(() => void prune(), intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  private async accept(webhook: StoredObject, endpointId: string, eventId: string, body: Uint8Array, now: Date, profile: string): Promise<DeliveryAnswer> {
    const idem = webhook.spec.idempotency ?? {};
    const windowMs = Number(idem.dedupe_window_seconds || defaultWindowSeconds(profile)) * 1000;
    const seen = await this.deps.dedupe.get(endpointId, eventId, now.getTime());
    if (seen) return await this.duplicate(webhook, eventId, seen.taskName, now);
    let run: RunTask;
    try {
      run = await buildRunTask(this.deps.registry, this.taskKind, webhook, eventId, new TextDecoder().decode(body), nanoTimestamp(now));
    } catch (e) {
      return await this.failed(webhook, eventId, e, now);
    }
    const hit = { taskNamespace: run.namespace, taskName: run.name };
    let winner = hit;
    // Runs inside the write's transaction: the dedupe row commits with it or not at all.
    const sideWrite = async () => {
      winner = await this.deps.dedupe.put(endpointId, eventId, hit, now.getTime(), now.getTime() + windowMs);
    };
    const existing = await this.deps.registry.findDecoded(this.taskKind, run.namespace, run.name);
    // A copy of this event delivered to another server of a shared database may have committed its
    // task (and, in the same transaction, its dedupe row) since the look above: then it is a duplicate.
    const raced = async () => {
      const row = await this.deps.dedupe.get(endpointId, eventId, now.getTime());
      return row && (await this.duplicate(webhook, eventId, row.taskName, now));
    };
    if (existing) {
      const dup = await raced();
      if (dup) return dup;
    }
    try {
      // A task left by an earlier window (same event id) is reused, as Orloj does; only the dedupe
      // row is written then, with the webhook's status in one transaction.
      if (existing && !sameLabels(existing, run.manifest.metadata.labels)) {
        throw new Error(`task ${run.namespace}/${run.name} exists and was not created by this webhook for this event`);
      }
      if (existing) {
        await this.record(webhook, 'accepted', now, { lastEventID: eventId, lastTriggeredTask: run.name }, sideWrite);
      } else {
        try {
          await this.deps.registry.apply(this.taskKind, run.manifest, { queryNamespace: run.namespace }, { sideWrite });
        } catch (e) {
          // Create-only lost to a concurrent copy of the event on another server: its answer counts.
          const dup = e instanceof Conflict ? await raced() : undefined;
          if (dup) return dup;
          throw e;
        }
        await this.record(webhook, 'accepted', now, { lastEventID: eventId, lastTriggeredTask: run.name });
        await this.deps.events.publish({ source: 'webhook-delivery', type: 'taskwebhook.triggered', kind: 'TaskWebhook', namespace: webhook.metadata.namespace, name: webhook.metadata.name, message: `created task ${run.name}`, data: { event_id: eventId, task: run.name } });
      }
    } catch (e) {
      return await this.failed(webhook, eventId, e, now);
    }
    if (winner.taskName !== run.name) return await this.duplicate(webhook, eventId, winner.taskName, now);
    await this.publish(webhook, 'accepted', eventId, run.name);
    return { accepted: true, duplicate: false, event_id: eventId, task: run.name, message: 'delivery accepted' };
  }

  private async duplicate(webhook: StoredObject, eventId: string, task: string, now: Date): Promise<DeliveryAnswer> {
    await this.record(webhook, 'duplicate', now, { lastEventID: eventId });
    await this.publish(webhook, 'duplicate', eventId, task);
    return { accepted: true, duplicate: true, event_id: eventId, task };
  }

  private async failed(webhook: StoredObject, eventId: string, e: unknown, now: Date): Promise<never> {
    const detail = e instanceof Error ? e.message : String(e);
    await this.record(webhook, 'rejected', now, { lastEventID: eventId, lastError: `creating the run task failed: ${detail}` });
    throw new BadRequest('the run task could not be created; see the TaskWebhook status.lastError', { kind: 'task-webhooks', name: webhook.metadata.name });
  }

  private async verify(webhook: StoredObject, headers: Headers, body: Uint8Array, now: Date): Promise<string | undefined> {
    const auth = webhook.spec.auth;
    if (!auth?.secret_ref) return 'spec.auth.secret_ref is not set';
    const verifier = profiles[auth.profile ?? 'generic'];
    if (!verifier) return `unknown auth profile ${auth.profile}`;
    const secret = await this.secret(webhook.metadata.namespace, auth.secret_ref);
    if (typeof secret === 'string') return secret;
    return verifier(auth, secret, { headers, body, now });
  }

  /** The referenced Secret's first data key in sorted order, base64-decoded (reference §8.3). */
  private async secret(webhookNamespace: string, ref: string): Promise<Buffer | string> {
    const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [webhookNamespace, ref];
    const secret = await this.deps.registry.findDecoded(this.secretKind, ns!, name!);
    if (!secret) return `Secret ${ns}/${name} not found`;
    const data: Record<string, string> = secret.spec.data ?? {};
    const first = Object.keys(data).sort()[0];
    if (first === undefined) return `Secret ${ns}/${name} has no data`;
    return Buffer.from(data[first]!, 'base64');
  }

  private eventId(idem: Record<string, any>, profile: string, headers: Headers, body: Uint8Array): string | undefined {
    const header = idem.event_id_header ?? (idem.event_id_from_body ? undefined : defaultEventHeader(profile));
    const fromHeader = header ? headers.get(header)?.trim() : undefined;
    if (fromHeader) return fromHeader;
    if (!idem.event_id_from_body) return undefined;
    try {
      let v: any = JSON.parse(new TextDecoder().decode(body));
      for (const part of String(idem.event_id_from_body).split('.')) v = v?.[part];
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      return typeof v === 'string' && v.trim() ? v.trim() : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * One atomic read-modify-write of the webhook's counters (no lost updates under concurrency). On
   * PostgreSQL the write is version-checked rather than exclusive: a write by another server in
   * between is a Conflict, and the increment is read and tried again.
   */
  private async record(webhook: StoredObject, outcome: Outcome, now: Date, fields: Record<string, string>, sideWrite?: () => Promise<void>): Promise<void> {
    const { namespace, name } = webhook.metadata;
    const update = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once();
        } catch (e) {
          if (!(e instanceof Conflict) || attempt >= RECORD_ATTEMPTS) throw e;
          await Bun.sleep(Math.random() * 5 * attempt);
        }
      }
    };
    const once = () =>
      this.deps.registry.updateStatus(
        this.webhookKind,
        namespace,
        name,
        (cur) => {
          const s: Record<string, any> = { ...cur.status };
          s[COUNTERS[outcome]] = Number(s[COUNTERS[outcome]] ?? 0) + 1;
          s.lastDeliveryTime = rfc3339(now);
          Object.assign(s, fields);
          if (outcome === 'rejected') s.phase = 'Error';
          else {
            s.phase = 'Ready';
            delete s.lastError;
          }
          return s;
        },
        { sideWrite },
      );
    if (sideWrite) {
      await update();
      return;
    }
    try {
      await update();
    } catch (e) {
      // The delivery's answer does not depend on the counters; the webhook may have been deleted.
      this.deps.log?.warn('webhook status update failed', { webhook: `${namespace}/${name}`, error: String(e) });
    }
    if (outcome === 'rejected') await this.publish(webhook, 'rejected', fields.lastEventID, undefined, fields.lastError);
  }

  private async publish(webhook: StoredObject, outcome: Outcome, eventId?: string, task?: string, reason?: string): Promise<void> {
    const { namespace, name } = webhook.metadata;
    await this.deps.events.publish({
      source: 'webhook-delivery',
      type: `taskwebhook.delivery.${outcome}`,
      kind: 'TaskWebhook',
      namespace,
      name,
      message: reason ?? (task ? `task ${task}` : undefined),
      data: { event_id: eventId, task },
    });
  }
}

function sameLabels(task: StoredObject, labels: Record<string, string>): boolean {
  const have = task.metadata.labels ?? {};
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

