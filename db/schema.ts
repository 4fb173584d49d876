// Drizzle schema: one generic table for every kind, the change log whose newest row carries the
// global revision, and a small key/value table for store-wide settings.
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, uniqueIndex, primaryKey, index, blob } from 'drizzle-orm/sqlite-core';

export const resources = sqliteTable(
  'resources',
  {
    id: integer('id').primaryKey(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    uid: text('uid').notNull(),
    resourceVersion: integer('resource_version').notNull(),
    generation: integer('generation').notNull(),
    labels: text('labels').notNull().default('{}'),
    annotations: text('annotations').notNull().default('{}'),
    spec: text('spec').notNull(),
    status: text('status').notNull(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  // One index serves gets, keyset pages and namespace discovery; every extra index costs a page
  // write per commit.
  (t) => [
    uniqueIndex('resources_kind_ns_name').on(t.kind, t.namespace, t.name),
    // Task workers look for Pending and Running tasks only; without this they parse every stored
    // task's status to find them. Partial: other kinds' writes do not maintain it.
    index('resources_task_phase').on(sql`json_extract(${t.status}, '$.phase')`).where(sql`${t.kind} = 'Task'`),
    // Webhook deliveries find their TaskWebhook by the server-owned status.endpointID.
    index('resources_webhook_endpoint').on(sql`json_extract(${t.status}, '$.endpointID')`).where(sql`${t.kind} = 'TaskWebhook'`),
  ],
);

// The global revision is MAX(revision): retention must always keep the newest row.
export const changes = sqliteTable('changes', {
  revision: integer('revision').primaryKey(),
  kind: text('kind').notNull(),
  namespace: text('namespace').notNull(),
  name: text('name').notNull(),
  type: text('type', { enum: ['added', 'updated', 'deleted'] }).notNull(),
  object: text('object').notNull(),
  createdAt: text('created_at').notNull(),
});

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

// Events of the event stream (resource changes, controller and runtime events). The newest row's
// id is the next id's floor, so retention must always keep the newest row.
export const events = sqliteTable('events', {
  id: integer('id').primaryKey(),
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

// Native users. Passwords are argon2id hashes; usernames are stored lower-cased.
export const authUsers = sqliteTable('auth_users', {
  username: text('username').primaryKey(),
  role: text('role').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

// Login sessions, keyed by the SHA-256 of the session id (the id itself is never stored).
export const authSessions = sqliteTable('auth_sessions', {
  idHash: text('id_hash').primaryKey(),
  username: text('username').notNull(),
  expiresAt: integer('expires_at').notNull(),
  createdAt: text('created_at').notNull(),
});

// API tokens created through /v1/tokens, keyed by name, stored as SHA-256 of the token.
export const apiTokens = sqliteTable('api_tokens', {
  name: text('name').primaryKey(),
  role: text('role').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: text('created_at').notNull(),
  /** The user a token was issued to (cli-token); empty for tokens an admin created. Deleting
   *  the user or changing their password revokes their tokens. */
  owner: text('owner').notNull().default(''),
});

// Write-once results of completed model and tool calls, keyed by task uid and a step key
// (message, message attempt, step, call). A worker that resumes a task after a crash or a lease
// takeover replays these instead of calling the model or tool again. Rows go when the task ends.
export const taskJournal = sqliteTable(
  'task_journal',
  {
    taskUid: text('task_uid').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskUid, t.key] })],
);

// Log lines of tasks and agents (GET /v1/tasks/{name}/logs, /v1/agents/{name}/logs), newest kept.
export const objectLogs = sqliteTable(
  'object_logs',
  {
    id: integer('id').primaryKey(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    line: text('line').notNull(),
  },
  (t) => [index('object_logs_owner').on(t.kind, t.namespace, t.name, t.id)],
);

// Event ids a TaskWebhook endpoint has accepted, with the run task each created, until expiresAt
// (the dedupe window). Written in the same transaction as the run task, so a delivery accepted
// before a crash is still a duplicate after it. Expired rows are pruned.
export const webhookDedupe = sqliteTable(
  'webhook_dedupe',
  {
    endpointId: text('endpoint_id').notNull(),
    eventId: text('event_id').notNull(),
    taskNamespace: text('task_namespace').notNull(),
    taskName: text('task_name').notNull(),
    /** Unix milliseconds. */
    expiresAt: integer('expires_at').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.eventId] }), index('webhook_dedupe_expires').on(t.expiresAt)],
);

// Entries of Memory resources on the sqlite provider (the default), unique by the Memory's
// namespace and name and the entry key. `embedding` holds a little-endian Float32 vector when the
// Memory names an embedding_model. The FTS5 index over key and value (memory_entries_fts) points
// at `id` and is kept by triggers written by hand in the migration (drizzle-kit cannot express
// virtual tables); `id` is a declared INTEGER PRIMARY KEY because VACUUM may renumber an implicit
// rowid, which would leave the index pointing at the wrong rows.
export const memoryEntries = sqliteTable(
  'memory_entries',
  {
    id: integer('id').primaryKey(),
    namespace: text('namespace').notNull(),
    memory: text('memory').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    embedding: blob('embedding', { mode: 'buffer' }),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [uniqueIndex('memory_entries_key').on(t.namespace, t.memory, t.key)],
);

// A Task's records (status.messages, trace, history, message_idempotency), kept outside the Task
// row so that a hop appends its rows and rewrites only a small summary: a hop's cost no longer
// grows with the trace. `seq` orders a record stream; messages are also found by `key` (their
// message_id) to update their phase. Rows go with the task (same transaction as its delete).
export const taskRecords = sqliteTable(
  'task_records',
  {
    field: text('field').notNull(),
    taskUid: text('task_uid').notNull(),
    seq: integer('seq').notNull(),
    key: text('key').notNull().default(''),
    body: text('body').notNull(),
  },
  // WITHOUT ROWID (in the migration), ordered by stream then task: see src/store/task-records.ts.
  (t) => [primaryKey({ columns: [t.field, t.taskUid, t.seq] }), index('task_records_key').on(t.field, t.taskUid, t.key).where(sql`${t.key} <> ''`)],
);
