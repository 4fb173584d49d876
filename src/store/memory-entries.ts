// Entries of Memory resources on SQLite (the sqlite memory provider): upsert, get, prefix listing
// over the unique (namespace, memory, key) index, keyword search through the FTS5 index that the
// migration's triggers keep in step, optional Float32 embeddings, and per-Memory deletion.
import type { Statement } from 'bun:sqlite';
import type { OpenDatabase } from './database';

export interface StoredMemoryEntry {
  key: string;
  value: string;
  /** Set when the entry was written with an embedding. */
  embedding?: Float32Array;
}

export interface ScoredMemoryEntry {
  key: string;
  value: string;
  /** 0–1, higher is better (see keywordScores). */
  score: number;
}

/** At most this many query words reach FTS5; longer queries are cut (the rest adds little). */
const MAX_QUERY_TOKENS = 32;
/**
 * Ranking cost grows with the number of matching entries, so a search ranks at most this many
 * candidates: the newest entries (by insertion) that match. Only queries made of words found in
 * more entries than this are affected.
 */
export const SEARCH_CANDIDATES = 1000;
/** A word in more entries than max(this, 10 × the rarest query word's count) is left out of a search. */
const COMMON_WORD_ENTRIES = 1000;

/** The distinct lower-cased words (runs of letters and digits) of a query, at most MAX_QUERY_TOKENS. */
export function queryWords(text: string): string[] {
  const tokens = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(tokens.map((t) => t.toLowerCase()))].slice(0, MAX_QUERY_TOKENS);
}

/**
 * Words as an FTS5 query that can never be a syntax error: each word is a double-quoted string (so
 * AND, NEAR, `*`, `-`, `:` and quotes in the user's text are plain text), joined by OR so an entry
 * matching more of the words ranks higher. Empty when there are no words.
 */
export function ftsQuery(words: string[]): string {
  return words.map((t) => `"${t}"`).join(' OR ');
}

/**
 * Leaves out near-universal words (like "the") when the query has rarer ones: they match most
 * entries, add almost nothing to the ranking, and would make every search rank the whole Memory.
 * `entries` is each word's count of entries containing it (0 when unknown).
 */
export function selectiveWords(words: string[], entries: number[]): string[] {
  const known = entries.filter((n) => n > 0);
  if (known.length === 0) return words;
  const limit = Math.max(COMMON_WORD_ENTRIES, 10 * Math.min(...known));
  return words.filter((_, i) => entries[i] <= limit);
}

/**
 * FTS5's bm25() is negative and unbounded (more negative = better), and its scale depends on the
 * corpus: with few entries, or a word most entries contain, every match scores near zero. So the
 * score is relative to the best match of the same query: bm25 / best bm25, which puts the best
 * match at 1.0 and the others in (0, 1] in proportion. Rows arrive best first.
 */
export function keywordScores(bm25: number[]): number[] {
  const best = bm25[0];
  return bm25.map((b) => (best < 0 && b < 0 ? Math.min(1, b / best) : 1));
}

const toBlob = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

function fromBlob(b: Uint8Array | null): Float32Array | undefined {
  if (!b || b.byteLength % 4 !== 0 || b.byteLength === 0) return undefined;
  // Copy: the driver's buffer need not be 4-byte aligned.
  return new Float32Array(new Uint8Array(b).buffer);
}

type Row = { key: string; value: string; embedding: Uint8Array | null };

export class MemoryEntryStore {
  private readonly stmt: Record<string, Statement<any, any>>;

