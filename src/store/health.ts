// Readiness of the store for GET /readyz: the database takes a write, and every embedded
// migration has run. The API sees named checks only, never the driver.
import { migrationsApplied } from './migrate';
import type { OpenDatabase } from './database';

/** Runs the checks on each call: named results, each "ok" or what is wrong. */
export function storeChecks(handle: OpenDatabase): () => Record<string, string> {
  const sqlite = handle.sqlite;
  return () => {
    const checks: Record<string, string> = {};
    try {
      sqlite.transaction(() => sqlite.query("INSERT OR REPLACE INTO meta (key, value) VALUES ('readyz', ?)").run(new Date().toISOString())).immediate();
      checks.database = 'ok';
    } catch (e) {
      checks.database = `not writable: ${(e as Error).message}`;
    }
    checks.migrations = migrationsApplied(sqlite) ? 'ok' : 'pending';
    return checks;
  };
}
