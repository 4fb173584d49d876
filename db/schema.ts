// Drizzle schema: one generic table for every kind, the change log carrying the global revision,
// and a small key/value table for the revision counter and other store-wide settings.
import { sqliteTable, text, integer, uniqueIndex, index } from 'drizzle-orm/sqlite-core';

export const resources = sqliteTable(
  'resources',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
  (t) => [
    uniqueIndex('resources_kind_ns_name').on(t.kind, t.namespace, t.name),
    index('resources_ns').on(t.namespace),
  ],
);

export const changes = sqliteTable(
  'changes',
  {
    revision: integer('revision').primaryKey(),
    kind: text('kind').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    type: text('type', { enum: ['added', 'updated', 'deleted'] }).notNull(),
    object: text('object').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [index('changes_kind_rev').on(t.kind, t.revision)],
);

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
