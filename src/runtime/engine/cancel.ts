// Cancelling a task (POST /v1/tasks/{name}/cancel): a version-checked status write to Failed with
// lastError "cancelled", its open messages dead-lettered, then the task.cancelled event.
import { ApiError, Conflict } from '../../errors';
import type { EventPublisher } from '../../events/publisher';
import type { Status, StoredObject } from '../../registry/kind';
import type { Registry } from '../../registry/registry';
import { rfc3339, type Clock } from '../../util/time';
import { pushHistory } from '../leases';
import { TERMINAL_MESSAGE_PHASES } from './types';

export const CANCELLED = 'cancelled';
const TERMINAL_TASK_PHASES = new Set(['Succeeded', 'Failed', 'DeadLetter']);
const ATTEMPTS = 5;

/** The status of a cancelled task, or a Conflict when the task cannot be cancelled. */
export function cancelledStatus(task: StoredObject, worker: string, now: Date): Status {
  const { name } = task.metadata;
  if (task.spec.mode === 'template') throw new Conflict(`task "${name}" is a template: template tasks never run, so there is nothing to cancel`, { kind: 'tasks', name });
  const s: Status = structuredClone(task.status ?? {});
  const phase = s.phase || 'Pending';
  if (TERMINAL_TASK_PHASES.has(phase)) throw new Conflict(`task "${name}" is already ${phase} and cannot be cancelled`, { kind: 'tasks', name });
  const at = rfc3339(now);
  s.phase = 'Failed';
  s.lastError = CANCELLED;
  s.completedAt = at;
  delete s.claimedBy;
  delete s.leaseUntil;
  delete s.leaseToken;
  delete s.nextAttemptAt;
  if (Array.isArray(s.messages)) {
    for (const m of s.messages) {
      if (typeof m !== 'object' || m === null || TERMINAL_MESSAGE_PHASES.has(m.phase)) continue;
      m.phase = 'DeadLetter';
      m.last_error = CANCELLED;
      // A dead letter is never retried, so it has no next attempt.
      delete m.next_attempt_at;
    }
  }
  pushHistory(s, CANCELLED, worker, `task cancelled by ${worker} while ${phase}`, now);
  return s;
}

/**
 * Cancels a Pending, Running or WaitingApproval task and returns it as stored (redacted). Retries
 * the write on concurrent changes, re-reading each time; NotFound when the task does not exist.
 */
export async function cancelTask(registry: Registry, events: EventPublisher, clock: Clock, namespace: string, name: string, by?: string): Promise<StoredObject> {
  const def = registry.byPlural.get('tasks')!;
  const worker = by ?? 'api';
  for (let attempt = 1; ; attempt++) {
    const task = await registry.getDecoded(def, namespace, name);
    const status = cancelledStatus(task, worker, clock.now());
    let written: StoredObject;
    try {
      written = await registry.replaceStatus(def, namespace, name, { status }, task.metadata.resourceVersion);
    } catch (e) {
      if (e instanceof ApiError && e.code === 409 && attempt < ATTEMPTS) continue;
      throw e;
    }
    await events.publish({
      source: 'api',
      type: 'task.cancelled',
      kind: 'Task',
      name,
      namespace,
      message: `task ${namespace}/${name} cancelled by ${worker}`,
      data: { phase: 'Failed', lastError: CANCELLED },
    });
    return written;
  }
}
