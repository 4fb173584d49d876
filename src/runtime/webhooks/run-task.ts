// The run task one webhook delivery creates (reference §8.3 step 8): the template's spec with
// mode run, the body and delivery facts as input, labels naming the webhook and event, and a name
// derived from the webhook and the event id, so one event id can only ever make one task.
import { createHash } from 'node:crypto';
import type { KindDefinition, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';

export interface RunTask {
  namespace: string;
  name: string;
  manifest: { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion: string }; spec: Record<string, any> };
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Throws (with a message for status.lastError) when the template is missing or not a template. */
export async function buildRunTask(registry: Registry, taskKind: KindDefinition, webhook: StoredObject, eventId: string, body: string, receivedAt: string): Promise<RunTask> {
  const { namespace: whNs, name: whName } = webhook.metadata;
  const spec = webhook.spec;
  let template: Record<string, any>;
  let namespace = whNs;
  if (spec.task_ref) {
    const ref = String(spec.task_ref);
    const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [whNs, ref];
    const found = await registry.findDecoded(taskKind, ns!, name!);
    if (!found) throw new Error(`template task ${ns}/${name} not found`);
    if (found.spec.mode !== 'template') throw new Error(`task ${ns}/${name} is not a template (spec.mode must be template)`);
    template = found.spec;
    namespace = found.metadata.namespace;
  } else if (spec.task_template) {
    template = spec.task_template;
  } else {
    throw new Error('spec.task_ref or spec.task_template is required');
  }
  const eventHash = hash(eventId);
  const name = `${whName.slice(0, 42).replace(/[-.]+$/, '')}-${eventHash}`;
  const inputKey = spec.payload?.input_key || 'webhook_payload';
  const copy = structuredClone(template);
  copy.mode = 'run';
  copy.input = { ...(copy.input ?? {}), [inputKey]: body, webhook_event_id: eventId, webhook_received_at: receivedAt, webhook_source: spec.auth?.profile ?? 'generic' };
  return {
    namespace,
    name,
    manifest: {
      apiVersion: 'orloj.dev/v1',
      kind: 'Task',
      metadata: {
        name,
        namespace,
        labels: { 'orloj.dev/task-webhook': whName, 'orloj.dev/task-webhook-namespace': whNs, 'orloj.dev/webhook-event-id': eventHash },
        // Create only: a task of this name written in between is never replaced.
        resourceVersion: '0',
      },
      spec: copy,
    },
  };
}
