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
  test('the keyword index follows upserts and deletes', () => {
    const { store, handle } = fresh();
    store.put('default', 'notes', 'a', 'the quick brown fox', undefined, NOW);
    store.put('default', 'notes', 'b', 'a lazy dog', undefined, NOW);
    expect(store.search('default', 'notes', 'fox', 10).map((e) => e.key)).toEqual(['a']);
    store.put('default', 'notes', 'a', 'a sleepy cat', undefined, NOW);
    expect(store.search('default', 'notes', 'fox', 10)).toEqual([]);
    expect(store.search('default', 'notes', 'cat', 10)).toEqual([{ key: 'a', value: 'a sleepy cat', score: 1 }]);
    expect(store.delete('default', 'notes', 'a')).toBe(true);
    expect(store.delete('default', 'notes', 'a')).toBe(false);
    expect(store.search('default', 'notes', 'cat', 10)).toEqual([]);
    // FTS5's own consistency check against the content table: throws when the index drifted.
    expect(() => handle.sqlite.exec("INSERT INTO memory_entries_fts(memory_entries_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    expect(store.count('default', 'notes')).toBe(1);
  });

  test('search is scoped to one Memory and ranks better matches first', () => {
    const { store } = fresh();
    store.put('default', 'notes', 'k1', 'budget planning for the budget year', undefined, NOW);
    store.put('default', 'notes', 'k2', 'planning a holiday', undefined, NOW);
    store.put('default', 'notes', 'k3', 'unrelated', undefined, NOW);
    store.put('default', 'other', 'k1', 'budget planning', undefined, NOW);
    store.put('team', 'notes', 'k1', 'budget planning', undefined, NOW);
    const hits = store.search('default', 'notes', 'budget planning', 10);
    expect(hits.map((h) => h.key)).toEqual(['k1', 'k2']);
    expect(hits[0].score).toBe(1);
    expect(hits[1].score).toBeGreaterThan(0);
    expect(hits[1].score).toBeLessThan(1);
    expect(store.search('default', 'notes', 'budget planning', 1).map((h) => h.key)).toEqual(['k1']);
  });

  test('keys are searched too, as words', () => {
    const { store } = fresh();
    store.put('default', 'docs', 'handbook/chunk-0003', 'text', undefined, NOW);
    expect(store.search('default', 'docs', 'handbook', 5).map((h) => h.key)).toEqual(['handbook/chunk-0003']);
  });

  test('query text is never FTS5 syntax', () => {
    const { store } = fresh();
    store.put('default', 'm', 'k', 'and or not near value', undefined, NOW);
    for (const q of ['"', 'AND', 'OR', 'NOT', '*', '-', '', '   ', 'a:b', 'NEAR(', '(x', "'", '^', 'key:*', '""""', '{x y}']) {
      expect(() => store.search('default', 'm', q, 10)).not.toThrow();
    }
    expect(store.search('default', 'm', 'AND', 10).map((h) => h.key)).toEqual(['k']);
    expect(store.search('default', 'm', '', 10)).toEqual([]);
    expect(store.search('default', 'm', '*-"', 10)).toEqual([]);
    expect(ftsQuery(queryWords('Foo "bar" foo -baz*'))).toBe('"foo" OR "bar" OR "baz"');
  });

  test('near-universal words are left out when the query has rarer ones', () => {
    expect(selectiveWords(['the', 'refund', 'policy'], [5000, 3, 40])).toEqual(['refund', 'policy']);
    expect(selectiveWords(['the', 'a'], [5000, 4000])).toEqual(['the', 'a']);
    expect(selectiveWords(['the', 'été'], [5000, 0])).toEqual(['the', 'été']);
    const { store, handle } = fresh();
    const put = handle.sqlite.transaction(() => {
      for (let i = 0; i < 1500; i++) store.put('default', 'm', `k${String(i).padStart(4, '0')}`, i === 7 ? 'the rare refund' : `the entry ${i}`, undefined, NOW);
    });
    put();
    expect(store.search('default', 'm', 'the refund', 5).map((h) => h.key)).toEqual(['k0007']);
    // Alone, a common word still finds entries: the best of the newest SEARCH_CANDIDATES matches.
    const common = store.search('default', 'm', 'the', 3);
    expect(common).toHaveLength(3);
    for (const h of common) expect(Number(h.key.slice(1))).toBeGreaterThanOrEqual(1500 - SEARCH_CANDIDATES);
  });

  test('every score is in 0–1', () => {
    const { store } = fresh();
    for (let i = 0; i < 50; i++) store.put('default', 'm', `k${i}`, `alpha ${'beta '.repeat(i % 7)} gamma${i % 3}`, undefined, NOW);
    for (const q of ['alpha', 'beta', 'gamma1 beta', 'alpha beta gamma2']) {
      const hits = store.search('default', 'm', q, 100);
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) expect(h.score >= 0 && h.score <= 1).toBe(true);
      expect(hits[0].score).toBe(1);
    }
  });

  test('prefix listing takes % and _ literally and sorts by key', () => {
    const { store } = fresh();
    for (const key of ['a%b', 'a_b', 'axb', 'a%', 'b', 'a\u00e9', 'A']) store.put('default', 'm', key, key, undefined, NOW);
    expect(store.list('default', 'm', 'a%', 10).map((e) => e.key)).toEqual(['a%', 'a%b']);
    expect(store.list('default', 'm', 'a_', 10).map((e) => e.key)).toEqual(['a_b']);
    expect(store.list('default', 'm', 'a', 10).map((e) => e.key)).toEqual(['a%', 'a%b', 'a_b', 'axb', 'a\u00e9']);
    expect(store.list('default', 'm', '', 3).map((e) => e.key)).toEqual(['A', 'a%', 'a%b']);
    expect(store.list('default', 'm', 'zz', 10)).toEqual([]);
  });

  test('embeddings round-trip; deleteAll empties one Memory only', () => {
    const { store } = fresh();
    store.put('default', 'm', 'v', 'x', new Float32Array([0.5, -1, 2]), NOW);
    store.put('default', 'm', 'plain', 'y', undefined, NOW);
    store.put('default', 'keep', 'k', 'z', undefined, NOW);
    expect(store.get('default', 'm', 'v')).toEqual({ key: 'v', value: 'x', embedding: new Float32Array([0.5, -1, 2]) });
    expect(store.get('default', 'm', 'plain')).toEqual({ key: 'plain', value: 'y' });
    expect([...store.withEmbeddings('default', 'm')].map((e) => e.key)).toEqual(['v']);
    expect(store.scopes()).toEqual(expect.arrayContaining([{ namespace: 'default', memory: 'm' }, { namespace: 'default', memory: 'keep' }]));
    expect(store.deleteAll('default', 'm')).toBe(2);
    expect(store.count('default', 'm')).toBe(0);
    expect(store.search('default', 'm', 'x', 10)).toEqual([]);
    expect(store.count('default', 'keep')).toBe(1);
  });

  test('two connections to one file (server and worker) see each other\'s writes and index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-'));
    dirs.push(dir);
    const path = join(dir, 'orrery.db');
    const a = openDatabase(path);
    const b = openDatabase(path);
    const server = new MemoryEntryStore(a);
    const worker = new MemoryEntryStore(b);
    worker.put('default', 'm', 'from-worker', 'written by the worker', undefined, NOW);
    server.put('default', 'm', 'from-server', 'written by the server', undefined, NOW);
    expect(server.search('default', 'm', 'worker', 10).map((h) => h.key)).toEqual(['from-worker']);
    expect(worker.list('default', 'm', 'from-', 10).map((e) => e.key)).toEqual(['from-server', 'from-worker']);
    expect(server.delete('default', 'm', 'from-worker')).toBe(true);
    expect(worker.search('default', 'm', 'worker', 10)).toEqual([]);
    b.close();
    a.close();
  });

  test('entries survive closing and reopening the database file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-'));
    dirs.push(dir);
    const path = join(dir, 'orrery.db');
    let handle = openDatabase(path);
    new MemoryEntryStore(handle).put('default', 'm', 'k', 'persistent words', undefined, NOW);
    handle.close();
    handle = openDatabase(path);
    const store = new MemoryEntryStore(handle);
    expect(store.get('default', 'm', 'k')).toEqual({ key: 'k', value: 'persistent words' });
    expect(store.search('default', 'm', 'words', 10)).toEqual([{ key: 'k', value: 'persistent words', score: 1 }]);
    handle.close();
  });
});
