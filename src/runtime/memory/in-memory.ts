// Provider `in-memory` (alias `memory`): a map in this process. Entries last until the Memory is
// changed or deleted or the process stops, and other processes do not see them. Search is a
// case-insensitive substring match on key or value, every hit scoring 1.0, sorted by key.
import type { MemoryBackend, MemoryEntry } from './types';

export function inMemoryBackend(): MemoryBackend {
  const entries = new Map<string, string>();
  const sorted = (pick: (key: string, value: string) => boolean, limit: number): MemoryEntry[] => {
    const out: MemoryEntry[] = [];
    for (const [key, value] of entries) if (pick(key, value)) out.push({ key, value });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, Math.max(0, limit));
  };
  return {
    async put(key, value) {
      entries.set(key, value);
    },
    async get(key) {
      const value = entries.get(key);
      return value === undefined ? undefined : { key, value };
    },
    async list(prefix, limit) {
      return sorted((key) => key.startsWith(prefix), limit);
    },
    async search(query, topK) {
      const needle = query.trim().toLowerCase();
      if (!needle) return [];
      return sorted((key, value) => key.toLowerCase().includes(needle) || value.toLowerCase().includes(needle), topK).map((e) => ({ ...e, score: 1 }));
    },
    async delete(key) {
      return entries.delete(key);
    },
    async ping() {},
    close() {
      entries.clear();
    },
  };
}
