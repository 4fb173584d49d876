// A Task's messages, trace, history and idempotency records live in task_records, outside the
// Task's row: reads show them whole, lists and watch frames carry the summary, a hop stores only
// what it changed, and databases written before the table existed move their records over.
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../../db/migrations';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { TaskLeases } from '../../src/runtime/leases';
import { WorkingStatus } from '../../src/runtime/task-working';
import { openStore } from '../../src/store/open-store';
import { TaskRecordStore } from '../../src/store/task-records';
import { testRegistry } from '../support/registry';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const row = (i: number) => ({ timestamp: `t${i}`, type: 'agent_step', step_id: `a001.s${String(i).padStart(4, '0')}` });
const msg = (id: string, phase: string) => ({ message_id: id, phase, to_agent: 'b', content: `c-${id}` });

async function taskSetup() {
  const r = testRegistry();
  const tasks = r.kind('tasks');
  await r.registry.apply(tasks, { metadata: { name: 'job' }, spec: { system: 's' } }, {});
  const held = () => r.handle.sqlite.query<{ field: string; n: number }, []>('SELECT field, count(*) AS n FROM task_records GROUP BY field ORDER BY field').all();
  return { ...r, tasks, held };
}

describe('TaskRecordStore', () => {
  test('appends in order, trims to the cap, upserts by key, removes and replaces', async () => {
    const { handle } = testRegistry();
    const s = new TaskRecordStore(handle, { messages: 'message_id', trace: '' });
    await s.apply('u1', [{ field: 'trace', append: [row(1), row(2), row(3)], keep: 2 }]);
    expect((await s.load('u1')).trace).toEqual([row(2), row(3)]);
    await s.apply('u1', [{ field: 'trace', append: [row(4)], keep: 2 }]);
    expect((await s.load('u1')).trace).toEqual([row(3), row(4)]);
    await s.apply('u1', [{ field: 'messages', upsert: [{ key: 'm1', value: msg('m1', 'Queued') }, { key: 'm2', value: msg('m2', 'Queued') }] }]);
    await s.apply('u1', [{ field: 'messages', upsert: [{ key: 'm1', value: msg('m1', 'Succeeded') }, { key: 'm3', value: msg('m3', 'Queued') }] }]);
    expect((await s.load('u1')).messages).toEqual([msg('m1', 'Succeeded'), msg('m2', 'Queued'), msg('m3', 'Queued')]);
    await s.apply('u1', [{ field: 'messages', remove: ['m2'] }]);
    expect((await s.load('u1')).messages).toEqual([msg('m1', 'Succeeded'), msg('m3', 'Queued')]);
    await s.apply('u1', [{ field: 'trace', replace: [row(9)] }]);
    expect((await s.load('u1')).trace).toEqual([row(9)]);
    expect(await s.load('u2')).toEqual({});
    await s.drop('u1');
    expect(await s.load('u1')).toEqual({});
  });
});

