// Optional pgvector support for memory entries. Many PostgreSQL servers lack the extension, and
// creating one may need privileges the server's user lacks, so it is not in the static migrations:
// enableVectorSearch tries it at start-up and either adds the column or says clearly why not.
// Embeddings of different models differ in length, so the column has no fixed dimension and each
// length gets its own partial HNSW index (pgvector indexes need a fixed dimension).
import type { SQL } from 'bun';
import { withSchemaLock } from './migrate';

/** The vector column added to memory_entries next to the bytea `embedding`. */
export const VECTOR_COLUMN = 'embedding_vector';
/** pgvector's HNSW index handles `vector` columns of at most this many dimensions. */
export const MAX_INDEXED_DIMENSIONS = 2000;

export type VectorSupport = { available: true; version: string } | { available: false; reason: string };

/**
 * Creates the `vector` extension (if absent) and the memory_entries.embedding_vector column (if
 * absent). Never throws for a missing or forbidden extension: it returns the reason instead.
 * Needs the migrations applied.
 */
export async function enableVectorSearch(sql: SQL): Promise<VectorSupport> {
  const [ext]: { installed: string | null }[] = await sql`SELECT installed_version AS installed FROM pg_available_extensions WHERE name = 'vector'`;
  if (!ext) {
    return {
      available: false,
      reason:
        'the pgvector extension is not installed on this PostgreSQL server (pg_available_extensions has no "vector"); ' +
        'install it on the server (for example the postgresql-<version>-pgvector package) to store embeddings in a vector column',
    };
  }
  if (!ext.installed) {
    try {
      await withSchemaLock(sql, (tx) => tx`CREATE EXTENSION IF NOT EXISTS vector`);
    } catch (e) {
      return {
        available: false,
        reason:
          `pgvector is installed on the server but CREATE EXTENSION vector failed: ${e instanceof Error ? e.message : e}; ` +
          'run CREATE EXTENSION vector once in this database as a user allowed to (a superuser)',
      };
    }
  }
  await withSchemaLock(sql, (tx) => tx.unsafe(`ALTER TABLE memory_entries ADD COLUMN IF NOT EXISTS ${VECTOR_COLUMN} vector`));
  const [{ version }]: { version: string }[] = await sql`SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'`;
  return { available: true, version };
}

/**
 * Makes sure entries with `dimensions`-long vectors have a cosine HNSW index (one partial index per
 * length). Returns false when pgvector cannot index that many dimensions (searches then scan).
 * Throws when enableVectorSearch has not succeeded on this database.
 */
export async function ensureVectorIndex(sql: SQL, dimensions: number): Promise<boolean> {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`vector dimensions must be a positive integer, not ${dimensions}`);
  const [col] = await sql`SELECT 1 AS one FROM information_schema.columns WHERE table_name = 'memory_entries' AND column_name = ${VECTOR_COLUMN}`;
  if (!col) throw new Error(`memory_entries has no ${VECTOR_COLUMN} column: vector search is not enabled on this database (see enableVectorSearch)`);
  if (dimensions > MAX_INDEXED_DIMENSIONS) return false;
  // `dimensions` is a checked integer, so it can be part of the DDL text.
  await withSchemaLock(sql, (tx) =>
    tx.unsafe(
      `CREATE INDEX IF NOT EXISTS memory_entries_vector_${dimensions} ON memory_entries ` +
        `USING hnsw ((${VECTOR_COLUMN}::vector(${dimensions})) vector_cosine_ops) WHERE vector_dims(${VECTOR_COLUMN}) = ${dimensions}`,
    ),
  );
  return true;
}
