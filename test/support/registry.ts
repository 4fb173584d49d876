// Builds the real core (registry, logs, feeds) over an in-memory SQLite database, or over a fresh
// PostgreSQL database when the tests run on PostgreSQL (test/support/backend.ts).
import { createCore } from '../../src/core';
import type { SqliteBackend } from '../../src/store/sqlite-backend';
import { testBackend } from './backend';
import type { Clock } from '../../src/util/time';
import type { WatchConfig } from '../../src/watch/service';

export function testRegistry(clock: Clock = { now: () => new Date('2026-01-02T03:04:05Z') }, watch?: Partial<WatchConfig>) {
  const backend = testBackend();
  // SQLite only: tests that look inside the database file (they are not run on PostgreSQL).
  const { handle, store } = backend as SqliteBackend;
  const core = createCore({ backend, clock, watch });
  const registry = core.registry;
  const kind = (plural: string) => {
    const def = registry.byPlural.get(plural);
    if (!def) throw new Error(`no kind ${plural}`);
    return def;
  };
  return { registry, store, handle, backend, core, kind, close: () => (core.stop(), void backend.close()) };
}
