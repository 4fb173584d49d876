// Applies the drizzle-kit migrations embedded by db/pg/migrations/index.ts, each in its own
// transaction under a transaction-scoped advisory lock, recording what ran in __orrery_migrations
// (as the SQLite side does). Several servers starting at once on one database queue on the lock:
// each migration runs exactly once, and a failed one leaves nothing behind.
import type { SQL } from 'bun';
import { createHash } from 'node:crypto';
import { migrations as embedded } from '../../../db/pg/migrations';
import { PendingMigrationsError } from '../migrate';

export { PendingMigrationsError };

export interface PgMigration {
  tag: string;
  sql: string;
}

/**
 * The advisory lock key of schema changes (migrations and the optional vector column): the bytes
 * of "orrery" as a number. Transaction-scoped, so a crashed server never leaves it held.
 */
export const SCHEMA_LOCK_KEY = 0x6f7272657279;

const CREATE_TABLE =
  'CREATE TABLE IF NOT EXISTS __orrery_migrations (tag text PRIMARY KEY, hash text NOT NULL, applied_at text NOT NULL)';

/** A migration that failed; its transaction was rolled back. */
export class PgMigrationError extends Error {
  override readonly name = 'PgMigrationError';
  constructor(
    readonly tag: string,
    reason: string,
  ) {
    super(`migration ${tag} failed and was rolled back: ${reason}`);
  }
}

/** Runs `fn` in a transaction that first takes the schema lock (waiting for other holders). */
export function withSchemaLock<T>(sql: SQL, fn: (tx: SQL) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY}::bigint)`;
    return fn(tx);
  }) as Promise<T>;
}

/** Applies the migrations that are not yet recorded, in order; returns the tags it applied. */
export async function applyPgMigrations(sql: SQL, list: readonly PgMigration[] = embedded): Promise<string[]> {
  const ran: string[] = [];
  for (const m of list) {
    const applied = await withSchemaLock(sql, async (tx) => {
      await tx.unsafe(CREATE_TABLE);
      // Checked under the lock: another server may have applied it while we waited.
      const [done] = await tx`SELECT 1 AS one FROM __orrery_migrations WHERE tag = ${m.tag}`;
      if (done) return false;
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (!stmt.trim()) continue;
        try {
          await tx.unsafe(stmt);
        } catch (e) {
          throw new PgMigrationError(m.tag, e instanceof Error ? e.message : String(e));
        }
      }
      const hash = createHash('sha256').update(m.sql).digest('hex');
      await tx`INSERT INTO __orrery_migrations (tag, hash, applied_at) VALUES (${m.tag}, ${hash}, ${new Date().toISOString()})`;
      return true;
    });
    if (applied) ran.push(m.tag);
  }
  return ran;
}

/** The tags of `list` not yet applied to the database, in order (all of them on an empty database). */
export async function migrationsPending(sql: SQL, list: readonly PgMigration[] = embedded): Promise<string[]> {
  const [{ exists }] = await sql`SELECT to_regclass('__orrery_migrations') IS NOT NULL AS exists`;
  if (!exists) return list.map((m) => m.tag);
  const rows: { tag: string }[] = await sql`SELECT tag FROM __orrery_migrations`;
  const have = new Set(rows.map((r) => r.tag));
  return list.filter((m) => !have.has(m.tag)).map((m) => m.tag);
}

/** For a server started without migrating: throws PendingMigrationsError naming what is missing. */
export async function requireMigrated(sql: SQL, list: readonly PgMigration[] = embedded): Promise<void> {
  const pending = await migrationsPending(sql, list);
  if (pending.length > 0) throw new PendingMigrationsError(pending);
}