describe('a Task through the registry', () => {
  test('a whole-status write moves the records out; reads show them, lists and watch frames carry the summary', async () => {
    const { registry, tasks, held, handle } = await taskSetup();
    const frames: any[] = [];
    registry.onCommit((c) => frames.push(c.object));
    const status = { phase: 'Running', trace: [row(1), row(2)], history: [{ type: 'claim' }], messages: [msg('m1', 'Running')] };
    const written = await registry.replaceStatus(tasks, 'default', 'job', { status }, '*');
    expect(written.status).toMatchObject({ ...status, message_idempotency: [], record_counts: { trace: 2, history: 1, messages: 1, message_idempotency: 0 } });
    expect((await registry.get(tasks, 'default', 'job')).status).toEqual(written.status!);
    expect(JSON.parse((await registry.getJson(tasks, 'default', 'job')).json)).toEqual(written);
    expect(held()).toEqual([{ field: 'history', n: 1 }, { field: 'messages', n: 1 }, { field: 'trace', n: 2 }]);
    // The stored row, lists and the commit (watch) frame hold the summary only.
    const stored = JSON.parse(handle.sqlite.query<{ status: string }, []>("SELECT status FROM resources WHERE kind = 'Task'").get()!.status);
    for (const s of [stored, (await registry.list(tasks, { namespace: 'default' })).items[0].status, frames[0].status]) {
      expect(s).not.toHaveProperty('trace');
      expect(s).not.toHaveProperty('messages');
      expect(s.record_counts).toEqual({ trace: 2, history: 1, messages: 1, message_idempotency: 0 });
    }
    // Writing the same streams again rewrites none of them; leaving them out empties them.
    await registry.replaceStatus(tasks, 'default', 'job', { status: { ...status, lastError: 'x' } }, '*');
    expect(held()).toHaveLength(3);
    await registry.replaceStatus(tasks, 'default', 'job', { status: { phase: 'Failed' } }, '*');
    expect(held()).toEqual([]);
    expect((await registry.get(tasks, 'default', 'job')).status).toMatchObject({ trace: [], messages: [], record_counts: { trace: 0 } });
  });

  test('deleting the task deletes its records; its delete answer still shows them', async () => {
    const { registry, tasks, held } = await taskSetup();
    await registry.replaceStatus(tasks, 'default', 'job', { status: { phase: 'Running', trace: [row(1)] } }, '*');
    expect((await registry.delete(tasks, 'default', 'job')).status?.trace).toEqual([row(1)]);
    expect(held()).toEqual([]);
  });

  test('a hop stores only what it changed, the same at hop 5 and hop 200', async () => {
    const { registry, tasks, handle } = await taskSetup();
    const clock = { now: () => new Date('2026-01-02T03:04:05Z') };
    const leases = new TaskLeases(registry, clock);
    const [claimed] = await leases.claimDue({ id: 'w1' } as any, 1);
    const holder = { id: 'w1', token: claimed.status!.leaseToken };
    // Rows inserted, updated or deleted in any table (resources, change log, events, records).
    const touched = () => handle.sqlite.query<{ n: number }, []>('SELECT total_changes() AS n').get()!.n;
    const bytes = () => handle.sqlite.query<{ n: number }, []>('SELECT sum(length(body)) AS n FROM task_records').get()!.n ?? 0;
    const rows: number[] = [];
    const sizes: number[] = [];
    for (let hop = 1; hop <= 200; hop++) {
      const [before, changed] = [bytes(), touched()];
      const out = await leases.fenced('default', 'job', holder, (s) => {
        const prev = s.messages.find((m: any) => m.phase === 'Running');
        if (prev) prev.phase = 'Succeeded';
        s.messages.push(msg(`m${hop}`, 'Running'));
        s.trace.push(row(hop * 2), row(hop * 2 + 1));
        s.output = { last_agent: `hop ${hop}` };
        return s;
      });
      expect(out?.status?.trace).toHaveLength(hop * 2);
      sizes.push(bytes() - before);
      rows.push(touched() - changed);
    }
    // Each hop adds one message and two trace rows and rewrites one message: the same rows at every
    // hop, and the same bytes but for the wider numbers in the ids.
    expect(rows[199]).toBe(rows[4]);
    expect(sizes[199] - sizes[4]).toBeLessThanOrEqual(8);
    const whole = (await registry.get(tasks, 'default', 'job')).status!;
    expect(whole.messages).toHaveLength(200);
    expect(whole.messages.filter((m: any) => m.phase === 'Running').map((m: any) => m.message_id)).toEqual(['m200']);
    expect(whole.record_counts).toEqual({ trace: 400, history: 1, messages: 200, message_idempotency: 0 });
  });

  test('the held status follows writes by others: a hop after a cancel-like write sees the new streams', async () => {
    const { registry, tasks } = await taskSetup();
    const leases = new TaskLeases(registry, { now: () => new Date('2026-01-02T03:04:05Z') });
    const [claimed] = await leases.claimDue({ id: 'w1' } as any, 1);
    const holder = { id: 'w1', token: claimed.status!.leaseToken } as any;
    await leases.fenced('default', 'job', holder, (s) => (s.trace.push(row(1)), s));
    // Someone else (an API status write) changes the task between two hops.
    await registry.updateStatus(tasks, 'default', 'job', (t) => ({ ...t.status, trace: [...t.status!.trace, row(2)] }));
    const out = await leases.fenced('default', 'job', holder, (s) => (s.trace.push(row(3)), s));
    expect(out?.status?.trace).toEqual([row(1), row(2), row(3)]);
    expect((await registry.get(tasks, 'default', 'job')).status?.trace).toEqual([row(1), row(2), row(3)]);
  });

  test('a hop whose write is refused leaves nothing of its draft in the held status', async () => {
    const { registry, tasks } = await taskSetup();
    const leases = new TaskLeases(registry, { now: () => new Date('2026-01-02T03:04:05Z') });
    const [claimed] = await leases.claimDue({ id: 'w1' } as any, 1);
    const holder = { id: 'w1', token: claimed.status!.leaseToken } as any;
    // An invalid status (a phase no task has) is refused after a row was pushed to the shared trace.
    await expect(leases.fenced('default', 'job', holder, (s) => (s.trace.push(row(1)), (s.phase = 'Bogus'), s))).rejects.toThrow();
    const out = await leases.fenced('default', 'job', holder, (s) => (s.trace.push(row(2)), s));
    expect(out?.status?.trace).toEqual([row(2)]);
    expect((await registry.get(tasks, 'default', 'job')).status?.trace).toEqual([row(2)]);
  });

  test('WorkingStatus: an unchanged draft stores nothing, a replaced trace is written whole', () => {
    const base = { phase: 'Running', trace: [row(1), row(2)], history: [], message_idempotency: [], messages: [msg('m1', 'Succeeded')] };
    const w = new WorkingStatus('u', '3', base);
    expect(w.changes(w.draft()).records).toEqual([]);
    const d = w.draft();
    d.trace = [row(7)];
    expect(w.changes(d).records).toEqual([{ field: 'trace', replace: [row(7)] }]);
  });
});

