// Wires the persistent pieces together — registry, change and event logs, feeds, the event
// publisher and the task journal — the same way for both composition roots (src/server.ts,
// src/cli/worker.ts) and tests. Nothing below the composition layer imports this file.
import { EventPublisher } from './events/publisher';
import { Registry } from './registry/registry';
import { kinds } from './resources';
import { ChangeLog } from './store/change-log';
import type { OpenDatabase } from './store/database';
import { EventLog } from './store/event-log';
import type { ObjectLogs } from './store/object-logs';
import type { ResourceStore } from './store/resource-store';
import type { SecretCipher } from './store/secret-cipher';
import { TaskJournalStore } from './store/task-journal';
import type { Clock } from './util/time';
import { DEFAULT_WATCH_CONFIG, WatchService, type WatchConfig } from './watch/service';

export interface Core {
  registry: Registry;
  changeLog: ChangeLog;
  eventLog: EventLog;
  watch: WatchService;
  events: EventPublisher;
  /** Step journals of running tasks; those of finished or deleted tasks are dropped. */
  journal: TaskJournalStore;
  stop(): void;
}

/**
 * One per process. Also registers the journal cleanup, exactly once: a serve process (with or
 * without its embedded worker) and a worker-only process both drop the journals of the tasks they
 * see end.
 */
export function createCore(opts: { handle: OpenDatabase; store: ResourceStore; cipher: SecretCipher; clock: Clock; watch?: Partial<WatchConfig> }): Core {
  const changeLog = new ChangeLog(opts.handle);
  const eventLog = new EventLog(opts.handle, opts.store);
  const registry = new Registry(kinds, opts.store, opts.cipher, opts.clock, eventLog);
  const watch = new WatchService({ store: opts.store, changeLog, eventLog, reader: registry }, { ...DEFAULT_WATCH_CONFIG, ...opts.watch });
  registry.onCommit((c) => {
    watch.changes.committed(c.revision, c.type, c.def, c.object);
    if (c.event) watch.events.published(c.event);
  });
  const events = new EventPublisher(eventLog, opts.clock, (e) => watch.events.published(e));
  const journal = new TaskJournalStore(opts.handle, opts.clock);
  dropJournalWhenDone(registry, journal);
  return { registry, changeLog, eventLog, watch, events, journal, stop: () => watch.stop() };
}

/** Drops the log lines of a Task or Agent when it is deleted, so a new object of the same name starts clean. */
export function dropLogsOnDelete(registry: Registry, logs: ObjectLogs): () => void {
  return registry.onCommit((c) => {
    if (c.type === 'deleted' && (c.def.kind === 'Task' || c.def.kind === 'Agent')) void logs.deleteOwner(c.def.kind, c.object.metadata.namespace, c.object.metadata.name);
  });
}

const FINISHED = new Set(['Succeeded', 'Failed', 'DeadLetter']);

/**
 * A task's step journal is only needed while it can still run: it goes when the task is deleted
 * or ends, whoever ended it (the engine, a cancel through the API).
 */
function dropJournalWhenDone(registry: Registry, journal: TaskJournalStore): () => void {
  return registry.onCommit((c) => {
    if (c.def.kind !== 'Task') return;
    if (c.type === 'deleted' || FINISHED.has(c.object.status?.phase)) void journal.drop(c.object.metadata.uid);
  });
}
