// The in-memory provider: a per-process map with sorted prefix listing and case-insensitive
// substring search scoring 1.0.
import { describe, expect, test } from 'bun:test';
import { inMemoryBackend } from '../../../src/runtime/memory/in-memory';

describe('in-memory memory backend', () => {
  test('put, get, list, search, delete', async () => {
    const b = inMemoryBackend();
    await b.put('notes/b', 'Second Note');
    await b.put('notes/a', 'first note');
    await b.put('other', 'NOTHING here');
    await b.put('notes/a', 'first note, edited');
    expect(await b.get('notes/a')).toEqual({ key: 'notes/a', value: 'first note, edited' });
    expect(await b.get('missing')).toBeUndefined();
    expect(await b.list('notes/', 10)).toEqual([
      { key: 'notes/a', value: 'first note, edited' },
      { key: 'notes/b', value: 'Second Note' },
    ]);
    expect(await b.list('', 1)).toEqual([{ key: 'notes/a', value: 'first note, edited' }]);
    expect(await b.search('NOTE', 10)).toEqual([
      { key: 'notes/a', value: 'first note, edited', score: 1 },
      { key: 'notes/b', value: 'Second Note', score: 1 },
    ]);
    expect(await b.search('OTHER', 10)).toEqual([{ key: 'other', value: 'NOTHING here', score: 1 }]);
    expect(await b.search('  ', 10)).toEqual([]);
    expect(await b.search('note', 1)).toHaveLength(1);
    expect(await b.delete('other')).toBe(true);
    expect(await b.delete('other')).toBe(false);
    await b.ping();
    b.close?.();
    expect(await b.list('', 10)).toEqual([]);
  });
});
