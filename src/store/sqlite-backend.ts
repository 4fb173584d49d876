// The SQLite backend: one database file in a data directory, shared by the processes of one
// machine (a server and its worker processes). Every part answers through src/store/backend.ts.
import { ChangeLog } from './change-log';
import type { StoreBackend } from './backend';
import type { OpenDatabase } from './database';
import { EventLog } from './event-log';
import { storeChecks } from './health';
import { LeaderLease } from './leader-lease';
import { MemoryEntryStore } from './memory-entries';
import { MetaStore } from './meta';
import { ObjectLogs } from './object-logs';
import { ResourceStore } from './resource-store';
import type { SecretCipher } from './secret-cipher';
import { TaskJournalStore } from './task-journal';
import { TaskRecordStore } from './task-records';
import { WebhookDedupeStore } from './webhook-dedupe';

export interface SqliteBackend extends StoreBackend {
  readonly dialect: 'sqlite';
  /** The open database: for what only SQLite has (checkpoints, the disk, its own file). */
  readonly handle: OpenDatabase;
  readonly store: ResourceStore;
}

export function sqliteBackend(handle: OpenDatabase, cipher: SecretCipher, keySource = 'a random key'): SqliteBackend {
  const store = new ResourceStore(handle);
  const events = new EventLog(handle, store);
  const checks = storeChecks(handle);
  return {
    dialect: 'sqlite',
    location: handle.path,
    handle,
    store,
    cipher,
    keySource,
    resources: store,
    changes: new ChangeLog(handle),
    events,
    meta: new MetaStore(handle),
    checks: async () => checks(),
    records: (streams) => new TaskRecordStore(handle, streams),
    journal: (clock) => new TaskJournalStore(handle, clock),
    logs: (clock) => new ObjectLogs(handle, clock),
    dedupe: () => new WebhookDedupeStore(handle),
    memory: () => new MemoryEntryStore(handle),
    lease: (name, holder, ttlMs, clock) => new LeaderLease(handle.sqlite, name, holder, ttlMs, clock),
    close: async () => handle.close(),
  };
}
