// The store's promises: version-checked writes (exactly one concurrent writer wins) and nothing
// lost across a restart on a real database file.
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { openStore } from '../../src/store/open-store';
import { fixtures } from '../fixtures/kinds';
import { testApp } from '../support/app';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'orrery-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const open = (dir: string) => {
  const p = openStore(dir, undefined);
  return { p, registry: new Registry(kinds, p, { now: () => new Date() }) };
};

describe('concurrent conflicting updates', () => {
  test('in one process: of 20 PUTs with the same If-Match exactly one wins', async () => {
    const { call } = testApp();
    await call('POST', '/v1/agents', { metadata: { name: 'a' }, spec: { model_ref: 'm' } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call('PUT', '/v1/agents/a', { metadata: { name: 'a' }, spec: { model_ref: `m${i}` } }, { 'if-match': '"1"' })),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(19);
    const final = await call('GET', '/v1/agents/a');
    expect(final.json.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });
  });

  test('across processes on one database file: exactly one of four writers wins', async () => {
    const dir = tempDir();
    const { p, registry } = open(dir);
    await registry.apply(registry.byPlural.get('agents')!, { metadata: { name: 'shared' }, spec: { model_ref: 'start' } }, {});
    p.handle.close();
    const script = join(import.meta.dir, '../support/update-once.ts');
    const procs = Array.from({ length: 4 }, (_, i) =>
      Bun.spawn([process.execPath, script, dir, `writer-${i}`], { stdout: 'pipe', stderr: 'inherit', env: { ...process.env, START_DELAY_MS: '300' } }),
    );
    const outs = await Promise.all(procs.map(async (pr) => (await new Response(pr.stdout).text()).trim()));
    expect(outs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outs.filter((o) => o === 'lost:Conflict')).toHaveLength(3);
    const again = open(dir);
    const obj = await again.registry.get(again.registry.byPlural.get('agents')!, 'default', 'shared');
    expect(obj.metadata.resourceVersion).toBe('2');
    expect(obj.spec.model_ref).toMatch(/^writer-\d$/);
    again.p.handle.close();
  });
});

describe('restart on a real database file', () => {
  test('every object, revision, generation and status survives a close and reopen', async () => {
    const dir = tempDir();
    const first = open(dir);
    for (const def of kinds) {
      await first.registry.apply(def, { metadata: { name: 'keep', labels: { k: 'v' } }, spec: fixtures[def.plural].spec }, { queryNamespace: 'ns1' });
      await first.registry.apply(def, { metadata: { name: 'keep' }, spec: fixtures[def.plural].changed }, { queryNamespace: 'ns1' });
      await first.registry.replaceStatus(def, 'ns1', 'keep', { status: { phase: def.phases[0], lastError: 'remembered' } }, '*');
    }
    const before = [];
    for (const def of kinds) before.push(await first.registry.getDecoded(def, 'ns1', 'keep'));
    const revision = await first.registry.currentRevision();
    expect(revision).toBe(kinds.length * 3);
    first.p.handle.close();

    const second = open(dir);
    expect(await second.registry.currentRevision()).toBe(revision);
    const after = [];
    for (const def of kinds) after.push(await second.registry.getDecoded(def, 'ns1', 'keep'));
    expect(after).toEqual(before);
    for (const o of after) {
      expect(o.metadata.generation).toBe(2);
      expect(o.status.lastError).toBe('remembered');
    }
    const next = await second.registry.apply(kinds[0], { metadata: { name: 'new' }, spec: fixtures[kinds[0].plural].spec }, {});
    expect(next.object.metadata.resourceVersion).toBe(String(revision + 1));
    second.p.handle.close();
  });

  test('a different secret encryption key is refused at start with a clear message', () => {
    const dir = tempDir();
    const { p } = open(dir);
    p.handle.close();
    expect(() => openStore(dir, 'ab'.repeat(32))).toThrow(/not the key this database was written with/);
    expect(() => openStore(dir, 'short')).toThrow(/64 hex characters or base64 of 32 bytes/);
  });

  test('a failed write leaves nothing behind: no object, no revision, no change row', async () => {
    const dir = tempDir();
    const { p, registry } = open(dir);
    const def = registry.byPlural.get('agents')!;
    await expect(registry.apply(def, { metadata: { name: 'x' }, spec: {} }, {})).rejects.toThrow();
    expect(await registry.currentRevision()).toBe(0);
    expect(p.handle.sqlite.query('select count(*) as n from changes').get()).toEqual({ n: 0 });
    expect(p.handle.sqlite.query('select count(*) as n from resources').get()).toEqual({ n: 0 });
    p.handle.close();
  });
});

describe('row mapping', () => {
  test('list rows match what drizzle maps for the same rows, column for column', async () => {
    const dir = tempDir();
    const { p, registry } = open(dir);
    const def = registry.byPlural.get('agents')!;
    await registry.apply(def, { metadata: { name: 'a', labels: { x: 'y' } }, spec: { model_ref: 'm' } }, {});
    const { resources } = require('../../db/schema') as typeof import('../../db/schema');
    expect(await p.store.list({ kind: 'Agent', limit: 10 })).toEqual(p.handle.db.select().from(resources).all());
    p.handle.close();
  });
});
