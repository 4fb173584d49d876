// Entries of Memory resources on PostgreSQL: the same calls as src/store/memory-entries.ts.
// Keyword search matches the generated `search` tsvector ('simple' configuration) through its GIN
// index and ranks with ts_rank_cd; embeddings are kept as Float32 bytes in `embedding` and, when
// src/store/pg/vector.ts has added the pgvector column, also as a `vector` there.
//
// Where the two engines may answer differently (see also test/store/side-stores-contract.test.ts):
// - Ranking: FTS5's bm25 weighs rare words up (IDF, from table-wide counts) and normalises by the
//   average entry length of the table; ts_rank_cd needs no table-wide statistics and has neither.
//   Both rank entries that match more of the query words, more often, in fewer words, first, and
//   the score is relative to the best match on both (the best scores 1), but the order of the
//   others and the scores themselves can differ, most with words of very different rarity.
// - Words: PostgreSQL's parser keeps some compounds whole as well as (or instead of) their parts:
//   "3.14", "example.com", "a/b/c", emails and URLs are single words, so "example" does not find
//   "example.com" here while FTS5 (which splits at every non-alphanumeric) does. 'simple' does not
//   fold diacritics ("cafe" does not find "café"; FTS5 removes them), and folds case as the
//   database's LC_CTYPE does (under the C locale only ASCII letters: "école" does not find "École").
import { VECTOR_COLUMN } from './vector';
import { keywordScores, queryWords, SEARCH_CANDIDATES, selectiveWords, type MemoryEntryStore, type ScoredMemoryEntry, type StoredMemoryEntry } from '../memory-entries';
import type { PgResourceStore } from './resource-store';

/** As on SQLite: a word in more entries than max(this, 10 × the rarest word's count) is left out. */
const COMMON_WORD_ENTRIES = 1000;
/**
 * Words are counted only up to this many entries (a GIN index has no cheap document count). When
 * every query word is in more entries than this, none is left out.
 */
const MAX_COUNTED_ENTRIES = 100_000;
/** Rows per round trip when streaming the vectors of a Memory. */
const EMBEDDING_PAGE = 500;
/** How long an absent vector index is believed absent (ensureVectorIndex may create it meanwhile). */
const INDEX_RECHECK_MS = 60_000;

/** An entry and its cosine similarity to the query vector (0 when either vector is all zeros). */
export interface NearestMemoryEntry {
  key: string;
  value: string;
  similarity: number;
}

/** The copy's own buffer: a Float32Array may view part of a larger one. */
const toBytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));

function fromBytes(b: Uint8Array | null): Float32Array | undefined {
  if (!b || b.byteLength % 4 !== 0 || b.byteLength === 0) return undefined;
  // Copy: the driver's buffer need not be 4-byte aligned.
  return new Float32Array(new Uint8Array(b).buffer);
}

/** pgvector's text form; none for vectors it would refuse (empty, NaN, infinite). */
function vectorText(v: Float32Array | undefined): string | null {
  if (!v || v.length === 0 || !v.every(Number.isFinite)) return null;
  return `[${Array.from(v).join(',')}]`;
}

/**
 * The query words as SQLite picks them (queryWords: distinct ignoring case, at most 32), each in
 * its first spelling in the query: to_tsquery then folds case exactly as to_tsvector folded the
 * entries, whatever the database's locale.
 */
export function searchTerms(text: string): string[] {
  const first = new Map<string, string>();
  for (const t of text.match(/[\p{L}\p{N}]+/gu) ?? []) if (!first.has(t.toLowerCase())) first.set(t.toLowerCase(), t);
  return queryWords(text).map((w) => first.get(w) ?? w);
}

/**
 * Words as a tsquery that can never be a syntax error: a term is only letters and digits, so
 * quoted it is one plain word (no operator, quote or backslash can appear), and the terms are
 * ORed so an entry matching more of them ranks higher.
 */
export function tsQuery(terms: string[]): string {
  return terms.map((t) => `'${t}'`).join(' | ');
}

type Row = { key: string; value: string; embedding: Uint8Array | null };