  constructor(handle: OpenDatabase) {
    const q = (sql: string) => handle.sqlite.query(sql);
    const scope = 'namespace = ?1 AND memory = ?2';
    this.stmt = {
      put: q(
        `INSERT INTO memory_entries (namespace, memory, key, value, embedding, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (namespace, memory, key) DO UPDATE SET value = excluded.value, embedding = excluded.embedding, updated_at = excluded.updated_at`,
      ),
      get: q(`SELECT key, value, embedding FROM memory_entries WHERE ${scope} AND key = ?3`),
      // A range over the unique index: every string starting with ?3 sorts between ?3 and ?3 || 0xFF
      // (no UTF-8 byte is 0xFF), so no LIKE escaping is needed and the index bounds the scan.
      list: q(`SELECT key, value FROM memory_entries WHERE ${scope} AND key >= ?3 AND key < (?3 || x'ff') ORDER BY key LIMIT ?4`),
      // The newest SEARCH_CANDIDATES matches of this Memory, then the best ?4 of them by bm25
      // (computed for the candidates only).
      search: q(
        `SELECT key, value, rank FROM (
           SELECT e.key AS key, e.value AS value, bm25(memory_entries_fts) AS rank FROM memory_entries_fts JOIN memory_entries e ON e.id = memory_entries_fts.rowid
           WHERE memory_entries_fts MATCH ?3 AND e.namespace = ?1 AND e.memory = ?2 ORDER BY memory_entries_fts.rowid DESC LIMIT ${SEARCH_CANDIDATES}
         ) ORDER BY rank, key LIMIT ?4`,
      ),
      entriesWith: q('SELECT doc FROM memory_entries_fts_vocab WHERE term = ?1'),
      vectors: q(`SELECT key, value, embedding FROM memory_entries WHERE ${scope} AND embedding IS NOT NULL`),
      delete: q(`DELETE FROM memory_entries WHERE ${scope} AND key = ?3`),
      deleteAll: q(`DELETE FROM memory_entries WHERE ${scope}`),
      count: q(`SELECT count(*) AS n FROM memory_entries WHERE ${scope}`),
      scopes: q('SELECT DISTINCT namespace, memory FROM memory_entries'),
    };
  }

  /** Inserts or replaces an entry (and its embedding, or none). */
  async put(namespace: string, memory: string, key: string, value: string, embedding: Float32Array | undefined, updatedAt: string): Promise<void> {
    this.stmt.put.run(namespace, memory, key, value, embedding ? toBlob(embedding) : null, updatedAt);
  }

  async get(namespace: string, memory: string, key: string): Promise<StoredMemoryEntry | undefined> {
    const row = this.stmt.get.get(namespace, memory, key) as Row | null;
    if (!row) return undefined;
    const embedding = fromBlob(row.embedding);
    return { key: row.key, value: row.value, ...(embedding ? { embedding } : {}) };
  }

  /** Entries whose key starts with `prefix` ('' = all), by key, at most `limit`. */
  async list(namespace: string, memory: string, prefix: string, limit: number): Promise<{ key: string; value: string }[]> {
    return this.stmt.list.all(namespace, memory, prefix, limit) as { key: string; value: string }[];
  }

  /** Keyword matches, best first, at most `limit`; a query with no words finds nothing. */
  async search(namespace: string, memory: string, query: string, limit: number): Promise<ScoredMemoryEntry[]> {
    const words = queryWords(query);
    if (words.length === 0 || limit <= 0) return [];
    const counts = words.map((w) => (this.stmt.entriesWith.get(w) as { doc: number } | null)?.doc ?? 0);
    const match = ftsQuery(selectiveWords(words, counts));
    const rows = this.stmt.search.all(namespace, memory, match, limit) as { key: string; value: string; rank: number }[];
    const scores = keywordScores(rows.map((r) => r.rank));
    return rows.map((r, i) => ({ key: r.key, value: r.value, score: scores[i] }));
  }

  /** Every entry of the Memory that has an embedding (for similarity search). */
  async *withEmbeddings(namespace: string, memory: string): AsyncGenerator<StoredMemoryEntry & { embedding: Float32Array }> {
    for (const row of this.stmt.vectors.iterate(namespace, memory) as Iterable<Row>) {
      const embedding = fromBlob(row.embedding);
      if (embedding) yield { key: row.key, value: row.value, embedding };
    }
  }

  /** True when the entry existed. */
  async delete(namespace: string, memory: string, key: string): Promise<boolean> {
    return this.stmt.delete.run(namespace, memory, key).changes > 0;
  }

  /** Deletes every entry of a Memory; returns how many. */
  async deleteAll(namespace: string, memory: string): Promise<number> {
    return this.stmt.deleteAll.run(namespace, memory).changes;
  }

  async count(namespace: string, memory: string): Promise<number> {
    return (this.stmt.count.get(namespace, memory) as { n: number }).n;
  }

  /** The Memories that have entries, as namespace/name pairs. */
  async scopes(): Promise<{ namespace: string; memory: string }[]> {
    return this.stmt.scopes.all() as { namespace: string; memory: string }[];
  }
}
