// Readiness of the store for GET /readyz: the database takes a write (and its disk is not full),
// and every embedded migration has run. The API sees named checks only, never the driver.
import { migrationsApplied } from './migrate';
import type { OpenDatabase } from './database';

/** Runs the checks on each call: named results, each "ok" or what is wrong. */
export function storeChecks(handle: OpenDatabase): () => Record<string, string> {
  const sqlite = handle.sqlite;
  return () => {
    const checks: Record<string, string> = {};
    checks.database = databaseWritable(handle);
    if (handle.disk.isFull) checks.database = `not writable: the data directory ${handle.disk.dataDir} is full`;
    checks.migrations = migrationsApplied(sqlite) ? 'ok' : 'pending';
    return checks;
  };
}

/**
 * A small probe row can fit where real writes do not, so a full disk stays "not writable" until a
 * recheck finds room again (which is also how readiness comes back without a restart).
 */
function databaseWritable(handle: OpenDatabase): string {
  if (!handle.disk.recheck()) return 'not writable';
  const sqlite = handle.sqlite;
  try {
    sqlite.transaction(() => sqlite.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('readyz', ?)").run(new Date().toISOString())).immediate();
    return 'ok';
  } catch (e) {
    return `not writable: ${(e as Error).message}`;
  }
}