export class PgMemoryEntryStore implements Pick<MemoryEntryStore, 'put' | 'get' | 'list' | 'search' | 'delete' | 'deleteAll' | 'count' | 'scopes'> {
  private vectorColumn: Promise<boolean> | undefined;
  /** Per vector length: the index exists, or when it was last found absent. */
  private readonly vectorIndexes = new Map<number, true | number>();

  constructor(private readonly store: PgResourceStore) {}

  /** Inserts or replaces an entry (and its embedding, or none). */
  async put(namespace: string, memory: string, key: string, value: string, embedding: Float32Array | undefined, updatedAt: string): Promise<void> {
    const bytes = embedding ? toBytes(embedding) : null;
    if (await this.hasVectorColumn()) {
      // The column name is a constant of vector.ts, not input.
      await this.store.sql.unsafe(
        `INSERT INTO memory_entries (namespace, memory, key, value, embedding, updated_at, ${VECTOR_COLUMN}) VALUES ($1, $2, $3, $4, $5, $6, $7::text::vector)
         ON CONFLICT (namespace, memory, key) DO UPDATE SET value = excluded.value, embedding = excluded.embedding, updated_at = excluded.updated_at,
           ${VECTOR_COLUMN} = excluded.${VECTOR_COLUMN}`,
        [namespace, memory, key, value, bytes, updatedAt, vectorText(embedding)],
      );
      return;
    }
    await this.store.sql`
      INSERT INTO memory_entries (namespace, memory, key, value, embedding, updated_at) VALUES (${namespace}, ${memory}, ${key}, ${value}, ${bytes}, ${updatedAt})
      ON CONFLICT (namespace, memory, key) DO UPDATE SET value = excluded.value, embedding = excluded.embedding, updated_at = excluded.updated_at`;
  }

  async get(namespace: string, memory: string, key: string): Promise<StoredMemoryEntry | undefined> {
    const [row] = (await this.store.sql`SELECT key, value, embedding FROM memory_entries WHERE namespace = ${namespace} AND memory = ${memory} AND key = ${key}`) as Row[];
    if (!row) return undefined;
    const embedding = fromBytes(row.embedding);
    return { key: row.key, value: row.value, ...(embedding ? { embedding } : {}) };
  }

  /**
   * Entries whose key starts with `prefix` ('' = all), by key, at most `limit`. Byte order
   * (COLLATE "C") as SQLite's BINARY, whatever the database's collation; the scan is bounded by
   * the (namespace, memory) prefix of the unique index.
   */
  async list(namespace: string, memory: string, prefix: string, limit: number): Promise<{ key: string; value: string }[]> {
    const rows = await this.store.sql`
      SELECT key, value FROM memory_entries WHERE namespace = ${namespace} AND memory = ${memory} AND starts_with(key, ${prefix})
      ORDER BY key COLLATE "C" LIMIT ${limit}`;
    return rows.map((r: Row) => ({ key: r.key, value: r.value }));
  }

  /** Keyword matches, best first, at most `limit`; a query with no words finds nothing. */
  async search(namespace: string, memory: string, query: string, limit: number): Promise<ScoredMemoryEntry[]> {
    const terms = searchTerms(query);
    if (terms.length === 0 || limit <= 0) return [];
    const match = tsQuery(await this.selective(terms));
    // The newest SEARCH_CANDIDATES matches of this Memory, then the best `limit` of them by
    // ts_rank_cd (computed for the candidates only). For an OR of single words it sums the
    // occurrences of the words; normalisation 1 divides by 1 + log(entry length), so as with bm25 a
    // short entry outranks a long one with the same matches (of PostgreSQL's rankings it orders
    // like bm25 most often).
    const rows = (await this.store.sql`
      SELECT key, value, ts_rank_cd(search, to_tsquery('simple', ${match}), 1) AS rank FROM (
        SELECT key, value, search FROM memory_entries
        WHERE namespace = ${namespace} AND memory = ${memory} AND search @@ to_tsquery('simple', ${match})
        ORDER BY id DESC LIMIT ${SEARCH_CANDIDATES}
      ) c ORDER BY rank DESC, key COLLATE "C" LIMIT ${limit}`) as { key: string; value: string; rank: number }[];
    // The rank grows with relevance where bm25 falls: negated, the SQLite scoring applies as is.
    const scores = keywordScores(rows.map((r) => -Number(r.rank)));
    return rows.map((r, i) => ({ key: r.key, value: r.value, score: scores[i] }));
  }

