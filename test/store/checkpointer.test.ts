// The background checkpointer copies the WAL into the database from its own thread.
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { Checkpointer } from '../../src/store/checkpointer';
import { DB_FILE, openStore } from '../../src/store/open-store';

test('a PASSIVE checkpoint on the worker thread moves every WAL frame into the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-ckpt-'));
  const p = openStore(dir, undefined);
  p.handle.sqlite.exec('PRAGMA wal_autocheckpoint = 0');
  let failed = false;
  const ck = new Checkpointer(join(dir, DB_FILE), silentLogger, () => (failed = true), 60_000);
  const registry = new Registry(kinds, p, { now: () => new Date() });
  const def = registry.byPlural.get('agents')!;
  const before = statSync(join(dir, DB_FILE)).size;
  for (let i = 0; i < 500; i++) await registry.apply(def, { metadata: { name: `a${i}` }, spec: { model_ref: 'm', prompt: 'x'.repeat(200) } }, {});
  const r = await ck.checkpoint();
  expect(r.log).toBeGreaterThan(0);
  expect(r.checkpointed).toBe(r.log);
  expect(statSync(join(dir, DB_FILE)).size).toBeGreaterThan(before);
  await ck.stop();
  expect(failed).toBe(false);
  p.handle.close();
  rmSync(dir, { recursive: true, force: true });
});
