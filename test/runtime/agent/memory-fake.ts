// A small MemoryBackends for tests of the memory tools: one Map-backed backend per Memory, counting
// puts per key, with a switch that makes the next calls fail with a chosen MemoryError.
import { MemoryError, type MemoryBackend, type MemoryBackends, type MemoryEntry, type MemoryObject } from '../../../src/runtime/memory/types';

export interface FakeMemory extends MemoryBackends {
  /** Entries of the Memory `namespace/name`. */
  data(ref: string): Map<string, string>;
  /** Every put, as `namespace/name:key`, in order. */
  puts: string[];
  /** Memories backendFor was asked for, as `namespace/name`. */
  asked: string[];
  /** While set, every backend call rejects with it. */
  failWith?: MemoryError;
}

export function fakeMemory(): FakeMemory {
  const stores = new Map<string, Map<string, string>>();
  const data = (ref: string) => {
    if (!stores.has(ref)) stores.set(ref, new Map());
    return stores.get(ref)!;
  };
  const sorted = (m: Map<string, string>, keep: (k: string, v: string) => boolean): MemoryEntry[] =>
    [...m.entries()].filter(([k, v]) => keep(k, v)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
  const fake: FakeMemory = {
    puts: [],
    asked: [],
    data,
    async backendFor(memory: MemoryObject): Promise<MemoryBackend> {
      const ref = `${memory.metadata.namespace}/${memory.metadata.name}`;
      fake.asked.push(ref);
      const m = data(ref);
      const check = () => {
        if (fake.failWith) throw fake.failWith;
      };
      return {
        async put(key, value) {
          check();
          fake.puts.push(`${ref}:${key}`);
          m.set(key, value);
        },
        async get(key) {
          check();
          return m.has(key) ? { key, value: m.get(key)! } : undefined;
        },
        async list(prefix, limit) {
          check();
          return sorted(m, (k) => k.startsWith(prefix)).slice(0, limit);
        },
        async search(query, topK) {
          check();
          const q = query.toLowerCase();
          return sorted(m, (k, v) => k.toLowerCase().includes(q) || v.toLowerCase().includes(q))
            .slice(0, topK)
            .map((e) => ({ ...e, score: 1 }));
        },
        async delete(key) {
          check();
          return m.delete(key);
        },
        async ping() {},
      };
    },
    async forget(namespace, name) {
      stores.delete(`${namespace}/${name}`);
    },
    close() {},
  };
  return fake;
}
