// The store as the rest of the server sees it: one backend (SQLite in a data directory, or
// PostgreSQL shared by several servers) behind the same asynchronous calls. Each part's surface is
// the SQLite class's; the PostgreSQL classes in src/store/pg/ implement the same, and the contract
// tests in test/store/ run the same assertions against both. Nothing outside src/store/ touches a
// driver.
import type { Clock } from '../util/time';
import type { ChangeLog } from './change-log';
import type { EventLog } from './event-log';
import type { LeaderLease } from './leader-lease';
import type { MetaStore } from './meta';
import type { MemoryEntryStore } from './memory-entries';
import type { ObjectLogs } from './object-logs';
import type { PgMemoryEntryStore } from './pg/memory-entries';
import type { ResourceStore } from './resource-store';
import type { SecretCipher } from './secret-cipher';
import type { TaskJournalStore } from './task-journal';
import type { TaskRecordStore } from './task-records';
import type { WebhookDedupeStore } from './webhook-dedupe';

/** Rows, revisions, the change log's writes and the unit of work. */
export type Resources = Pick<
  ResourceStore,
  'write' | 'read' | 'get' | 'list' | 'listByPhase' | 'currentRevision' | 'insert' | 'update' | 'delete' | 'snapshotIndex' | 'rowsByIds' | 'namespaces' | 'countByKind' | 'countByPhase'
>;
export type Changes = Pick<ChangeLog, 'lastRevision' | 'firstRevision' | 'rowsWithin' | 'readAfter' | 'trim'>;
export type Events = Pick<EventLog, 'lastId' | 'firstId' | 'append' | 'commit' | 'readAfter' | 'trim'>;
export type Records = Pick<TaskRecordStore, 'load' | 'apply' | 'drop'>;
export type Journal = Pick<TaskJournalStore, 'get' | 'putIfAbsent' | 'count' | 'drop'>;
export type Logs = Pick<ObjectLogs, 'append' | 'read' | 'stored' | 'deleteOwner'>;
export type Dedupe = Pick<WebhookDedupeStore, 'findEndpoint' | 'get' | 'put' | 'prune'>;
/** `nearest`: vector similarity in the database (PostgreSQL with pgvector); without it, scan withEmbeddings. */
export type MemoryEntries = Pick<MemoryEntryStore, 'put' | 'get' | 'list' | 'search' | 'withEmbeddings' | 'delete' | 'deleteAll' | 'count' | 'scopes'> &
  Partial<Pick<PgMemoryEntryStore, 'nearest'>>;
export type Lease = Pick<LeaderLease, 'holder' | 'ttlMs' | 'current' | 'acquire' | 'release'>;
export type Meta = Pick<MetaStore, 'get' | 'putIfAbsent'>;

export interface StoreBackend {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the data lives, for logs: the data directory, or the database URL without its password. */
  readonly location: string;
  readonly cipher: SecretCipher;
  /** Where the secret key came from (environment or key file), for the start-up log. */
  readonly keySource: string;
  readonly resources: Resources;
  readonly changes: Changes;
  readonly events: Events;
  readonly meta: Meta;
  /** Readiness of the store for GET /readyz: named checks, each "ok" or what is wrong. */
  checks(): Promise<Record<string, string>>;
  records(streams: Readonly<Record<string, string>>): Records;
  journal(clock: Clock): Journal;
  logs(clock: Clock): Logs;
  dedupe(): Dedupe;
  memory(): MemoryEntries;
  lease(name: string, holder: string, ttlMs: number, clock: Clock): Lease;
  close(): Promise<void>;
}
