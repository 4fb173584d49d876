// The memory backends of one process (`orrery serve` or `orrery worker`): the sqlite provider on
// the process's open database, ModelEndpoints and Secrets looked up through the registry, and the
// process's egress rule. The engine, the entries API and the Memory controller share the instance.
import type { Logger } from '../log';
import type { Registry } from '../registry/registry';
import { createMemoryBackends } from '../runtime/memory/backends';
import { Resolver } from '../runtime/engine/resolve';
import type { MemoryEntries } from '../store/backend';
import type { Clock } from '../util/time';

export interface ProcessMemoryOptions {
  /** The backend's memory entries (the sqlite provider's storage, whichever database it is). */
  entries: MemoryEntries;
  registry: Registry;
  clock: Clock;
  log: Logger;
  /** --egress-private: whether loopback and private addresses may be contacted. */
  egressPrivate?: 'allow' | 'deny';
  /** Where ORLOJ_SECRET_<NAME> fallbacks are read. */
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

export function processMemoryBackends(o: ProcessMemoryOptions) {
  const resolver = new Resolver(o.registry, o.env);
  const entries = o.entries;
  const backends = createMemoryBackends({
    entries,
    endpoint: (namespace, ref) => resolver.endpointConfig(namespace, ref),
    secret: (namespace, ref) => resolver.apiKey(namespace, ref),
    clock: o.clock,
    log: o.log,
    egress: { privateAddresses: o.egressPrivate ?? 'allow' },
    fetch: o.fetch,
  });
  /** The Memories that have entries in the database (the Memory controller's start-up sweep). */
  return Object.assign(backends, { storedScopes: () => entries.scopes() });
}
