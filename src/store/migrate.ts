// Applies the drizzle-kit migrations embedded by db/migrations/index.ts, each in its own
// IMMEDIATE transaction, recording what ran so a restart applies only the new ones.
import type { Database } from 'bun:sqlite';
import { createHash } from 'node:crypto';
import { migrations } from '../../db/migrations';

export function applyMigrations(sqlite: Database): string[] {
  sqlite.exec(
    'CREATE TABLE IF NOT EXISTS __orrery_migrations (tag TEXT PRIMARY KEY, hash TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    sqlite.query<{ tag: string }, []>('SELECT tag FROM __orrery_migrations').all().map((r) => r.tag),
  );
  const ran: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.tag)) continue;
    const run = sqlite.transaction(() => {
      // Another process may have applied it between our read and the write lock.
      const again = sqlite.query('SELECT 1 FROM __orrery_migrations WHERE tag = ?').get(m.tag);
      if (again) return;
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (stmt.trim()) sqlite.exec(stmt);
      }
      sqlite
        .query('INSERT INTO __orrery_migrations (tag, hash, applied_at) VALUES (?, ?, ?)')
        .run(m.tag, createHash('sha256').update(m.sql).digest('hex'), new Date().toISOString());
      ran.push(m.tag);
    });
    run.immediate();
  }
  return ran;
}

/** Tags of the embedded migrations this database has not run yet. */
export function pendingMigrations(sqlite: Database): string[] {
  sqlite.exec('CREATE TABLE IF NOT EXISTS __orrery_migrations (tag TEXT PRIMARY KEY, hash TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const have = new Set(sqlite.query<{ tag: string }, []>('SELECT tag FROM __orrery_migrations').all().map((r) => r.tag));
  return migrations.filter((m) => !have.has(m.tag)).map((m) => m.tag);
}

export function migrationsApplied(sqlite: Database): boolean {
  const rows = sqlite.query<{ tag: string }, []>('SELECT tag FROM __orrery_migrations').all();
  const have = new Set(rows.map((r) => r.tag));
  return migrations.every((m) => have.has(m.tag));
}

/** A database behind this build, opened with migrations off (either backend). */
export class PendingMigrationsError extends Error {
  override readonly name = 'PendingMigrationsError';
  constructor(readonly pending: string[]) {
    super(
      `the database schema is behind this build of Orrery: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
        'Run `orrery migrate` (or start once with --migrate=true, the default) to apply them.',
    );
  }
}
