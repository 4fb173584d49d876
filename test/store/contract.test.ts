// The store contract: every backend (SQLite, PostgreSQL) keeps the same promises about rows,
// revisions, the change log and units of work. The PostgreSQL run uses a real server started by
// test/support/postgres.ts, in a database of its own.
import { afterAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { openDatabase } from '../../src/store/database';
import { PgResourceStore } from '../../src/store/pg/resource-store';
import { ResourceStore, VersionConflict } from '../../src/store/resource-store';
import { applyPgMigrations } from '../../src/store/pg/migrate';
import { freshDatabase } from '../support/postgres';
import { agentRow } from '../support/rows';

type Store = Pick<
  ResourceStore,
  'write' | 'read' | 'get' | 'list' | 'listByPhase' | 'currentRevision' | 'insert' | 'update' | 'delete' | 'snapshotIndex' | 'rowsByIds' | 'namespaces' | 'countByKind' | 'countByPhase'
>;

interface Backend {
  store: Store;
  /** The change log, oldest first: (revision, type, name). */
  changes(): Promise<[number, string, string][]>;
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function sqlite(): Promise<Backend> {
  const handle = openDatabase(':memory:');
  const store = new ResourceStore(handle);
  return {
    store,
    changes: async () => handle.sqlite.query<[number, string, string], []>('SELECT revision, type, name FROM changes ORDER BY revision').values() as [number, string, string][],
    close: async () => handle.close(),
  };
}

async function postgres(): Promise<Backend> {
  const pool = new SQL({ url: await freshDatabase('contract'), max: 24 });
  await applyPgMigrations(pool);
  const store = new PgResourceStore(pool);
  return {
    store,
    changes: async () => (await pool`SELECT revision, type, name FROM changes ORDER BY revision`).map((r: any) => [Number(r.revision), r.type, r.name]),
    close: () => pool.close(),
  };
}

const row = agentRow;

for (const [name, open] of [
  ['sqlite', sqlite],
  ['postgres', postgres],
] as const) {
  describe(`store contract: ${name}`, () => {
    const fresh = async () => {
      const b = await open();
      closers.push(b.close);
      return b;
    };

    test('insert, get, update, delete: each a new revision, each in the change log', async () => {
      const { store, changes } = await fresh();
      const added = await store.write(() => store.insert(row('a')));
      expect([added.revision, added.type, added.row.resourceVersion]).toEqual([1, 'added', 1]);
      const got = (await store.get('Agent', 'default', 'a'))!;
      expect(got).toEqual(added.row);
      const updated = await store.write(() => store.update({ ...got, spec: '{"model_ref":"n"}', generation: 2 }, 1));
      expect([updated.revision, updated.row.generation]).toEqual([2, 2]);
      expect((await store.get('Agent', 'default', 'a'))!.spec).toBe('{"model_ref":"n"}');
      const deleted = await store.write(() => store.delete(updated.row, '2026-01-02T00:00:00Z'));
      expect([deleted.revision, deleted.type, deleted.row.updatedAt]).toEqual([3, 'deleted', '2026-01-02T00:00:00Z']);
      expect(await store.get('Agent', 'default', 'a')).toBeUndefined();
      expect(await store.currentRevision()).toBe(3);
      expect(await changes()).toEqual([
        [1, 'added', 'a'],
        [2, 'updated', 'a'],
        [3, 'deleted', 'a'],
      ]);
    });

    test('a stale version is refused with VersionConflict and the write leaves nothing behind', async () => {
      const { store, changes } = await fresh();
      const a = await store.write(() => store.insert(row('a')));
      await store.write(() => store.update({ ...a.row, status: '{"phase":"x"}' }, 1));
      const stale = store.write(async () => {
        await store.insert(row('b'));
        return store.update({ ...a.row, status: '{"phase":"y"}' }, 1);
      });
      await expect(stale).rejects.toBeInstanceOf(VersionConflict);
      await expect(store.write(() => store.delete(a.row, 'now'))).rejects.toBeInstanceOf(VersionConflict);
      expect(await store.get('Agent', 'default', 'b')).toBeUndefined();
      expect(await store.currentRevision()).toBe(2);
      expect((await changes()).map((c) => c[0])).toEqual([1, 2]);
    });

    test('a unit of work commits whole or not at all; committed runs after the COMMIT', async () => {
      const { store } = await fresh();
      const seen: string[] = [];
      await expect(
        store.write(async () => {
          await store.insert(row('x'));
          throw new Error('refused after writing');
        }),
      ).rejects.toThrow('refused after writing');
      expect(await store.get('Agent', 'default', 'x')).toBeUndefined();
      const value = await store.write(
        async () => {
          await store.insert(row('y'));
          // A nested write joins the transaction; its failure rolls back only itself.
          await store
            .write(async () => {
              await store.insert(row('z'));
              throw new Error('inner');
            })
            .catch(() => undefined);
          await store.write(
            () => store.insert(row('w')),
            () => seen.push('inner committed'),
          );
          seen.push('outer body done');
          return 'ok';
        },
        () => seen.push('outer committed'),
      );
      expect(value).toBe('ok');
      expect(seen).toEqual(['outer body done', 'inner committed', 'outer committed']);
      expect([!!(await store.get('Agent', 'default', 'y')), !!(await store.get('Agent', 'default', 'z')), !!(await store.get('Agent', 'default', 'w'))]).toEqual([true, false, true]);
    });

    test('40 concurrent writers: distinct revisions with no gap, the change log in revision order', async () => {
      const { store, changes } = await fresh();
      const done = await Promise.all(Array.from({ length: 40 }, (_, i) => store.write(() => store.insert(row(`c${i}`)))));
      const revisions = done.map((c) => c.revision).sort((a, b) => a - b);
      expect(revisions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await changes()).map((c) => c[0])).toEqual(revisions);
      // Concurrent version-checked updates of one row: exactly one wins.
      const target = (await store.get('Agent', 'default', 'c0'))!;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.write(() => store.update({ ...target, spec: `{"n":${i}}` }, target.resourceVersion))),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof VersionConflict)).toHaveLength(9);
    });

    test('lists: keyset pages in (namespace, name) order, by namespace, by phase, and counts', async () => {
      const { store } = await fresh();
      await store.write(async () => {
        for (const [ns, name, phase] of [
          ['b', 'two', 'Running'],
          ['a', 'one', 'Pending'],
          ['a', 'three', ''],
          ['b', 'four', 'Succeeded'],
        ]) {
          await store.insert(row(name, { kind: 'Task', namespace: ns, status: phase ? JSON.stringify({ phase }) : '{}' }));
        }
        await store.insert(row('agent'));
      });
      const page = async (q: Parameters<Store['list']>[0]) => (await store.list(q)).map((r) => `${r.namespace}/${r.name}`);
      expect(await page({ kind: 'Task', limit: 10 })).toEqual(['a/one', 'a/three', 'b/four', 'b/two']);
      expect(await page({ kind: 'Task', limit: 2, after: { namespace: 'a', name: 'three' } })).toEqual(['b/four', 'b/two']);
      expect(await page({ kind: 'Task', namespace: 'b', limit: 10 })).toEqual(['b/four', 'b/two']);
      expect(await page({ kind: 'Task', namespace: 'a', limit: 10, after: { namespace: 'a', name: 'one' } })).toEqual(['a/three']);
      expect((await store.listByPhase('Task', ['Running', 'Pending'])).map((r) => r.name)).toEqual(['two', 'one']);
      expect((await store.listByPhase('Task', [''])).map((r) => r.name)).toEqual(['three']);
      expect(await store.listByPhase('Task', [])).toEqual([]);
      expect(await store.namespaces()).toEqual(['a', 'b', 'default']);
      expect(await store.countByKind()).toEqual({ Agent: 1, Task: 4 });
      expect(await store.countByPhase()).toEqual([
        { kind: 'Agent', phase: '', count: 1 },
        { kind: 'Task', phase: '', count: 1 },
        { kind: 'Task', phase: 'Pending', count: 1 },
        { kind: 'Task', phase: 'Running', count: 1 },
        { kind: 'Task', phase: 'Succeeded', count: 1 },
      ]);
      const snap = await store.snapshotIndex('Task', 3);
      const rows = await store.rowsByIds(Array.from(snap.ids));
      expect(rows.map((r) => r.name).sort()).toEqual(['one', 'three', 'two']);
      expect(Array.from(snap.bytes).every((n) => n > 0)).toBe(true);
    });

    test('a read sees one snapshot: the page and the revision agree', async () => {
      const { store } = await fresh();
      await store.write(() => store.insert(row('a')));
      const [items, revision] = await store.read(async () => [await store.list({ kind: 'Agent', limit: 10 }), await store.currentRevision()] as const);
      expect([items.length, revision]).toEqual([1, 1]);
    });
  });
}
