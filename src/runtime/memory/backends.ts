// The memory backends of one process: a registry of providers (sqlite, in-memory, http, pgvector)
// and a cache of built backends per Memory, built on first use from the Memory's current spec and
// rebuilt when its uid or generation changes. Everything it reads from other resources (the
// embedding ModelEndpoint, Secrets) comes through injected lookups, so it knows no engine.
import type { Logger } from '../../log';
import type { Clock } from '../../util/time';
import type { EgressOptions } from '../egress';
import type { EndpointConfig } from '../models/types';
import { createEmbedder, type Embedder } from './embeddings';
import { httpBackend } from './http';
import { inMemoryBackend } from './in-memory';
import { pgvectorRefusal } from './pgvector';
import { sqliteBackend } from './sqlite';
import { MemoryError, type MemoryBackend, type MemoryBackends, type MemoryObject } from './types';
import type { MemoryEntries } from '../../store/backend';

/** The provider used when spec.provider is empty. */
export const DEFAULT_MEMORY_PROVIDER = 'sqlite';
/** Per request to an http adapter or an embeddings API. */
export const DEFAULT_MEMORY_TIMEOUT_MS = 30_000;

/** What a provider gets to build the backend of one Memory. */
export interface MemoryProviderContext {
  namespace: string;
  name: string;
  spec: Record<string, any>;
  /** The vectors of spec.embedding_model, when it is set. */
  embedder?: Embedder;
  /** A Secret's value by `[ns/]name[:key]` in the Memory's namespace (or ORLOJ_SECRET_<NAME>). */
  secret(ref: string): Promise<string | undefined>;
}

export interface MemoryProvider {
  name: string;
  aliases?: string[];
  create(ctx: MemoryProviderContext): MemoryBackend | Promise<MemoryBackend>;
}

export interface MemoryBackendsOptions {
  /** The sqlite provider's entries (the server's database). */
  entries: MemoryEntries;
  /** The ModelEndpoint a ref names, with its API key resolved (undefined when it does not exist). */
  endpoint(namespace: string, ref: string): EndpointConfig | undefined | Promise<EndpointConfig | undefined>;
  /** A secretRef's value (Secret first, then ORLOJ_SECRET_<NAME>); undefined when unresolvable. */
  secret(namespace: string, ref: string): string | undefined | Promise<string | undefined>;
  clock: Clock;
  log: Logger;
  egress?: Omit<EgressOptions, 'allowPrivate'>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Extra providers (replacing built-ins of the same name). */
  providers?: MemoryProvider[];
}

function builtinProviders(o: MemoryBackendsOptions): MemoryProvider[] {
  const fetchFn = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? DEFAULT_MEMORY_TIMEOUT_MS;
  return [
    { name: 'sqlite', create: (c) => sqliteBackend({ entries: o.entries, namespace: c.namespace, name: c.name, clock: o.clock, embedder: c.embedder }) },
    { name: 'in-memory', aliases: ['memory', 'inmemory', 'in_memory'], create: () => inMemoryBackend() },
    {
      name: 'http',
      create: async (c) => {
        const endpoint = c.spec.endpoint ?? (c.spec.endpoint_secret_ref ? await c.secret(c.spec.endpoint_secret_ref) : undefined);
        if (!endpoint) {
          const field = c.spec.endpoint_secret_ref ? 'spec.endpoint_secret_ref' : 'spec.endpoint';
          const why = c.spec.endpoint_secret_ref ? `Secret ${c.spec.endpoint_secret_ref} was not found or has no value` : 'is required when provider is http';
          throw new MemoryError(`${field}: ${why}`, false, field);
        }
        if (!/^https?:\/\/[^/]/i.test(endpoint)) throw new MemoryError('spec.endpoint: must be an http(s) URL', false, 'spec.endpoint');
        const ref = c.spec.auth?.secretRef;
        const token = ref ? await c.secret(ref) : undefined;
        if (ref && !token) throw new MemoryError(`spec.auth.secretRef: Secret ${ref} was not found or has no value`, true, 'spec.auth.secretRef');
        return httpBackend({ endpoint, token, timeoutMs, egress: o.egress ?? {}, fetch: fetchFn });
      },
    },
    {
      name: 'pgvector',
      create: (c) => {
        throw pgvectorRefusal(c.namespace, c.name);
      },
    },
  ];
}

interface Built {
  uid?: string;
  generation?: number;
  backend: Promise<MemoryBackend>;
}

export function createMemoryBackends(o: MemoryBackendsOptions): MemoryBackends & { providerNames(): string[] } {
  const byName = new Map<string, MemoryProvider>();
  for (const p of [...builtinProviders(o), ...(o.providers ?? [])]) for (const n of [p.name, ...(p.aliases ?? [])]) byName.set(n, p);
  const built = new Map<string, Built>();

  const build = async (memory: MemoryObject): Promise<MemoryBackend> => {
    const namespace = memory.metadata.namespace ?? 'default';
    const name = memory.metadata.name;
    const spec = memory.spec ?? {};
    const providerName = String(spec.provider || DEFAULT_MEMORY_PROVIDER).toLowerCase();
    const provider = byName.get(providerName);
    if (!provider) {
      throw new MemoryError(`spec.provider: unknown memory provider "${providerName}"; this server has ${[...new Set([...byName.values()].map((p) => p.name))].join(', ')}`, false, 'spec.provider');
    }
    let embedder: Embedder | undefined;
    if (spec.embedding_model && provider.name !== 'pgvector') {
      const endpoint = await o.endpoint(namespace, spec.embedding_model);
      if (!endpoint) throw new MemoryError(`spec.embedding_model: ModelEndpoint ${spec.embedding_model} not found in namespace ${namespace}`, true, 'spec.embedding_model');
      embedder = createEmbedder(endpoint, { fetch: o.fetch ?? fetch, clock: o.clock, egress: o.egress ?? {}, timeoutMs: o.timeoutMs ?? DEFAULT_MEMORY_TIMEOUT_MS });
    }
    return await provider.create({ namespace, name, spec, embedder, secret: async (ref) => await o.secret(namespace, ref) });
  };

  const drop = (key: string) => {
    const b = built.get(key);
    built.delete(key);
    void b?.backend.then((x) => x.close?.()).catch(() => {});
  };

  return {
    async backendFor(memory) {
      const key = `${memory.metadata.namespace ?? 'default'}/${memory.metadata.name}`;
      const have = built.get(key);
      if (have && have.uid === memory.metadata.uid && have.generation === memory.metadata.generation) return have.backend;
      if (have) drop(key);
      const entry: Built = { uid: memory.metadata.uid, generation: memory.metadata.generation, backend: build(memory) };
      built.set(key, entry);
      // A failed build is not kept: the next call tries again (a Secret or endpoint may appear).
      void entry.backend.catch(() => {
        if (built.get(key) === entry) built.delete(key);
      });
      return entry.backend;
    },
    async forget(namespace, name) {
      drop(`${namespace}/${name}`);
      const n = await o.entries.deleteAll(namespace, name);
      if (n) o.log.info('memory entries deleted with their Memory', { memory: `${namespace}/${name}`, entries: n });
    },
    close() {
      for (const key of [...built.keys()]) drop(key);
    },
    providerNames: () => [...new Set([...byName.values()].map((p) => p.name))],
  };
}
