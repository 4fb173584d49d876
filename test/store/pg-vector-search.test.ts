// Vector similarity on PostgreSQL: with the pgvector column (src/store/pg/vector.ts) the memory
// store's nearest() ranks by pgvector's cosine distance operator in the database and the memory
// provider's hybrid search uses it; without the column nearest() answers undefined and the provider
// scans withEmbeddings in JS, as before. The test server has no pgvector, so each database gets a
// stand-in: a type named `vector` read from the same '[x,y,…]' text, vector_dims, and a `<=>`
// operator computing cosine distance over the parsed numbers (NaN for an all-zero vector, as
// pgvector), so the store's real query text runs.
import { afterAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { migrations } from '../../db/pg/migrations';
import { cosine, type Embedder } from '../../src/runtime/memory/embeddings';
import { sqliteBackend } from '../../src/runtime/memory/sqlite';
import type { MemoryEntries } from '../../src/store/backend';
import { PgMemoryEntryStore } from '../../src/store/pg/memory-entries';
import { PgResourceStore } from '../../src/store/pg/resource-store';
import { freshDatabase } from '../support/postgres';

const NOW = '2026-01-01T00:00:00Z';
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

/** The text of a vector as a float8[] (works for the domain and for the base type stand-in). */
const ARRAY = (v: string) => `string_to_array(trim(both '[]' from ${v}::text), ',')::float8[]`;

/** vector_dims and `<=>` (cosine distance) for the stand-in type. */
const OPERATORS = [
  `CREATE FUNCTION vector_dims(v vector) RETURNS int IMMUTABLE STRICT LANGUAGE sql AS $$ SELECT cardinality(${ARRAY('v')}) $$`,
  `CREATE FUNCTION cosine_distance(a vector, b vector) RETURNS float8 IMMUTABLE STRICT LANGUAGE plpgsql AS $$
   DECLARE x float8[] := ${ARRAY('a')}; y float8[] := ${ARRAY('b')}; dot float8 := 0; nx float8 := 0; ny float8 := 0;
   BEGIN
     IF cardinality(x) <> cardinality(y) THEN RAISE EXCEPTION 'different vector dimensions % and %', cardinality(x), cardinality(y); END IF;
     FOR i IN 1 .. cardinality(x) LOOP dot := dot + x[i] * y[i]; nx := nx + x[i] * x[i]; ny := ny + y[i] * y[i]; END LOOP;
     IF nx = 0 OR ny = 0 THEN RETURN 'NaN'; END IF;
     RETURN 1 - dot / sqrt(nx * ny);
   END $$`,
  'CREATE OPERATOR <=> (LEFTARG = vector, RIGHTARG = vector, FUNCTION = cosine_distance, COMMUTATOR = <=>)',
];

/**
 * A fresh migrated database. `vector`: 'domain' (a text domain, any server), 'base' (a base type
 * over text's I/O that takes a length modifier, as vector(3); needs a superuser), or none.
 */
async function database(vector?: 'domain' | 'base') {
  const pool = new SQL({ url: await freshDatabase('pgvec'), max: 4 });
  closers.push(() => pool.close());
  for (const m of migrations) await pool.unsafe(m.sql.replaceAll('--> statement-breakpoint', ''));
  if (vector === 'domain') await pool.unsafe('CREATE DOMAIN vector AS text');
  if (vector === 'base') {
    for (const ddl of [
      'CREATE TYPE vector',
      `CREATE FUNCTION vector_in(cstring) RETURNS vector IMMUTABLE STRICT LANGUAGE internal AS 'textin'`,
      `CREATE FUNCTION vector_out(vector) RETURNS cstring IMMUTABLE STRICT LANGUAGE internal AS 'textout'`,
      `CREATE FUNCTION vector_typmod_in(cstring[]) RETURNS int4 IMMUTABLE STRICT LANGUAGE internal AS 'varchartypmodin'`,
      'CREATE TYPE vector (INPUT = vector_in, OUTPUT = vector_out, TYPMOD_IN = vector_typmod_in, INTERNALLENGTH = VARIABLE, STORAGE = extended)',
    ]) {
      await pool.unsafe(ddl);
    }
  }
  if (vector) {
    for (const ddl of OPERATORS) await pool.unsafe(ddl);
    await pool.unsafe('ALTER TABLE memory_entries ADD COLUMN embedding_vector vector');
  }
  const store = new PgResourceStore(pool);
  return { pool, store, entries: new PgMemoryEntryStore(store) };
}

/** Counts the calls of withEmbeddings and the entries read from it, and of nearest. */
function spied(entries: PgMemoryEntryStore, keepNearest = true) {
  const counts = { scans: 0, scanned: 0, nearest: 0 };
  const spy: MemoryEntries = {
    put: (...a) => entries.put(...a),
    get: (...a) => entries.get(...a),
    list: (...a) => entries.list(...a),
    search: (...a) => entries.search(...a),
    delete: (...a) => entries.delete(...a),
    deleteAll: (...a) => entries.deleteAll(...a),
    count: (...a) => entries.count(...a),
    scopes: () => entries.scopes(),
    async *withEmbeddings(ns, memory) {
      counts.scans++;
      for await (const e of entries.withEmbeddings(ns, memory)) {
        counts.scanned++;
        yield e;
      }
    },
    ...(keepNearest
      ? {
          nearest: (...a: Parameters<PgMemoryEntryStore['nearest']>) => {
            counts.nearest++;
            return entries.nearest(...a);
          },
        }
      : {}),
  };
  return { spy, counts };
}

const vectors: Record<string, number[]> = {
  // Entries.
  'budget planning for the year': [1, 0, 0],
  'budget review notes': [0.6, 0.8, 0],
  'holiday by the sea': [0, 1, 0],
  'garden notes': [0, 0.2, 1],
  'recipes for bread': [-1, 0, 0],
  'a walk in the park': [0.9, 0.1, 0.3],
  'empty vector': [0, 0, 0],
  'short vector': [1, 0],
  // Queries.
  'budget money': [0.8, 0.6, 0],
  'sea': [0.1, 1, 0.1],
};
const embedder: Embedder = {
  endpoint: 'default/test',
  embed: async (texts) => texts.map((t) => new Float32Array(vectors[t] ?? [0.3, 0.3, 0.3])),
};

/** Entries with vectors of three and two dimensions, an all-zero one and one without. */
async function fill(entries: PgMemoryEntryStore) {
  const values = Object.keys(vectors).filter((v) => v !== 'budget money' && v !== 'sea');
  for (const [i, value] of values.entries()) await entries.put('default', 'notes', `k${i}`, value, new Float32Array(vectors[value]), NOW);
  await entries.put('default', 'notes', 'plain', 'budget without a vector', undefined, NOW);
  await entries.put('default', 'other', 'k0', 'budget elsewhere', new Float32Array([0.8, 0.6, 0]), NOW);
}

/** Cosine similarity of the query with each 3-dimensional entry of default/notes, by JS. */
function expectedNearest(query: number[]) {
  const q = new Float32Array(query);
  const values = Object.keys(vectors).filter((v) => vectors[v].length === 3 && v !== 'budget money' && v !== 'sea');
  return Object.keys(vectors)
    .filter((v) => values.includes(v))
    .map((value) => ({ key: `k${Object.keys(vectors).indexOf(value)}`, value, similarity: cosine(q, new Float32Array(vectors[value])) }))
    .sort((a, b) => b.similarity - a.similarity || (a.key < b.key ? -1 : 1));
}

const round = (xs: { key: string; value: string; similarity?: number; score?: number }[]) =>
  xs.map((x) => ({ ...x, ...(x.similarity !== undefined ? { similarity: Number(x.similarity.toFixed(9)) } : {}), ...(x.score !== undefined ? { score: Number(x.score.toFixed(9)) } : {}) }));

describe('memory entries on PostgreSQL: similarity through pgvector', () => {
  test('nearest ranks by cosine similarity in the database: limit, included keys, same length only, all-zero vectors at 0', async () => {
    const { entries } = await database('domain');
    await fill(entries);
    const query = new Float32Array([0.8, 0.6, 0]);
    const all = expectedNearest([0.8, 0.6, 0]);
    // 'empty vector' (k6) has similarity 0 (pgvector: NaN distance); 'short vector' is left out.
    expect(all.map((e) => e.value)).toEqual(['budget review notes', 'a walk in the park', 'budget planning for the year', 'holiday by the sea', 'garden notes', 'empty vector', 'recipes for bread']);
    expect(round((await entries.nearest('default', 'notes', query, 10))!)).toEqual(round(all));
    expect(round((await entries.nearest('default', 'notes', query, 3))!)).toEqual(round(all.slice(0, 3)));
    // Included keys come with their similarity wherever they rank; keys without a vector of this
    // length (or none at all) are not found.
    const withKeyword = await entries.nearest('default', 'notes', query, 2, ['k4', 'k1', 'k7', 'plain', 'missing']);
    expect(round(withKeyword!)).toEqual(round([all[0], all[1], all[6]]));
    expect(await entries.nearest('default', 'notes', query, 0)).toEqual([]);
    expect(await entries.nearest('default', 'notes', new Float32Array([Number.NaN, 1, 1]), 5)).toEqual([]);
    expect(await entries.nearest('default', 'missing', query, 5)).toEqual([]);
    expect((await entries.nearest('default', 'notes', new Float32Array([1, 0]), 5))!.map((e) => [e.key, e.similarity])).toEqual([['k7', 1]]);
    expect((await entries.nearest('default', 'other', query, 5))!.map((e) => e.key)).toEqual(['k0']);
  });

  test('the hybrid search of the memory provider asks nearest and gets the JS scan\'s results without scanning', async () => {
    const { entries } = await database('domain');
    await fill(entries);
    const db = spied(entries);
    const js = spied(entries, false);
    const provider = (e: MemoryEntries) => sqliteBackend({ entries: e, namespace: 'default', name: 'notes', clock: { now: () => new Date(NOW) }, embedder });
    for (const [query, topK] of [['budget money', 10], ['budget money', 2], ['sea', 3], ['notes', 4], ['nothing matches', 5]] as const) {
      const byDb = await provider(db.spy).search(query, topK);
      const byJs = await provider(js.spy).search(query, topK);
      expect(byDb.length).toBeGreaterThan(0);
      expect(round(byDb)).toEqual(round(byJs));
    }
    // Keyword hits without a vector keep their keyword score; vector matches join them.
    const hits = await provider(db.spy).search('budget money', 10);
    expect(hits.map((h) => h.key)).toEqual(['k1', 'k0', 'plain', 'k5', 'k2', 'k3']);
    expect(db.counts).toEqual({ scans: 0, scanned: 0, nearest: 6 });
    expect(js.counts.scans).toBe(5);
    expect(js.counts.scanned).toBe(5 * 8);
  });

  test('without the pgvector column nearest answers undefined and the provider scans in JS', async () => {
    const { entries } = await database();
    await fill(entries);
    expect(await entries.nearest('default', 'notes', new Float32Array([1, 0, 0]), 5)).toBeUndefined();
    const db = spied(entries);
    const hits = await sqliteBackend({ entries: db.spy, namespace: 'default', name: 'notes', clock: { now: () => new Date(NOW) }, embedder }).search('budget money', 10);
    expect(hits.map((h) => h.key)).toEqual(['k1', 'k0', 'plain', 'k5', 'k2', 'k3']);
    expect(db.counts).toEqual({ scans: 1, scanned: 8, nearest: 1 });
  });

  test("with ensureVectorIndex's index for the query's length, the query uses the index's expressions", async () => {
    const probe = new SQL({ url: await freshDatabase('pgvec_probe'), max: 1 });
    const [{ superuser }] = await probe`SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
    await probe.close();
    // The stand-in that takes vector(3) is made of internal functions, which only a superuser may
    // declare (the embedded test server's user is one).
    if (!superuser) return console.warn('skipped: the test database user is not a superuser');
    const { pool, store, entries: plain } = await database('base');
    // The real index is HNSW, which the test server lacks: an index of the same name stands in.
    await pool.unsafe('CREATE INDEX memory_entries_vector_3 ON memory_entries ((embedding_vector::vector(3)::text)) WHERE vector_dims(embedding_vector) = 3');
    const queries: string[] = [];
    const sql = new Proxy(pool, {
      get: (target, p) => (p === 'unsafe' ? (q: string, params: unknown[]) => (queries.push(q), target.unsafe(q, params)) : Reflect.get(target, p)),
    });
    const entries = new PgMemoryEntryStore(Object.create(store, { sql: { value: sql } }) as PgResourceStore);
    await fill(plain);
    const query = new Float32Array([0.8, 0.6, 0]);
    expect(round((await entries.nearest('default', 'notes', query, 10))!)).toEqual(round(expectedNearest([0.8, 0.6, 0])));
    expect(queries.at(-1)).toContain('ORDER BY embedding_vector::vector(3) <=> $3::text::vector(3) LIMIT $4');
    expect(queries.at(-1)).toContain('vector_dims(embedding_vector) = 3');
    // No index for two dimensions: the plain column.
    expect((await entries.nearest('default', 'notes', new Float32Array([1, 0]), 5))!.map((e) => e.key)).toEqual(['k7']);
    expect(queries.at(-1)).toContain('ORDER BY embedding_vector <=> $3::text::vector LIMIT $4');
  });
});
