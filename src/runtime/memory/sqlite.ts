// Provider `sqlite` (the default): entries in the server's own database (src/store/memory-entries.ts),
// shared by the server and every `orrery worker` on the same data directory and kept across
// restarts. Search is FTS5 keyword ranking; with an embedding model it is hybrid (see search).
import { rfc3339, type Clock } from '../../util/time';
import { cosine, type Embedder } from './embeddings';
import { MemoryError, type MemoryBackend, type MemoryEntry } from './types';
import type { MemoryEntries } from '../../store/backend';

/** Weights of the hybrid score: keyword (relative bm25) and vector (cosine, negatives as 0). */
export const HYBRID_KEYWORD_WEIGHT = 0.5;
export const HYBRID_VECTOR_WEIGHT = 0.5;
/** Keyword candidates fetched beyond top_k, so a strong vector match can still outrank them. */
const KEYWORD_CANDIDATES = 200;

export interface SqliteBackendOptions {
  entries: MemoryEntries;
  namespace: string;
  name: string;
  clock: Clock;
  embedder?: Embedder;
}

/** Runs a store call, turning a driver failure (locked, disk full) into a retryable MemoryError. */
async function guarded<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new MemoryError(`memory store ${what} failed: ${(e as Error).message}`, true);
  }
}

export function sqliteBackend(o: SqliteBackendOptions): MemoryBackend {
  const { entries, namespace: ns, name } = o;
  const aborted = (signal?: AbortSignal) => {
    if (signal?.aborted) throw new MemoryError('memory request aborted', false);
  };
  return {
    async put(key, value, signal) {
      const embedding = o.embedder ? (await o.embedder.embed([value], signal))[0] : undefined;
      aborted(signal);
      await guarded('write', () => entries.put(ns, name, key, value, embedding, rfc3339(o.clock.now())));
    },
    async get(key) {
      const e = await guarded('read', () => entries.get(ns, name, key));
      return e ? { key: e.key, value: e.value } : undefined;
    },
    async list(prefix, limit) {
      return await guarded('list', () => entries.list(ns, name, prefix, Math.max(0, limit)));
    },
    /**
     * Keyword only: FTS5 bm25 relative to the best match. With an embedding model: the query's
     * vector is compared (cosine) with the stored vectors of this Memory, and each candidate (a
     * keyword hit or an entry with a vector) scores 0.5 × keyword + 0.5 × max(0, cosine); entries
     * scoring 0 are left out. The store's `nearest` (pgvector) answers the comparison when it can:
     * the top_k most similar entries plus the keyword hits, which is the same top_k (no entry past
     * the top_k most similar can outscore them without a keyword score). Otherwise every stored
     * vector is scanned here.
     */
    async search(query, topK, signal) {
      if (topK <= 0 || !query.trim()) return [];
      if (!o.embedder) return await guarded('search', () => entries.search(ns, name, query, topK));
      const [qv] = await o.embedder.embed([query], signal);
      aborted(signal);
      const scored = new Map<string, MemoryEntry & { score: number }>();
      for (const hit of await guarded('search', () => entries.search(ns, name, query, Math.max(topK, KEYWORD_CANDIDATES)))) {
        scored.set(hit.key, { ...hit, score: HYBRID_KEYWORD_WEIGHT * hit.score });
      }
      const add = (key: string, value: string, cos: number) => {
        const similarity = HYBRID_VECTOR_WEIGHT * Math.max(0, cos);
        const prior = scored.get(key);
        if (prior) prior.score += similarity;
        else if (similarity > 0) scored.set(key, { key, value, score: similarity });
      };
      const nearest = entries.nearest;
      const near = nearest ? await guarded('search', () => nearest.call(entries, ns, name, qv, topK, [...scored.keys()])) : undefined;
      if (near) {
        for (const e of near) add(e.key, e.value, e.similarity);
      } else {
        await guarded('search', async () => {
          for await (const e of entries.withEmbeddings(ns, name)) add(e.key, e.value, cosine(qv, e.embedding));
        });
      }
      return [...scored.values()]
        .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1))
        .slice(0, topK)
        .map((e) => ({ ...e, score: Math.min(1, e.score) }));
    },
    async delete(key) {
      return await guarded('delete', () => entries.delete(ns, name, key));
    },
    async ping() {
      await guarded('read', () => entries.count(ns, name));
    },
  };
}
