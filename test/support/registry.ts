// Builds a real Registry over an in-memory SQLite database for kind and registry tests.
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { SecretCipher } from '../../src/store/secret-cipher';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import type { Clock } from '../../src/util/time';

export function testRegistry(clock: Clock = { now: () => new Date('2026-01-02T03:04:05Z') }) {
  const handle = openDatabase(':memory:');
  const store = new ResourceStore(handle);
  const registry = new Registry(kinds, store, SecretCipher.random(), clock);
  const kind = (plural: string) => {
    const def = registry.byPlural.get(plural);
    if (!def) throw new Error(`no kind ${plural}`);
    return def;
  };
  return { registry, store, handle, kind, close: () => handle.close() };
}
