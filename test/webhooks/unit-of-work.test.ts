// The registry's unit of work: a side write commits with the object or not at all, and commit
// listeners only hear of committed writes. The webhook dedupe table is the side write under test.
import { describe, expect, test } from 'bun:test';
import { testRegistry } from '../support/registry';
import { TEST_STORE } from '../support/backend';

const template = (name: string) => ({ apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name }, spec: { system: 'sys', mode: 'template' } });

describe('registry unit of work', () => {
  test('the side write commits in the same transaction as the object', async () => {
    const { registry, kind, backend, close } = testRegistry();
    const dedupe = backend.dedupe();
    const heard: string[] = [];
    const looks: Promise<unknown>[] = [];
    // A listener cannot wait: it starts its read when it hears of the change, and keeps the answer.
    registry.onCommit((c) => void looks.push(dedupe.get('ep', 'e1', 0).then((row) => heard.push(`${c.type} ${c.object.metadata.name} rows=${row ? 1 : 0}`))));
    await registry.apply(kind('tasks'), template('t1'), {}, { sideWrite: async ({ object, created }) => {
      expect(created).toBe(true);
      await dedupe.put('ep', 'e1', { taskNamespace: 'default', taskName: object.metadata.name }, 0, 1000);
    } });
    expect(await dedupe.get('ep', 'e1', 0)).toEqual({ taskNamespace: 'default', taskName: 't1' });
    await Promise.all(looks);
    // Listeners fire after the commit, so they already see the side row.
    expect(heard).toEqual(['added t1 rows=1']);
    close();
  });

  test('a throwing side write rolls the object back and no listener hears of it', async () => {
    const { registry, kind, backend, close } = testRegistry();
    const dedupe = backend.dedupe();
    const heard: string[] = [];
    registry.onCommit((c) => heard.push(c.object.metadata.name));
    const revision = await registry.currentRevision();
    await expect(
      registry.apply(kind('tasks'), template('t2'), {}, { sideWrite: async () => {
        await dedupe.put('ep', 'e2', { taskNamespace: 'default', taskName: 't2' }, 0, 1000);
        throw new Error('refused');
      } }),
    ).rejects.toThrow('refused');
    expect(await registry.findDecoded(kind('tasks'), 'default', 't2')).toBeUndefined();
    expect(await dedupe.get('ep', 'e2', 0)).toBeUndefined();
    expect(await registry.currentRevision()).toBe(revision);
    expect(heard).toEqual([]);
    close();
  });

  test('dedupe rows: insert-if-absent keeps the first task, expired keys are replaced and pruned', async () => {
    const { backend, close } = testRegistry();
    const dedupe = backend.dedupe();
    expect(await dedupe.put('ep', 'e', { taskNamespace: 'ns', taskName: 'first' }, 0, 1000)).toEqual({ taskNamespace: 'ns', taskName: 'first' });
    expect(await dedupe.put('ep', 'e', { taskNamespace: 'ns', taskName: 'second' }, 10, 1010)).toEqual({ taskNamespace: 'ns', taskName: 'first' });
    expect(await dedupe.get('ep', 'e', 999)).toEqual({ taskNamespace: 'ns', taskName: 'first' });
    expect(await dedupe.get('ep', 'e', 1000)).toBeUndefined();
    expect(await dedupe.put('ep', 'e', { taskNamespace: 'ns', taskName: 'third' }, 1000, 2000)).toEqual({ taskNamespace: 'ns', taskName: 'third' });
    await dedupe.put('ep', 'other', { taskNamespace: 'ns', taskName: 'x' }, 0, 500);
    expect(await dedupe.prune(1500)).toBe(1);
    expect(await dedupe.prune(2000)).toBe(1);
    close();
  });

  // Looks inside the SQLite file: the PostgreSQL side is covered in test/store/*-contract.test.ts.
  test.skipIf(TEST_STORE === 'postgres')('the endpoint lookup uses the partial json_extract index', () => {
    const { handle, close } = testRegistry();
    const plan = handle.sqlite
      .query("EXPLAIN QUERY PLAN SELECT namespace, name FROM resources WHERE json_extract(status, '$.endpointID') = ?1 AND kind = 'TaskWebhook' LIMIT 1")
      .all('x') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('resources_webhook_endpoint');
    close();
  });
});
