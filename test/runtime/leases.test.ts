// Claims, leases, takeover and fencing between workers sharing one store; claims that fail
// mid-batch and claims without the Task phase index.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '../../src/core';
import { TaskLeases } from '../../src/runtime/leases';
import { openStore } from '../../src/store/open-store';
import { systemClock } from '../../src/util/time';
import { testRegistry } from '../support/registry';
import { TEST_STORE } from '../support/backend';

function setup() {
  let now = new Date('2026-03-01T10:00:00Z');
  const clock = { now: () => now };
  const r = testRegistry(clock);
  const tasks = r.kind('tasks');
  const add = async (name: string, spec: Record<string, unknown> = {}) => await r.registry.apply(tasks, { metadata: { name }, spec: { system: 's', ...spec } }, {});
  const get = async (name: string) => await r.registry.getDecoded(tasks, 'default', name);
  return { ...r, tasks, add, get, advance: (ms: number) => (now = new Date(now.getTime() + ms)), leases: new TaskLeases(r.registry, clock, 30_000) };
}

describe('claims', () => {
  test('each due task is claimed once, oldest first; templates are never claimed', async () => {
    const { add, get, leases } = setup();
    await add('t1');
    await add('tmpl', { mode: 'template' });
    await add('t2');
    const a = (await leases.claimNextDue({ id: 'w-a' }))!;
    const b = (await leases.claimNextDue({ id: 'w-b' }))!;
    expect([a.metadata.name, b.metadata.name]).toEqual(['t1', 't2']);
    expect(await leases.claimNextDue({ id: 'w-c' })).toBeUndefined();
    expect((await get('t1')).status).toMatchObject({
      phase: 'Running',
      attempts: 1,
      claimedBy: 'w-a',
      assignedWorker: 'w-a',
      leaseUntil: '2026-03-01T10:00:30Z',
      startedAt: '2026-03-01T10:00:00Z',
      history: [{ type: 'claim', worker: 'w-a', timestamp: '2026-03-01T10:00:00Z', message: 'claimed by w-a (attempt 1)' }],
    });
    expect((await get('tmpl')).status.phase).toBe('Pending');
  });

  test('a retry scheduled for later is claimed only once it is due', async () => {
    const { add, registry, tasks, leases, advance } = setup();
    await add('retry');
    await registry.replaceStatus(tasks, 'default', 'retry', { status: { phase: 'Pending', attempts: 1, nextAttemptAt: '2026-03-01T10:05:00Z' } }, '*');
    expect(await leases.claimNextDue({ id: 'w' })).toBeUndefined();
    advance(5 * 60_000);
    const claimed = (await leases.claimNextDue({ id: 'w' }))!;
    expect(claimed.status.attempts).toBe(2);
    expect(claimed.status.nextAttemptAt).toBeUndefined();
  });

  test('requirements: region, gpu and model must fit the worker', async () => {
    const { add, leases } = setup();
    await add('gpu', { requirements: { gpu: true } });
    await add('eu', { requirements: { region: 'EU' } });
    await add('model', { requirements: { model: 'gpt-4o' } });
    expect(await leases.claimNextDue({ id: 'plain', region: 'us', models: ['llama3'] })).toBeUndefined();
    expect((await leases.claimNextDue({ id: 'eu-worker', region: 'eu', models: ['llama3'] }))?.metadata.name).toBe('eu');
    expect((await leases.claimNextDue({ id: 'any-model' }))?.metadata.name).toBe('model');
    expect((await leases.claimNextDue({ id: 'gpu-worker', gpu: true }))?.metadata.name).toBe('gpu');
  });
});

