// Builds the real core (registry, logs, feeds) over an in-memory SQLite database.
import { createCore } from '../../src/core';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { SecretCipher } from '../../src/store/secret-cipher';
import type { Clock } from '../../src/util/time';
import type { WatchConfig } from '../../src/watch/service';

export function testRegistry(clock: Clock = { now: () => new Date('2026-01-02T03:04:05Z') }, watch?: Partial<WatchConfig>) {
  const handle = openDatabase(':memory:');
  const store = new ResourceStore(handle);
  const core = createCore({ handle, store, cipher: SecretCipher.random(), clock, watch });
  const registry = core.registry;
  const kind = (plural: string) => {
    const def = registry.byPlural.get(plural);
    if (!def) throw new Error(`no kind ${plural}`);
    return def;
  };
  return { registry, store, handle, core, kind, close: () => (core.stop(), handle.close()) };
}
