// Run tasks of a TaskSchedule: the template resolved (task_ref or inline task_template), the run
// named and labelled, and created only when no task has that name. Shared by the schedule
// controller (a run per slot) and the trigger route (a run now).
import { Conflict } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Spec, StoredObject } from '../registry/kind';
import type { Registry } from '../registry/registry';
import { rfc3339, type Clock } from '../util/time';
import { wallClock } from './schedule-slots';

export const SCHEDULE_LABEL = 'orloj.dev/task-schedule';
export const SCHEDULE_NS_LABEL = 'orloj.dev/task-schedule-namespace';
export const SLOT_LABEL = 'orloj.dev/task-schedule-slot';
export const SCHEDULE_SOURCE = 'task-schedule-controller';
/** Lower-case, non [a-z0-9] → "-", at most 40 characters (Orloj's rule). */
export function runPrefix(schedule: string): string {
  return schedule.toLowerCase().replace(/[^a-z0-9]/g, '-').slice(0, 40).replace(/-+$/, '') || 'schedule';
}

function splitRef(ref: string, namespace: string): [string, string] {
  const i = ref.indexOf('/');
  return i < 0 ? [namespace, ref] : [ref.slice(0, i), ref.slice(i + 1)];
}

/** Template spec, labels and run namespace of a schedule, or the reason there is none. */
export async function resolveTemplate(registry: Registry, schedule: StoredObject): Promise<{ namespace: string; spec: Spec; labels: Record<string, string> } | string> {
  const s = schedule.spec;
  if (s.task_template && typeof s.task_template === 'object') {
    return { namespace: schedule.metadata.namespace, spec: structuredClone(s.task_template), labels: {} };
  }
  const [namespace, name] = splitRef(String(s.task_ref ?? ''), schedule.metadata.namespace);
  const template = await registry.findDecoded(registry.byPlural.get('tasks')!, namespace, name);
  if (!template) return `template task ${namespace}/${name} not found`;
  if (template.spec.mode !== 'template') return `task ${namespace}/${name} is not a template (spec.mode is ${template.spec.mode ?? 'run'}, needs template)`;
  return { namespace, spec: structuredClone(template.spec), labels: { ...(template.metadata.labels ?? {}) } };
}

/**
 * Creates the run task if no task has that name (apply with resourceVersion 0 is create-only, in
 * one transaction). Returns the task and whether it was created; a same-named task that this
 * schedule did not create is a name conflict.
 */
export async function createRun(registry: Registry, schedule: StoredObject, name: string, slotLabel: string): Promise<{ task: StoredObject; created: boolean } | string> {
  const tasks = registry.byPlural.get('tasks')!;
  const tpl = await resolveTemplate(registry, schedule);
  if (typeof tpl === 'string') return tpl;
  const labels = { ...tpl.labels, [SCHEDULE_LABEL]: schedule.metadata.name, [SCHEDULE_NS_LABEL]: schedule.metadata.namespace, [SLOT_LABEL]: slotLabel };
  const mine = (t: StoredObject) => t.metadata.labels?.[SCHEDULE_LABEL] === schedule.metadata.name && t.metadata.labels?.[SCHEDULE_NS_LABEL] === schedule.metadata.namespace;
  const existing = await registry.findDecoded(tasks, tpl.namespace, name);
  if (existing) return mine(existing) ? { task: existing, created: false } : `name conflict: task ${tpl.namespace}/${name} exists and was not created by this schedule`;
  const body = { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name, namespace: tpl.namespace, labels, resourceVersion: '0' }, spec: { ...tpl.spec, mode: 'run' } };
  try {
    const r = await registry.apply(tasks, body, { queryNamespace: tpl.namespace });
    return { task: r.object, created: r.created };
  } catch (e) {
    // Created in between by another writer: the same answer as finding it above.
    if (e instanceof Conflict) {
      const now = await registry.findDecoded(tasks, tpl.namespace, name);
      if (now && mine(now)) return { task: now, created: false };
    }
    throw e;
  }
}

/** Slot label value: label values cannot hold ":", so the UTC time is written compactly. */
export function slotLabel(slot: Date): string {
  return rfc3339(slot).replace(/[-:]/g, '');
}

/** POST /v1/task-schedules/{name}/trigger: a run now, named <schedule>-manual-<YYYYMMDD-HHMMSS>. */
export async function triggerSchedule(registry: Registry, events: EventPublisher, clock: Clock, namespace: string, name: string): Promise<StoredObject> {
  const def = registry.byPlural.get('task-schedules')!;
  const schedule = await registry.getDecoded(def, namespace, name);
  const now = clock.now();
  const tz = String(schedule.spec.time_zone ?? 'UTC');
  const runName = `${runPrefix(name)}-manual-${wallClock(now, tz).seconds}`;
  const r = await createRun(registry, schedule, runName, slotLabel(now));
  if (typeof r === 'string') throw new Conflict(`task schedule "${name}" cannot trigger: ${r}`, { kind: 'task-schedules', name });
  if (!r.created) throw new Conflict(`task "${runName}" already exists: one manual trigger per schedule per second`, { kind: 'task-schedules', name });
  await events.publish({ source: SCHEDULE_SOURCE, type: 'taskschedule.triggered', kind: 'TaskSchedule', name, namespace, message: `task schedule ${namespace}/${name} triggered by hand: created task ${runName}`, data: { task: runName, manual: true } });
  return await registry.get(registry.byPlural.get('tasks')!, r.task.metadata.namespace, runName);
}

