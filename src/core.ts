// Wires the persistent pieces together — registry, change and event logs, feeds, the event
// publisher and the task journal — the same way for both composition roots (src/server.ts,
// src/cli/worker.ts) and tests. Nothing below the composition layer imports this file.
import { EventPublisher } from './events/publisher';
import { Registry } from './registry/registry';
import { kinds } from './resources';
import type { Clock } from './util/time';
import { DEFAULT_WATCH_CONFIG, WatchService, type WatchConfig } from './watch/service';
import type { Changes, Events, Journal, Logs, StoreBackend } from './store/backend';

export interface Core {
  registry: Registry;
  changeLog: Changes;
  eventLog: Events;
  watch: WatchService;
  events: EventPublisher;
  /** Step journals of running tasks; those of finished or deleted tasks are dropped. */
  journal: Journal;
  stop(): void;
}

/**
 * One per process. Also registers the journal cleanup, exactly once: a serve process (with or
 * without its embedded worker) and a worker-only process both drop the journals of the tasks they
 * see end.
 */
export function createCore(opts: { backend: StoreBackend; clock: Clock; watch?: Partial<WatchConfig> }): Core {
  const { backend } = opts;
  const changeLog = backend.changes;
  const eventLog = backend.events;
  const registry = new Registry(kinds, backend, opts.clock);
  const watch = new WatchService({ store: backend.resources, changeLog, eventLog, reader: registry }, { ...DEFAULT_WATCH_CONFIG, ...opts.watch });
  registry.onCommit((c) => {
    watch.changes.committed(c.revision, c.type, c.def, c.object);
    if (c.event) watch.events.published(c.event);
  });
  const events = new EventPublisher(eventLog, opts.clock, (e) => watch.events.published(e));
  const journal = backend.journal(opts.clock);
  dropJournalWhenDone(registry, journal);
  return { registry, changeLog, eventLog, watch, events, journal, stop: () => watch.stop() };
}

/** Drops the log lines of a Task or Agent when it is deleted, so a new object of the same name starts clean. */
export function dropLogsOnDelete(registry: Registry, logs: Logs): () => void {
  return registry.onCommit((c) => {
    if (c.type === 'deleted' && (c.def.kind === 'Task' || c.def.kind === 'Agent')) void logs.deleteOwner(c.def.kind, c.object.metadata.namespace, c.object.metadata.name);
  });
}

const FINISHED = new Set(['Succeeded', 'Failed', 'DeadLetter']);

/**
 * A task's step journal is only needed while it can still run: it goes when the task is deleted
 * or ends, whoever ended it (the engine, a cancel through the API).
 */
function dropJournalWhenDone(registry: Registry, journal: Journal): () => void {
  return registry.onCommit((c) => {
    if (c.def.kind !== 'Task') return;
    if (c.type === 'deleted' || FINISHED.has(c.object.status?.phase)) void journal.drop(c.object.metadata.uid);
  });
}
