// The Memory controller over a real registry and database: Ready for sqlite and in-memory, Error
// (naming the cause) for an http backend that is down and for pgvector, recovery on the next
// pass, and deletion taking the Memory's entries with it (also those left while no server ran).
import { afterEach, describe, expect, test } from 'bun:test';
import { processMemoryBackends } from '../../src/cli/memory-backends';
import { MemoryController } from '../../src/controllers/memories';
import type { Schedule } from '../../src/controllers/work-queue';
import { silentLogger } from '../../src/log';
import { systemClock } from '../../src/util/time';
import { testRegistry } from '../support/registry';

const never: Schedule = () => ({ cancel() {} });
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
});

function world() {
  const r = testRegistry();
  const entries = r.backend.memory();
  const backends = processMemoryBackends({ entries, registry: r.registry, clock: systemClock, log: silentLogger, env: {} });
  const controller = new MemoryController({ registry: r.registry, backends, storedScopes: backends.storedScopes }, silentLogger, { queue: { schedule: never }, schedule: never });
  cleanups.push(() => (controller.stop(), backends.close(), r.close()));
  const apply = async (name: string, spec: Record<string, unknown>) => (await r.registry.apply(r.kind('memories'), { metadata: { name }, spec }, {})).object;
  const status = async (name: string) => (await r.registry.getDecoded(r.kind('memories'), 'default', name)).status;
  return { r, entries, backends, controller, apply, status };
}

/** A URL where nothing listens. */
function deadUrl(): string {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') });
  const url = s.url.origin;
  void s.stop(true);
  return url;
}

describe('Memory controller', () => {
  test('sqlite (the default) and in-memory become Ready with observedGeneration', async () => {
    const w = world();
    await w.controller.start();
    await w.apply('notes', {});
    await w.apply('scratch', { provider: 'in-memory' });
    await w.controller.idle();
    expect(await w.status('notes')).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect(await w.status('scratch')).toEqual({ phase: 'Ready', observedGeneration: 1 });
  });

  test('an http backend that is down and pgvector are Error with the reason; a fixed spec turns Ready', async () => {
    const w = world();
    await w.controller.start();
    const url = deadUrl();
    await w.apply('remote', { provider: 'http', endpoint: url });
    await w.apply('pg', { provider: 'pgvector', embedding_model: 'embedder', endpoint: 'postgres://db/memory' });
    await w.controller.idle();
    const remote = (await w.status('remote'))!;
    expect(remote.phase).toBe('Error');
    expect(remote.lastError).toStartWith(`http memory ${url}: ping failed`);
    expect(await w.status('pg')).toEqual({
      phase: 'Error',
      observedGeneration: 1,
      lastError: expect.stringContaining('spec.provider: Memory default/pg uses pgvector, which needs a PostgreSQL store'),
    });
    // A reachable adapter, then the spec change: Ready again without lastError.
    const up = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ status: 'ok' }) });
    cleanups.push(() => up.stop(true));
    await w.apply('remote', { provider: 'http', endpoint: up.url.origin });
    await w.controller.idle();
    expect(await w.status('remote')).toEqual({ phase: 'Ready', observedGeneration: 2 });
  });

  test('the periodic pass notices a backend that went down', async () => {
    const w = world();
    const up = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ status: 'ok' }) });
    await w.controller.start();
    await w.apply('remote', { provider: 'http', endpoint: up.url.origin });
    await w.controller.idle();
    expect((await w.status('remote'))!.phase).toBe('Ready');
    await up.stop(true);
    await w.controller.resync();
    await w.controller.idle();
    expect((await w.status('remote'))!.phase).toBe('Error');
  });

  test('deleting a Memory deletes its entries; re-created under the same name it starts empty', async () => {
    const w = world();
    await w.controller.start();
    await w.apply('notes', {});
    await w.apply('other', {});
    const obj = await w.r.registry.getDecoded(w.r.kind('memories'), 'default', 'notes');
    await (await w.backends.backendFor(obj)).put('k1', 'v1');
    await (await w.backends.backendFor(obj)).put('k2', 'v2');
    await (await w.backends.backendFor(await w.r.registry.getDecoded(w.r.kind('memories'), 'default', 'other'))).put('k', 'v');
    await w.r.registry.delete(w.r.kind('memories'), 'default', 'notes');
    // The controller deletes the entries when it hears of the deletion (at once on SQLite, after a
    // round trip on PostgreSQL).
    for (let i = 0; i < 100 && (await w.entries.count('default', 'notes')) > 0; i++) await Bun.sleep(10);
    expect(await w.entries.count('default', 'notes')).toBe(0);
    expect(await w.entries.count('default', 'other')).toBe(1);
    const again = await w.apply('notes', {});
    expect(await (await w.backends.backendFor(again)).list('', 10)).toEqual([]);
    await w.controller.idle();
  });

  test('at start, entries of Memories that no longer exist are deleted', async () => {
    const w = world();
    await w.apply('kept', {});
    await w.entries.put('default', 'kept', 'k', 'v', undefined, 'now');
    await w.entries.put('default', 'gone', 'k', 'v', undefined, 'now');
    await w.controller.start();
    await w.controller.idle();
    expect(await w.entries.scopes()).toEqual([{ namespace: 'default', memory: 'kept' }]);
  });
});
