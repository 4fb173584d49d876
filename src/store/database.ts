// Opens the SQLite database (WAL, synchronous=NORMAL, busy_timeout, foreign keys) through
// drizzle-orm over bun:sqlite and applies the embedded migrations.
import { Database } from 'bun:sqlite';
import { dirname } from 'node:path';
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite';
import * as schema from '../../db/schema';
import { DiskSpace } from './disk-space';
import { guardConnection } from './guarded-connection';
import { applyMigrations, pendingMigrations, PendingMigrationsError } from './migrate';

export type Db = BunSQLiteDatabase<typeof schema>;

export interface OpenDatabase {
  sqlite: Database;
  db: Db;
  path: string;
  /** The disk under the data directory: full or not, the reserve file (src/store/disk-space.ts). */
  disk: DiskSpace;
  close(): void;
}

/**
 * `migrate: false` refuses to open a database that has migrations pending (they are run by
 * `orrery migrate`) instead of applying them.
 */
export function openDatabase(path: string, opts: { migrate?: boolean } = {}): OpenDatabase {
  const sqlite = new Database(path, { create: true, strict: true });
  const disk = new DiskSpace(path === ':memory:' ? undefined : dirname(path), sqlite);
  // One translation for every driver error: a full disk leaves the store as InsufficientStorage.
  guardConnection(sqlite, (e) => disk.translate(e));
  sqlite.exec('PRAGMA busy_timeout = 5000');
  // Only takes effect on a new database: pages freed by deletes can then be handed back to the
  // file system when the disk is full (DiskSpace.recheck); older databases reuse them in place.
  sqlite.exec('PRAGMA auto_vacuum = INCREMENTAL');
  if (path !== ':memory:') sqlite.exec('PRAGMA journal_mode = WAL');
  sqlite.exec('PRAGMA synchronous = NORMAL');
  sqlite.exec('PRAGMA foreign_keys = ON');
  // Measured in scripts/bench: the default 2 MiB page cache misses once a few thousand objects
  // exist. A WAL left over 64 MiB after a checkpoint is truncated back.
  sqlite.exec('PRAGMA cache_size = -65536');
  sqlite.exec('PRAGMA temp_store = MEMORY');
  sqlite.exec('PRAGMA mmap_size = 268435456');
  sqlite.exec('PRAGMA journal_size_limit = 67108864');
  if (opts.migrate === false) {
    const pending = pendingMigrations(sqlite);
    if (pending.length) {
      sqlite.close();
      throw new PendingMigrationsError(pending);
    }
  } else applyMigrations(sqlite);
  // Test hook: caps the database at N pages, so SQLite itself answers SQLITE_FULL without a full disk.
  const maxPages = Number(process.env.ORRERY_TEST_MAX_DB_PAGES);
  if (maxPages > 0) sqlite.query(`PRAGMA max_page_count = ${Math.floor(maxPages)}`).get();
  const db = drizzle(sqlite, { schema });
  return {
    sqlite,
    db,
    path,
    disk,
    close() {
      // Fold the WAL back into the main file so a stopped server leaves one tidy database file.
      if (path !== ':memory:') {
        try {
          sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        } catch {
          // another process may hold the database; its own close will checkpoint
        }
      }
      sqlite.close();
    },
  };
}

/** Rows changed by the connection's last statement. */
export function deletedRows(handle: OpenDatabase): number {
  return Number(handle.sqlite.query<{ n: number }, []>('SELECT changes() AS n').get()!.n);
}
