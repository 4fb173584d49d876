// The sqlite memory store: the FTS5 index follows upserts and deletes, prefix listing treats % and
// _ as plain characters, any query text is safe, scores stay in 0–1, and entries outlive a reopen.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database';
import { ftsQuery, MemoryEntryStore, queryWords, SEARCH_CANDIDATES, selectiveWords } from '../../src/store/memory-entries';

const NOW = '2026-01-01T00:00:00Z';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fresh() {
  const handle = openDatabase(':memory:');
  return { handle, store: new MemoryEntryStore(handle) };
}

describe('memory entries on SQLite', () => {
  test('the keyword index follows upserts and deletes', async () => {
    const { store, handle } = fresh();
    await store.put('default', 'notes', 'a', 'the quick brown fox', undefined, NOW);
    await store.put('default', 'notes', 'b', 'a lazy dog', undefined, NOW);
    expect((await store.search('default', 'notes', 'fox', 10)).map((e) => e.key)).toEqual(['a']);
    await store.put('default', 'notes', 'a', 'a sleepy cat', undefined, NOW);
    expect(await store.search('default', 'notes', 'fox', 10)).toEqual([]);
    expect(await store.search('default', 'notes', 'cat', 10)).toEqual([{ key: 'a', value: 'a sleepy cat', score: 1 }]);
    expect(await store.delete('default', 'notes', 'a')).toBe(true);
    expect(await store.delete('default', 'notes', 'a')).toBe(false);
    expect(await store.search('default', 'notes', 'cat', 10)).toEqual([]);
    // FTS5's own consistency check against the content table: throws when the index drifted.
    expect(() => handle.sqlite.exec("INSERT INTO memory_entries_fts(memory_entries_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    expect(await store.count('default', 'notes')).toBe(1);
  });

  test('search is scoped to one Memory and ranks better matches first', async () => {
    const { store } = fresh();
    await store.put('default', 'notes', 'k1', 'budget planning for the budget year', undefined, NOW);
    await store.put('default', 'notes', 'k2', 'planning a holiday', undefined, NOW);
    await store.put('default', 'notes', 'k3', 'unrelated', undefined, NOW);
    await store.put('default', 'other', 'k1', 'budget planning', undefined, NOW);
    await store.put('team', 'notes', 'k1', 'budget planning', undefined, NOW);
    const hits = await store.search('default', 'notes', 'budget planning', 10);
    expect(hits.map((h) => h.key)).toEqual(['k1', 'k2']);
    expect(hits[0].score).toBe(1);
    expect(hits[1].score).toBeGreaterThan(0);
    expect(hits[1].score).toBeLessThan(1);
    expect((await store.search('default', 'notes', 'budget planning', 1)).map((h) => h.key)).toEqual(['k1']);
  });

  test('keys are searched too, as words', async () => {
    const { store } = fresh();
    await store.put('default', 'docs', 'handbook/chunk-0003', 'text', undefined, NOW);
    expect((await store.search('default', 'docs', 'handbook', 5)).map((h) => h.key)).toEqual(['handbook/chunk-0003']);
  });

  test('query text is never FTS5 syntax', async () => {
    const { store } = fresh();
    await store.put('default', 'm', 'k', 'and or not near value', undefined, NOW);
    for (const q of ['"', 'AND', 'OR', 'NOT', '*', '-', '', '   ', 'a:b', 'NEAR(', '(x', "'", '^', 'key:*', '""""', '{x y}']) {
      await expect(store.search('default', 'm', q, 10)).resolves.toBeArray();
    }
    expect((await store.search('default', 'm', 'AND', 10)).map((h) => h.key)).toEqual(['k']);
    expect(await store.search('default', 'm', '', 10)).toEqual([]);
    expect(await store.search('default', 'm', '*-"', 10)).toEqual([]);
    expect(ftsQuery(queryWords('Foo "bar" foo -baz*'))).toBe('"foo" OR "bar" OR "baz"');
  });

  test('near-universal words are left out when the query has rarer ones', async () => {
    expect(selectiveWords(['the', 'refund', 'policy'], [5000, 3, 40])).toEqual(['refund', 'policy']);
    expect(selectiveWords(['the', 'a'], [5000, 4000])).toEqual(['the', 'a']);
    expect(selectiveWords(['the', 'été'], [5000, 0])).toEqual(['the', 'été']);
    const { store, handle } = fresh();
    // One transaction around the 1500 puts, as before (only this test uses the in-memory database).
    handle.sqlite.exec('BEGIN');
    try {
      for (let i = 0; i < 1500; i++) await store.put('default', 'm', `k${String(i).padStart(4, '0')}`, i === 7 ? 'the rare refund' : `the entry ${i}`, undefined, NOW);
      handle.sqlite.exec('COMMIT');
    } catch (e) {
      handle.sqlite.exec('ROLLBACK');
      throw e;
    }
    expect((await store.search('default', 'm', 'the refund', 5)).map((h) => h.key)).toEqual(['k0007']);
    // Alone, a common word still finds entries: the best of the newest SEARCH_CANDIDATES matches.
    const common = await store.search('default', 'm', 'the', 3);
    expect(common).toHaveLength(3);
    for (const h of common) expect(Number(h.key.slice(1))).toBeGreaterThanOrEqual(1500 - SEARCH_CANDIDATES);
  });

  test('every score is in 0–1', async () => {
    const { store } = fresh();
    for (let i = 0; i < 50; i++) await store.put('default', 'm', `k${i}`, `alpha ${'beta '.repeat(i % 7)} gamma${i % 3}`, undefined, NOW);
    for (const q of ['alpha', 'beta', 'gamma1 beta', 'alpha beta gamma2']) {
      const hits = await store.search('default', 'm', q, 100);
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) expect(h.score >= 0 && h.score <= 1).toBe(true);
      expect(hits[0].score).toBe(1);
    }
  });

  test('prefix listing takes % and _ literally and sorts by key', async () => {
    const { store } = fresh();
    for (const key of ['a%b', 'a_b', 'axb', 'a%', 'b', 'a\u00e9', 'A']) await store.put('default', 'm', key, key, undefined, NOW);
    expect((await store.list('default', 'm', 'a%', 10)).map((e) => e.key)).toEqual(['a%', 'a%b']);
    expect((await store.list('default', 'm', 'a_', 10)).map((e) => e.key)).toEqual(['a_b']);
    expect((await store.list('default', 'm', 'a', 10)).map((e) => e.key)).toEqual(['a%', 'a%b', 'a_b', 'axb', 'a\u00e9']);
    expect((await store.list('default', 'm', '', 3)).map((e) => e.key)).toEqual(['A', 'a%', 'a%b']);
    expect(await store.list('default', 'm', 'zz', 10)).toEqual([]);
  });

  test('embeddings round-trip; deleteAll empties one Memory only', async () => {
    const { store } = fresh();
    await store.put('default', 'm', 'v', 'x', new Float32Array([0.5, -1, 2]), NOW);
    await store.put('default', 'm', 'plain', 'y', undefined, NOW);
    await store.put('default', 'keep', 'k', 'z', undefined, NOW);
    expect(await store.get('default', 'm', 'v')).toEqual({ key: 'v', value: 'x', embedding: new Float32Array([0.5, -1, 2]) });
    expect(await store.get('default', 'm', 'plain')).toEqual({ key: 'plain', value: 'y' });
    expect((await Array.fromAsync(store.withEmbeddings('default', 'm'))).map((e) => e.key)).toEqual(['v']);
    expect(await store.scopes()).toEqual(expect.arrayContaining([{ namespace: 'default', memory: 'm' }, { namespace: 'default', memory: 'keep' }]));
    expect(await store.deleteAll('default', 'm')).toBe(2);
    expect(await store.count('default', 'm')).toBe(0);
    expect(await store.search('default', 'm', 'x', 10)).toEqual([]);
    expect(await store.count('default', 'keep')).toBe(1);
  });

  test('two connections to one file (server and worker) see each other\'s writes and index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-'));
    dirs.push(dir);
    const path = join(dir, 'orrery.db');
    const a = openDatabase(path);
    const b = openDatabase(path);
    const server = new MemoryEntryStore(a);
    const worker = new MemoryEntryStore(b);
    await worker.put('default', 'm', 'from-worker', 'written by the worker', undefined, NOW);
    await server.put('default', 'm', 'from-server', 'written by the server', undefined, NOW);
    expect((await server.search('default', 'm', 'worker', 10)).map((h) => h.key)).toEqual(['from-worker']);
    expect((await worker.list('default', 'm', 'from-', 10)).map((e) => e.key)).toEqual(['from-server', 'from-worker']);
    expect(await server.delete('default', 'm', 'from-worker')).toBe(true);
    expect(await worker.search('default', 'm', 'worker', 10)).toEqual([]);
    b.close();
    a.close();
  });

  test('entries survive closing and reopening the database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-'));
    dirs.push(dir);
    const path = join(dir, 'orrery.db');
    let handle = openDatabase(path);
    await new MemoryEntryStore(handle).put('default', 'm', 'k', 'persistent words', undefined, NOW);
    handle.close();
    handle = openDatabase(path);
    const store = new MemoryEntryStore(handle);
    expect(await store.get('default', 'm', 'k')).toEqual({ key: 'k', value: 'persistent words' });
    expect(await store.search('default', 'm', 'words', 10)).toEqual([{ key: 'k', value: 'persistent words', score: 1 }]);
    handle.close();
  });
});