test('a database written before task_records moves each task’s records out of its status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-records-'));
  dirs.push(dir);
  let p = openStore(dir, undefined);
  let registry = new Registry(kinds, p, { now: () => new Date() });
  const tasks = registry.byPlural.get('tasks')!;
  await registry.apply(tasks, { metadata: { name: 'old' }, spec: { system: 's' } }, {});
  // As the previous version stored it: the records inside the status, no task_records rows.
  const legacy = { phase: 'Succeeded', trace: [row(1), 'not a record', row(2)], history: [{ type: 'claim' }], messages: [msg('m1', 'Succeeded'), msg('m2', 'DeadLetter')], message_idempotency: [], join_states: [] };
  p.handle.sqlite.run("UPDATE resources SET status = ? WHERE kind = 'Task'", [JSON.stringify(legacy)]);
  p.handle.sqlite.run('DROP TABLE task_records');
  p.handle.sqlite.run('DELETE FROM __orrery_migrations WHERE tag = ?', [migrations.at(-1)!.tag]);
  p.handle.close();

  p = openStore(dir, undefined);
  registry = new Registry(kinds, p, { now: () => new Date() });
  const got = (await registry.get(tasks, 'default', 'old')).status!;
  expect(got).toMatchObject({ ...legacy, trace: [row(1), row(2)], record_counts: { trace: 2, history: 1, messages: 2, message_idempotency: 0 } });
  // Numbered without gaps, so the caps' trimming by sequence counts right.
  expect(p.handle.sqlite.query<{ seq: number }, []>("SELECT seq FROM task_records WHERE field = 'trace' ORDER BY seq").all().map((r) => r.seq)).toEqual([1, 2]);
  const stored = JSON.parse(p.handle.sqlite.query<{ status: string }, []>("SELECT status FROM resources WHERE kind = 'Task'").get()!.status);
  expect(Object.keys(stored).sort()).toEqual(['join_states', 'phase', 'record_counts']);
  const keys = p.handle.sqlite.query<{ key: string }, []>("SELECT key FROM task_records WHERE field = 'messages' ORDER BY seq").all();
  expect(keys.map((k) => k.key)).toEqual(['m1', 'm2']);
  p.handle.close();
});