describe('leases', () => {
  test('renewal keeps the task; a lapsed lease is taken over and the old owner is fenced out', async () => {
    const { add, get, leases, advance } = setup();
    await add('t');
    await leases.claimNextDue({ id: 'old' });
    advance(20_000);
    expect(await leases.renew('default', 't', 'old')).toBe(true);
    expect((await get('t')).status.leaseUntil).toBe('2026-03-01T10:00:50Z');
    advance(25_000);
    expect(await leases.claimNextDue({ id: 'new' })).toBeUndefined();
    advance(10_000);
    // The owner skips what it runs right now; anyone else may take the lapsed lease.
    expect(await leases.claimNextDue({ id: 'old' }, new Set(['default/t']))).toBeUndefined();
    const taken = (await leases.claimNextDue({ id: 'new' }))!;
    expect(taken.status).toMatchObject({ claimedBy: 'new', attempts: 1, lastError: 'worker lease expired; task reassigned from old to new' });
    expect(taken.status.history.map((h: any) => h.type)).toEqual(['claim', 'takeover']);
    // The old owner can neither renew nor write progress any more.
    expect(await leases.renew('default', 't', 'old')).toBe(false);
    expect(await leases.fenced('default', 't', 'old', (s) => ({ ...s, output: { result: 'stale' } }))).toBeUndefined();
    const ok = await leases.fenced('default', 't', 'new', (s) => ({ ...s, output: { result: 'fresh' } }));
    expect(ok?.status.output).toEqual({ result: 'fresh' });
    expect((await get('t')).status.output).toEqual({ result: 'fresh' });
  });

  test('a restarted worker with the same id resumes its own task once the lease lapsed', async () => {
    const { add, leases, advance } = setup();
    await add('t');
    await leases.claimNextDue({ id: 'embedded' });
    advance(29_000);
    expect(await leases.claimNextDue({ id: 'embedded' })).toBeUndefined();
    advance(2_000);
    const resumed = (await leases.claimNextDue({ id: 'embedded' }))!;
    expect(resumed.status).toMatchObject({ claimedBy: 'embedded', attempts: 1, lastError: 'worker lease expired; task resumed by embedded' });
    expect(resumed.status.history.map((h: any) => h.type)).toEqual(['claim', 'takeover']);
  });

  test('four worker processes racing on one database claim every task exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-claims-'));
    const p = openStore(dir, undefined);
    const core = createCore({ backend: p, clock: systemClock });
    for (let i = 0; i < 20; i++) await core.registry.apply(core.registry.byPlural.get('tasks')!, { metadata: { name: `t${String(i).padStart(2, '0')}` }, spec: { system: 's' } }, {});
    core.stop();
    p.handle.close();
    const script = join(import.meta.dir, '../support/claim-once.ts');
    const procs = ['w1', 'w2', 'w3', 'w4'].map((w) => Bun.spawn([process.execPath, script, dir, w, '8'], { stdout: 'pipe', stderr: 'inherit', env: { ...process.env, START_DELAY_MS: '300' } }));
    const claims: string[][] = await Promise.all(procs.map(async (pr) => JSON.parse((await new Response(pr.stdout).text()).trim())));
    const all = claims.flat().sort();
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('batch claims', () => {
  // claimDue writes each claim as it goes; when a later claim throws (any error that is not a 409),
  // the tasks already claimed in the batch must go back to the caller: they are Running and leased
  // to this worker, and nobody else runs them until the lease lapses.
  // Looks inside the SQLite file: the PostgreSQL side is covered in test/store/*-contract.test.ts.
  test.skipIf(TEST_STORE === 'postgres')('a failing claim in the middle of a batch does not strand the claims before it', async () => {
    const { add, get, handle, leases, close } = setup();
    try {
      await add('t1');
      await add('t2');
      // A real store failure on the second claim's write (what a locked or broken database does).
      handle.sqlite.exec(`CREATE TEMP TRIGGER fail_t2 BEFORE UPDATE ON resources WHEN NEW.name = 't2' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
      expect((await leases.claimDue({ id: 'w' }, 2)).map((t) => t.metadata.name)).toEqual(['t1']);
      expect((await get('t1')).status).toMatchObject({ phase: 'Running', claimedBy: 'w', attempts: 1, leaseUntil: '2026-03-01T10:00:30Z' });
      expect((await get('t2')).status.phase).toBe('Pending');
      // With nothing claimed yet, the failure is the caller's to see (the worker logs it).
      await expect(leases.claimDue({ id: 'w' }, 2)).rejects.toThrow('disk I/O error');
    } finally {
      close();
    }
  });
});

describe('the Task phase index', () => {
  // Looks inside the SQLite file: the PostgreSQL side is covered in test/store/*-contract.test.ts.
  test.skipIf(TEST_STORE === 'postgres')('claims still work on a database whose phase index was dropped', async () => {
    const r = testRegistry(systemClock);
    try {
      await r.registry.apply(r.kind('tasks'), { metadata: { name: 't' }, spec: { system: 's' } }, {});
      r.handle.sqlite.exec('DROP INDEX resources_task_phase');
      expect((await new TaskLeases(r.registry, systemClock).claimNextDue({ id: 'w' }))?.metadata.name).toBe('t');
    } finally {
      r.close();
    }
  });
});