  /**
   * Every entry of the Memory that has an embedding (for similarity search), fetched a page at a
   * time. Asynchronous, unlike the SQLite store's generator: iterate with `for await`.
   */
  async *withEmbeddings(namespace: string, memory: string): AsyncGenerator<StoredMemoryEntry & { embedding: Float32Array }> {
    let after = 0;
    for (;;) {
      const rows = (await this.store.sql`
        SELECT id, key, value, embedding FROM memory_entries
        WHERE namespace = ${namespace} AND memory = ${memory} AND embedding IS NOT NULL AND id > ${after}
        ORDER BY id LIMIT ${EMBEDDING_PAGE}`) as (Row & { id: number | string })[];
      for (const row of rows) {
        const embedding = fromBytes(row.embedding);
        if (embedding) yield { key: row.key, value: row.value, embedding };
      }
      if (rows.length < EMBEDDING_PAGE) return;
      after = Number(rows[rows.length - 1].id);
    }
  }

  /**
   * The `limit` entries of the Memory whose vectors are most similar (cosine) to `vector`, most
   * similar first, computed by pgvector; with `include`, also those of these keys (the keyword hits
   * of a hybrid search, so that each gets its similarity wherever it ranks). Only vectors of the
   * query's length are compared (pgvector refuses others; the JS cosine counts them as 0).
   * Undefined when the database has no pgvector column (vector.ts): the caller scans
   * withEmbeddings instead.
   */
  async nearest(namespace: string, memory: string, vector: Float32Array, limit: number, include: readonly string[] = []): Promise<NearestMemoryEntry[] | undefined> {
    if (!(await this.hasVectorColumn())) return undefined;
    const text = vectorText(vector);
    if (text === null || (limit <= 0 && include.length === 0)) return [];
    const dims = vector.length;
    // With ensureVectorIndex's partial index for this length, the expressions are the index's own
    // (a cast to vector(dims) and the same predicate, the length inlined) so the planner can use it.
    // `dims` is an integer and VECTOR_COLUMN a constant, never input.
    const indexed = await this.hasVectorIndex(dims);
    const column = indexed ? `${VECTOR_COLUMN}::vector(${dims})` : VECTOR_COLUMN;
    const distance = `${column} <=> $3::text::vector${indexed ? `(${dims})` : ''}`;
    const where = `namespace = $1 AND memory = $2 AND vector_dims(${VECTOR_COLUMN}) = ${dims}`;
    const rows = (await this.store.sql.unsafe(
      `(SELECT key, value, ${distance} AS distance FROM memory_entries WHERE ${where} ORDER BY ${distance} LIMIT $4)
       UNION ALL
       (SELECT key, value, ${distance} AS distance FROM memory_entries WHERE ${where} AND key = ANY($5::text[]))`,
      [namespace, memory, text, Math.max(0, limit), [...include]],
    )) as { key: string; value: string; distance: number | string | null }[];
    const found = new Map<string, NearestMemoryEntry>();
    for (const r of rows) {
      // pgvector's distance to an all-zero vector is NaN: no similarity, as the JS cosine says.
      const d = r.distance === null ? Number.NaN : Number(r.distance);
      found.set(r.key, { key: r.key, value: r.value, similarity: Number.isFinite(d) ? 1 - d : 0 });
    }
    return [...found.values()].sort((a, b) => b.similarity - a.similarity || (a.key < b.key ? -1 : 1));
  }

  /** True when the entry existed. */
  async delete(namespace: string, memory: string, key: string): Promise<boolean> {
    const gone = await this.store.sql`DELETE FROM memory_entries WHERE namespace = ${namespace} AND memory = ${memory} AND key = ${key}`;
    return gone.count > 0;
  }

