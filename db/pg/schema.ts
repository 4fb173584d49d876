// Drizzle schema of the PostgreSQL backend: the tables of db/schema.ts with the same names and
// column names (rows decode with the same codecs: JSON stays text, times stay ISO text), plus the
// one-row revision counter that PostgreSQL writers allocate the global revision from.
// Generate migrations with `npm run db:generate` (drizzle.pg.config.ts → db/pg/migrations).
import { sql } from 'drizzle-orm';
import {
  pgTable,
  text,
  integer,
  bigint,
  smallint,
  uniqueIndex,
  primaryKey,
  index,
  customType,
  check,
} from 'drizzle-orm/pg-core';

/** Raw bytes; Bun's SQL driver reads bytea as a Buffer. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });
/** A full-text document, only ever written by PostgreSQL itself (a generated column). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** Revisions, ids and Unix-millisecond times outgrow int4; JavaScript numbers hold them exactly up to 2^53. */
const big = (name: string) => bigint(name, { mode: 'number' });

export const resources = pgTable(
  'resources',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    uid: text('uid').notNull(),
    resourceVersion: big('resource_version').notNull(),
    generation: big('generation').notNull(),
    labels: text('labels').notNull().default('{}'),
    annotations: text('annotations').notNull().default('{}'),
    spec: text('spec').notNull(),
    status: text('status').notNull(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  // The same three indexes as SQLite. JSON is stored as text, so the partial indexes are on the
  // jsonb cast: queries must use exactly `(status::jsonb ->> 'phase')` to be served by them.
  (t) => [
    uniqueIndex('resources_kind_ns_name').on(t.kind, t.namespace, t.name),
    index('resources_task_phase').on(sql`(${t.status}::jsonb ->> 'phase')`).where(sql`${t.kind} = 'Task'`),
    index('resources_webhook_endpoint').on(sql`(${t.status}::jsonb ->> 'endpointID')`).where(sql`${t.kind} = 'TaskWebhook'`),
  ],
);

// Revisions come from revision_counter, not from MAX(revision): the counter row lock orders
// concurrent writers, so commit order is revision order even with several servers.
export const changes = pgTable('changes', {
  revision: big('revision').primaryKey(),
  kind: text('kind').notNull(),
  namespace: text('namespace').notNull(),
  name: text('name').notNull(),
  type: text('type', { enum: ['added', 'updated', 'deleted'] }).notNull(),
  object: text('object').notNull(),
  createdAt: text('created_at').notNull(),
});

// Two rows, seeded by the migration: id 1 the global revision, id 2 the event id. Writers run
// `UPDATE revision_counter SET value = value + 1 WHERE id = … RETURNING value` inside their
// transaction, always row 1 before row 2 (src/store/pg/event-log.ts), so they never deadlock.
export const revisionCounter = pgTable(
  'revision_counter',
  {
    id: smallint('id').primaryKey(),
    value: big('value').notNull(),
  },
  (t) => [check('revision_counter_rows', sql`${t.id} IN (1, 2)`)],
);

export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

// Identity by default: a writer may still give ids itself, as the SQLite event log does.
export const events = pgTable('events', {
  id: big('id').primaryKey().generatedByDefaultAsIdentity(),
  timestamp: text('timestamp').notNull(),
  source: text('source').notNull(),
  type: text('type').notNull(),
  kind: text('kind').notNull().default(''),
  name: text('name').notNull().default(''),
  namespace: text('namespace').notNull().default(''),
  action: text('action').notNull().default(''),
  message: text('message').notNull().default(''),
  data: text('data'),
});

export const authUsers = pgTable('auth_users', {
  username: text('username').primaryKey(),
  role: text('role').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

export const authSessions = pgTable('auth_sessions', {
  idHash: text('id_hash').primaryKey(),
  username: text('username').notNull(),
  /** Unix milliseconds. */
  expiresAt: big('expires_at').notNull(),
  createdAt: text('created_at').notNull(),
});

export const apiTokens = pgTable('api_tokens', {
  name: text('name').primaryKey(),
  role: text('role').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: text('created_at').notNull(),
  owner: text('owner').notNull().default(''),
});

export const taskJournal = pgTable(
  'task_journal',
  {
    taskUid: text('task_uid').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskUid, t.key] })],
);

export const objectLogs = pgTable(
  'object_logs',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    line: text('line').notNull(),
  },
  (t) => [index('object_logs_owner').on(t.kind, t.namespace, t.name, t.id)],
);

export const webhookDedupe = pgTable(
  'webhook_dedupe',
  {
    endpointId: text('endpoint_id').notNull(),
    eventId: text('event_id').notNull(),
    taskNamespace: text('task_namespace').notNull(),
    taskName: text('task_name').notNull(),
    /** Unix milliseconds. */
    expiresAt: big('expires_at').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.eventId] }), index('webhook_dedupe_expires').on(t.expiresAt)],
);

// `search` is the keyword index's document (the first 256 K characters of key and value: a
// tsvector holds at most 1 MiB, which a 1 MiB value of distinct words would overflow): the 'simple' configuration lower-cases words and
// keeps every one (no stemming, no stop words), close to SQLite's unicode61 tokenizer. Generated,
// so an upsert updates it in the same statement. Match with
// `search @@ to_tsquery('simple', …)` and rank with ts_rank(search, …). The optional pgvector
// column `embedding_vector` is added at run time by src/store/pg/vector.ts, not here.
export const memoryEntries = pgTable(
  'memory_entries',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    namespace: text('namespace').notNull(),
    memory: text('memory').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    embedding: bytea('embedding'),
    updatedAt: text('updated_at').notNull(),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(sql`to_tsvector('simple'::regconfig, left("key" || ' ' || "value", 262144))`),
  },
  (t) => [
    uniqueIndex('memory_entries_key').on(t.namespace, t.memory, t.key),
    index('memory_entries_search').using('gin', t.search),
  ],
);

export const taskRecords = pgTable(
  'task_records',
  {
    field: text('field').notNull(),
    taskUid: text('task_uid').notNull(),
    seq: integer('seq').notNull(),
    key: text('key').notNull().default(''),
    body: text('body').notNull(),
  },
  (t) => [primaryKey({ columns: [t.field, t.taskUid, t.seq] }), index('task_records_key').on(t.field, t.taskUid, t.key).where(sql`${t.key} <> ''`)],
);
