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

function setup() {
  let now = new Date('2026-03-01T10:00:00Z');
  const clock = { now: () => now };
  const r = testRegistry(clock);
  const tasks = r.kind('tasks');
  const add = (name: string, spec: Record<string, unknown> = {}) => r.registry.apply(tasks, { metadata: { name }, spec: { system: 's', ...spec } }, {});
  const get = (name: string) => r.registry.getDecoded(tasks, 'default', name);
  return { ...r, tasks, add, get, advance: (ms: number) => (now = new Date(now.getTime() + ms)), leases: new TaskLeases(r.registry, clock, 30_000) };
}

describe('claims', () => {
  test('each due task is claimed once, oldest first; templates are never claimed', () => {
    const { add, get, leases } = setup();
    add('t1');
    add('tmpl', { mode: 'template' });
    add('t2');
    const a = leases.claimNextDue({ id: 'w-a' })!;
    const b = leases.claimNextDue({ id: 'w-b' })!;
    expect([a.metadata.name, b.metadata.name]).toEqual(['t1', 't2']);
    expect(leases.claimNextDue({ id: 'w-c' })).toBeUndefined();
    expect(get('t1').status).toMatchObject({
      phase: 'Running',
      attempts: 1,
      claimedBy: 'w-a',
      assignedWorker: 'w-a',
      leaseUntil: '2026-03-01T10:00:30Z',
      startedAt: '2026-03-01T10:00:00Z',
      history: [{ type: 'claim', worker: 'w-a', timestamp: '2026-03-01T10:00:00Z', message: 'claimed by w-a (attempt 1)' }],
    });
    expect(get('tmpl').status.phase).toBe('Pending');
  });

  test('a retry scheduled for later is claimed only once it is due', () => {
    const { add, registry, tasks, leases, advance } = setup();
    add('retry');
    registry.replaceStatus(tasks, 'default', 'retry', { status: { phase: 'Pending', attempts: 1, nextAttemptAt: '2026-03-01T10:05:00Z' } }, '*');
    expect(leases.claimNextDue({ id: 'w' })).toBeUndefined();
    advance(5 * 60_000);
    const claimed = leases.claimNextDue({ id: 'w' })!;
    expect(claimed.status.attempts).toBe(2);
    expect(claimed.status.nextAttemptAt).toBeUndefined();
  });

  test('requirements: region, gpu and model must fit the worker', () => {
    const { add, leases } = setup();
    add('gpu', { requirements: { gpu: true } });
    add('eu', { requirements: { region: 'EU' } });
    add('model', { requirements: { model: 'gpt-4o' } });
    expect(leases.claimNextDue({ id: 'plain', region: 'us', models: ['llama3'] })).toBeUndefined();
    expect(leases.claimNextDue({ id: 'eu-worker', region: 'eu', models: ['llama3'] })?.metadata.name).toBe('eu');
    expect(leases.claimNextDue({ id: 'any-model' })?.metadata.name).toBe('model');
    expect(leases.claimNextDue({ id: 'gpu-worker', gpu: true })?.metadata.name).toBe('gpu');
  });
});

describe('leases', () => {
  test('renewal keeps the task; a lapsed lease is taken over and the old owner is fenced out', () => {
    const { add, get, leases, advance } = setup();
    add('t');
    leases.claimNextDue({ id: 'old' });
    advance(20_000);
    expect(leases.renew('default', 't', 'old')).toBe(true);
    expect(get('t').status.leaseUntil).toBe('2026-03-01T10:00:50Z');
    advance(25_000);
    expect(leases.claimNextDue({ id: 'new' })).toBeUndefined();
    advance(10_000);
    // The owner skips what it runs right now; anyone else may take the lapsed lease.
    expect(leases.claimNextDue({ id: 'old' }, new Set(['default/t']))).toBeUndefined();
    const taken = leases.claimNextDue({ id: 'new' })!;
    expect(taken.status).toMatchObject({ claimedBy: 'new', attempts: 1, lastError: 'worker lease expired; task reassigned from old to new' });
    expect(taken.status.history.map((h: any) => h.type)).toEqual(['claim', 'takeover']);
    // The old owner can neither renew nor write progress any more.
    expect(leases.renew('default', 't', 'old')).toBe(false);
    expect(leases.fenced('default', 't', 'old', (s) => ({ ...s, output: { result: 'stale' } }))).toBeUndefined();
    const ok = leases.fenced('default', 't', 'new', (s) => ({ ...s, output: { result: 'fresh' } }));
    expect(ok?.status.output).toEqual({ result: 'fresh' });
    expect(get('t').status.output).toEqual({ result: 'fresh' });
  });

  test('a restarted worker with the same id resumes its own task once the lease lapsed', () => {
    const { add, leases, advance } = setup();
    add('t');
    leases.claimNextDue({ id: 'embedded' });
    advance(29_000);
    expect(leases.claimNextDue({ id: 'embedded' })).toBeUndefined();
    advance(2_000);
    const resumed = leases.claimNextDue({ id: 'embedded' })!;
    expect(resumed.status).toMatchObject({ claimedBy: 'embedded', attempts: 1, lastError: 'worker lease expired; task resumed by embedded' });
    expect(resumed.status.history.map((h: any) => h.type)).toEqual(['claim', 'takeover']);
  });

  test('four worker processes racing on one database claim every task exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-claims-'));
    const p = openStore(dir, undefined);
    const core = createCore({ handle: p.handle, store: p.store, cipher: p.cipher, clock: systemClock });
    for (let i = 0; i < 20; i++) core.registry.apply(core.registry.byPlural.get('tasks')!, { metadata: { name: `t${String(i).padStart(2, '0')}` }, spec: { system: 's' } }, {});
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
  test('a failing claim in the middle of a batch does not strand the claims before it', () => {
    const { add, get, handle, leases, close } = setup();
    try {
      add('t1');
      add('t2');
      // A real store failure on the second claim's write (what a locked or broken database does).
      handle.sqlite.exec(`CREATE TEMP TRIGGER fail_t2 BEFORE UPDATE ON resources WHEN NEW.name = 't2' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
      expect(leases.claimDue({ id: 'w' }, 2).map((t) => t.metadata.name)).toEqual(['t1']);
      expect(get('t1').status).toMatchObject({ phase: 'Running', claimedBy: 'w', attempts: 1, leaseUntil: '2026-03-01T10:00:30Z' });
      expect(get('t2').status.phase).toBe('Pending');
      // With nothing claimed yet, the failure is the caller's to see (the worker logs it).
      expect(() => leases.claimDue({ id: 'w' }, 2)).toThrow('disk I/O error');
    } finally {
      close();
    }
  });
});

describe('the Task phase index', () => {
  test('claims still work on a database whose phase index was dropped', async () => {
    const r = testRegistry(systemClock);
    try {
      r.registry.apply(r.kind('tasks'), { metadata: { name: 't' }, spec: { system: 's' } }, {});
      r.handle.sqlite.exec('DROP INDEX resources_task_phase');
      expect(new TaskLeases(r.registry, systemClock).claimNextDue({ id: 'w' })?.metadata.name).toBe('t');
    } finally {
      r.close();
    }
  });
});
