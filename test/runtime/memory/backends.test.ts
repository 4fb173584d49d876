// The per-process backends: sqlite is the default, backends are kept per Memory until its uid or
// generation changes, forget deletes the Memory's entries, pgvector and unknown providers fail
// naming spec.provider.
import { describe, expect, test } from 'bun:test';
import { silentLogger } from '../../../src/log';
import { createMemoryBackends } from '../../../src/runtime/memory/backends';
import { MemoryError } from '../../../src/runtime/memory/types';
import { openDatabase } from '../../../src/store/database';
import { MemoryEntryStore } from '../../../src/store/memory-entries';
import { systemClock } from '../../../src/util/time';

function setup() {
  const entries = new MemoryEntryStore(openDatabase(':memory:'));
  const backends = createMemoryBackends({ entries, endpoint: () => undefined, secret: () => undefined, clock: systemClock, log: silentLogger });
  return { entries, backends };
}
const memory = (name: string, spec: Record<string, unknown>, uid = 'u1', generation = 1) => ({ metadata: { name, namespace: 'team', uid, generation }, spec });

describe('memory backends', () => {
  test('sqlite is the default and writes to the database', async () => {
    const { entries, backends } = setup();
    const b = await backends.backendFor(memory('notes', {}));
    await b.put('k', 'v');
    expect(await entries.get('team', 'notes', 'k')).toEqual({ key: 'k', value: 'v' });
    expect(backends.providerNames()).toEqual(['sqlite', 'in-memory', 'http', 'pgvector']);
  });

  test('a backend is kept until the uid or generation changes', async () => {
    const { backends } = setup();
    const a = await backends.backendFor(memory('scratch', { provider: 'in-memory' }));
    await a.put('k', 'v');
    expect(await backends.backendFor(memory('scratch', { provider: 'in-memory' }))).toBe(a);
    const b = await backends.backendFor(memory('scratch', { provider: 'memory' }, 'u1', 2));
    expect(b).not.toBe(a);
    expect(await b.get('k')).toBeUndefined();
    const c = await backends.backendFor(memory('scratch', { provider: 'memory' }, 'u2', 2));
    expect(c).not.toBe(b);
  });

  test('forget deletes the entries of that Memory only and drops its backend', async () => {
    const { entries, backends } = setup();
    const b = await backends.backendFor(memory('gone', {}));
    await b.put('a', '1');
    await b.put('b', '2');
    await (await backends.backendFor(memory('kept', {}, 'u9'))).put('a', '1');
    await backends.forget('team', 'gone');
    expect(await entries.count('team', 'gone')).toBe(0);
    expect(await entries.count('team', 'kept')).toBe(1);
    const again = await backends.backendFor(memory('gone', {}));
    expect(again).not.toBe(b);
    expect(await again.list('', 10)).toEqual([]);
  });

  test('pgvector and unknown providers fail naming spec.provider; a failed build is retried', async () => {
    const { backends } = setup();
    const pg = await backends.backendFor(memory('pg', { provider: 'pgvector', embedding_model: 'e' })).catch((e) => e);
    expect(pg).toBeInstanceOf(MemoryError);
    expect(pg.field).toBe('spec.provider');
    expect(pg.message).toContain('pgvector, which needs a PostgreSQL store that this server does not have yet');
    const unknown = await backends.backendFor(memory('x', { provider: 'redis' })).catch((e) => e);
    expect(unknown.message).toBe('spec.provider: unknown memory provider "redis"; this server has sqlite, in-memory, http, pgvector');
    const http = await backends.backendFor(memory('h', { provider: 'http' })).catch((e) => e);
    expect(http.field).toBe('spec.endpoint');
    // Same uid and generation, now valid: built, not the cached failure.
    const ok = await backends.backendFor({ ...memory('h', { provider: 'in-memory' }) });
    await ok.ping();
  });
});