  /** Deletes every entry of a Memory; returns how many. */
  async deleteAll(namespace: string, memory: string): Promise<number> {
    const gone = await this.store.sql`DELETE FROM memory_entries WHERE namespace = ${namespace} AND memory = ${memory}`;
    return gone.count;
  }

  async count(namespace: string, memory: string): Promise<number> {
    const [r] = await this.store.sql`SELECT count(*) AS n FROM memory_entries WHERE namespace = ${namespace} AND memory = ${memory}`;
    return Number(r.n);
  }

  /** The Memories that have entries, as namespace/name pairs. */
  async scopes(): Promise<{ namespace: string; memory: string }[]> {
    const rows = await this.store.sql`SELECT DISTINCT namespace, memory FROM memory_entries`;
    return rows.map((r: { namespace: string; memory: string }) => ({ namespace: r.namespace, memory: r.memory }));
  }

  /**
   * selectiveWords with the counts it needs: FTS5 reads a word's entry count from its vocabulary
   * table, here each word is counted through the GIN index, capped, and recounted higher only
   * when the decision depends on it. Counts are over the whole table, as FTS5's are.
   */
  private async selective(terms: string[]): Promise<string[]> {
    // One word is never left out, whatever its count.
    if (terms.length < 2) return terms;
    let cap = COMMON_WORD_ENTRIES + 1;
    let counts = await this.entriesWith(terms, cap);
    for (;;) {
      const capped = counts.map((n) => n >= cap);
      if (!capped.includes(true)) break;
      const exact = counts.filter((n) => n > 0 && n < cap);
      if (exact.length) {
        // The rarest word is counted exactly, so the limit is final; words at the cap are counted
        // up to just past it, which tells whether they exceed it.
        const limit = Math.max(COMMON_WORD_ENTRIES, 10 * Math.min(...exact));
        if (limit >= cap) {
          const again = await this.entriesWith(terms.filter((_, i) => capped[i]), limit + 1);
          counts = counts.map((n, i) => (capped[i] ? again.shift()! : n));
        }
        break;
      }
      if (cap > MAX_COUNTED_ENTRIES) break;
      cap = MAX_COUNTED_ENTRIES + 1;
      counts = await this.entriesWith(terms, cap);
    }
    return selectiveWords(terms, counts);
  }

  /** Each term's count of entries containing it, counting stops at `cap`. */
  private async entriesWith(terms: string[], cap: number): Promise<number[]> {
    const rows = await this.store.sql`
      SELECT (SELECT count(*) FROM (
        SELECT 1 FROM memory_entries WHERE search @@ to_tsquery('simple', '''' || t.term || '''') LIMIT ${cap}) m) AS n
      FROM unnest(${terms}::text[]) WITH ORDINALITY AS t(term, i) ORDER BY t.i`;
    return rows.map((r: { n: number | string }) => Number(r.n));
  }

  /** Whether ensureVectorIndex (vector.ts) has made the index of `dims`-long vectors. */
  private async hasVectorIndex(dims: number): Promise<boolean> {
    const known = this.vectorIndexes.get(dims);
    if (known === true || (known !== undefined && Date.now() - known < INDEX_RECHECK_MS)) return known === true;
    const rows = await this.store.pool`
      SELECT 1 AS one FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'memory_entries' AND indexname = ${`memory_entries_vector_${dims}`}`;
    this.vectorIndexes.set(dims, rows.length > 0 ? true : Date.now());
    return rows.length > 0;
  }

  /** Whether vector.ts added the pgvector column (enable it before the first put). */
  private hasVectorColumn(): Promise<boolean> {
    this.vectorColumn ??= this.store.pool`
      SELECT 1 AS one FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'memory_entries' AND column_name = ${VECTOR_COLUMN}`.then(
      (r: unknown[]) => r.length > 0,
      (e: unknown) => {
        this.vectorColumn = undefined;
        throw e;
      },
    );
    return this.vectorColumn;
  }
}
