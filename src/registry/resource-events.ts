// The events the API layer records for every committed write: resource.created, .updated,
// .status and .deleted, with the data shapes of the reference (Secrets redacted).
import { nanoTimestamp, type NewEvent, type OrreryEvent } from '../events/event';
import type { ChangeType } from '../store/resource-store';
import { present } from './codec';
import type { KindDefinition, StoredObject } from './kind';
import type { Events } from '../store/backend';

export type WriteAction = 'apply' | 'replace' | 'status' | 'delete';

export function resourceEvent(def: KindDefinition, action: WriteAction, type: ChangeType, object: StoredObject): NewEvent {
  const m = object.metadata;
  const base = { source: 'apiserver', kind: def.kind, name: m.name, namespace: m.namespace };
  const what = `${def.kind} ${m.namespace}/${m.name}`;
  if (type === 'added') return { ...base, type: 'resource.created', action: 'created', message: `${what} created`, data: present(def, object) };
  if (type === 'deleted') {
    return { ...base, type: 'resource.deleted', action: 'deleted', message: `${what} deleted`, data: { metadata: { name: m.name, namespace: m.namespace } } };
  }
  if (action === 'status') {
    const status = def.eventStatus ? def.eventStatus(object.status ?? {}) : object.status;
    return { ...base, type: 'resource.status', action: 'status', message: `${what} status updated`, data: { metadata: m, status } };
  }
  return { ...base, type: 'resource.updated', action: 'updated', message: `${what} updated`, data: present(def, object) };
}

/** Appends the event for a write inside its transaction, so the two commit together. */
export function recordResourceEvent(log: Events, now: Date, def: KindDefinition, action: WriteAction, type: ChangeType, object: StoredObject): Promise<OrreryEvent> {
  return log.append(resourceEvent(def, action, type, object), now, nanoTimestamp);
}
