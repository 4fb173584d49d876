// The TaskSchedule controller over a real registry with a clock the test moves: one run per slot
// with a fixed name, forbid/allow/replace, suspend, the starting deadline, history pruning,
// restarts across a slot, and the leader lease deciding which of two controllers fires.
import { afterEach, describe, expect, test } from 'bun:test';
import { ScheduleController } from '../../src/controllers/schedules';
import { triggerSchedule } from '../../src/runtime/schedule-runs';
import type { Schedule } from '../../src/controllers/work-queue';
import type { EventPublisher } from '../../src/events/publisher';
import type { NewEvent } from '../../src/events/event';
import { silentLogger } from '../../src/log';
import { testRegistry } from '../support/registry';

const never: Schedule = () => ({ cancel() {} });

async function world(start = '2026-01-02T03:04:05Z') {
  const clock = { at: new Date(start), now() { return this.at; } };
  const r = testRegistry(clock);
  const events: NewEvent[] = [];
  const publisher = { publish: (e: NewEvent) => (events.push(e), r.core.events.publish(e)) } as unknown as EventPublisher;
  const controllers: ScheduleController[] = [];
  const controller = (holder = 'server-a', ttlMs = 30_000) => {
    const lease = r.backend.lease('task-schedules', holder, ttlMs, clock);
    const c = new ScheduleController({ registry: r.registry, events: publisher, clock, lease }, silentLogger, { queue: { schedule: never }, schedule: never });
    controllers.push(c);
    return c;
  };
  const apply = async (plural: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    (await r.registry.apply(r.kind(plural), { metadata: { name, labels }, spec }, {})).object;
  await apply('tasks', 'nightly', { mode: 'template', system: 'pipeline', input: { topic: 'x' } }, { team: 'blue' });
  const runs = async () => (await r.registry.list(r.kind('tasks'), { labelSelector: 'orloj.dev/task-schedule=report' })).items.map((t) => t.metadata.name).sort();
  const schedule = () => r.registry.getDecoded(r.kind('task-schedules'), 'default', 'report');
  const setPhase = (name: string, phase: string, completedAt?: string) =>
    r.registry.updateStatus(r.kind('tasks'), 'default', name, () => ({ phase, ...(completedAt ? { completedAt } : {}) }));
  /** Moves the clock and runs one full pass, as the requeue timer would. */
  const at = async (c: ScheduleController, iso: string) => {
    clock.at = new Date(iso);
    await c.resync();
    await c.idle();
  };
  const close = async () => {
    for (const c of controllers) await c.stop();
    r.close();
  };
  return { clock, r, events, controller, apply, runs, schedule, setPhase, at, close };
}

let current: Awaited<ReturnType<typeof world>> | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});
const setup = async (start?: string) => (current = await world(start));
const types = (w: Awaited<ReturnType<typeof world>>) => w.events.map((e) => e.type).filter((t) => t.startsWith('taskschedule.'));

describe('firing', () => {
  test('one run per slot, named after the slot, a copy of the template with mode run and the schedule labels', async () => {
    const w = await setup('2026-01-02T03:04:05Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '*/5 * * * *' });
    const c = w.controller();
    await c.start();
    await c.idle();
    expect(await w.runs()).toEqual([]); // the 03:00 slot came before the schedule existed
    expect((await w.schedule()).status).toMatchObject({ phase: 'Ready', nextScheduleTime: '2026-01-02T03:05:00Z', activeRuns: [] });
    await w.at(c, '2026-01-02T03:05:01Z');
    await w.at(c, '2026-01-02T03:06:00Z');
    expect(await w.runs()).toEqual(['report-20260102-0305']);
    const run = await w.r.registry.getDecoded(w.r.kind('tasks'), 'default', 'report-20260102-0305');
    expect(run.spec).toMatchObject({ mode: 'run', system: 'pipeline', input: { topic: 'x' } });
    expect(run.metadata.labels).toEqual({ team: 'blue', 'orloj.dev/task-schedule': 'report', 'orloj.dev/task-schedule-namespace': 'default', 'orloj.dev/task-schedule-slot': '20260102T030500Z' });
    expect((await w.schedule()).status).toMatchObject({ phase: 'Ready', lastScheduleTime: '2026-01-02T03:05:00Z', lastTriggeredTask: 'report-20260102-0305', activeRuns: ['report-20260102-0305'], nextScheduleTime: '2026-01-02T03:10:00Z' });
    expect(types(w)).toEqual(['taskschedule.triggered']);
  });

  test('names use the wall clock of the time zone; an inline task_template works too', async () => {
    const w = await setup('2026-01-02T13:58:00Z');
    await w.apply('task-schedules', 'report', { task_template: { system: 'pipeline' }, schedule: '0 9 * * *', time_zone: 'America/New_York' });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T14:00:10Z');
    expect(await w.runs()).toEqual(['report-20260102-0900']);
  });

  test('forbid skips a slot while a run is active (WaitingApproval counts), allow overlaps', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *' });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T03:01:00Z');
    await w.setPhase('report-20260102-0301', 'WaitingApproval');
    await w.at(c, '2026-01-02T03:02:00Z');
    expect(await w.runs()).toEqual(['report-20260102-0301']);
    expect(types(w)).toEqual(['taskschedule.triggered', 'taskschedule.skipped_forbid']);
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', concurrency_policy: 'allow' });
    await w.at(c, '2026-01-02T03:03:00Z');
    expect(await w.runs()).toEqual(['report-20260102-0301', 'report-20260102-0303']);
    expect((await w.schedule()).status?.activeRuns).toEqual(['report-20260102-0301', 'report-20260102-0303']);
  });

  test('replace cancels the active run before creating the next', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', concurrency_policy: 'replace' });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T03:01:00Z');
    await w.setPhase('report-20260102-0301', 'Running');
    await w.at(c, '2026-01-02T03:02:00Z');
    const first = await w.r.registry.getDecoded(w.r.kind('tasks'), 'default', 'report-20260102-0301');
    expect(first.status).toMatchObject({ phase: 'Failed', lastError: 'cancelled' });
    expect(await w.runs()).toEqual(['report-20260102-0301', 'report-20260102-0302']);
    expect(types(w)).toEqual(['taskschedule.triggered', 'taskschedule.replaced', 'taskschedule.triggered']);
  });

  test('suspend: phase Suspended, next slot still shown, nothing fires', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', suspend: true });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T03:01:00Z');
    expect(await w.runs()).toEqual([]);
    expect((await w.schedule()).status).toMatchObject({ phase: 'Suspended', nextScheduleTime: '2026-01-02T03:02:00Z' });
  });

  test('a slot later than starting_deadline_seconds is missed: an event, no run, not tried again', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '5 3 * * *', starting_deadline_seconds: 60 });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T03:06:01Z');
    await w.at(c, '2026-01-02T03:07:00Z');
    expect(await w.runs()).toEqual([]);
    expect(types(w)).toEqual(['taskschedule.missed_deadline']);
    expect((await w.schedule()).status?.lastScheduleTime).toBe('2026-01-02T03:05:00Z');
  });

  test('a missing template puts the schedule in Error with the reason', async () => {
    const w = await setup();
    await w.apply('task-schedules', 'report', { task_ref: 'nope', schedule: '* * * * *' });
    const c = w.controller();
    await c.start();
    await c.idle();
    expect((await w.schedule()).status).toMatchObject({ phase: 'Error', lastError: 'template task default/nope not found' });
  });

  test('history: the oldest finished runs beyond the limits are deleted', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', concurrency_policy: 'allow', successful_history_limit: 2, failed_history_limit: 1 });
    const c = w.controller();
    await c.start();
    for (let m = 1; m <= 6; m++) {
      await w.at(c, `2026-01-02T03:0${m}:00Z`);
      await w.setPhase(`report-20260102-030${m}`, m <= 3 ? 'Succeeded' : 'Failed', `2026-01-02T03:0${m}:30Z`);
    }
    await w.at(c, '2026-01-02T03:06:40Z');
    expect(await w.runs()).toEqual(['report-20260102-0302', 'report-20260102-0303', 'report-20260102-0306']);
    expect((await w.schedule()).status?.lastSuccessfulTime).toBe('2026-01-02T03:03:30Z');
    expect(types(w)).toContain('taskschedule.retention_pruned');
  });
});

describe('restarts and the lease', () => {
  test('a restart after downtime fires only the latest missed slot within the deadline, once', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', concurrency_policy: 'allow' });
    const first = w.controller('server-1');
    await first.start();
    await w.at(first, '2026-01-02T03:01:00Z');
    await first.stop();
    // Down from 03:01 to 03:10:20: slots 03:02…03:10 passed.
    w.clock.at = new Date('2026-01-02T03:10:20Z');
    const second = w.controller('server-2');
    await second.start();
    await second.idle();
    await w.at(second, '2026-01-02T03:10:40Z');
    expect(await w.runs()).toEqual(['report-20260102-0301', 'report-20260102-0310']);
    // A third instance over the same database at the same time creates nothing more.
    await second.stop();
    const third = w.controller('server-3');
    await third.start();
    await third.idle();
    expect(await w.runs()).toEqual(['report-20260102-0301', 'report-20260102-0310']);
  });

  test('a crash between creating the run and recording the slot never creates a second run', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *' });
    const c = w.controller();
    await c.start();
    await w.at(c, '2026-01-02T03:01:00Z');
    // Forget the decision, as if the status write never happened.
    await w.r.registry.updateStatus(w.r.kind('task-schedules'), 'default', 'report', () => ({}));
    await w.at(c, '2026-01-02T03:01:30Z');
    expect(await w.runs()).toEqual(['report-20260102-0301']);
    expect((await w.schedule()).status?.lastScheduleTime).toBe('2026-01-02T03:01:00Z');
    expect(types(w)).toEqual(['taskschedule.triggered']);
  });

  test('only the leader fires; when it stops renewing, the other takes over after expiry', async () => {
    const w = await setup('2026-01-02T03:00:30Z');
    await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '* * * * *', concurrency_policy: 'allow' });
    const a = w.controller('a', 30_000);
    const b = w.controller('b', 30_000);
    // Starting awaits the first pass now; it used to run only once the clock below had moved to
    // 03:01. Starting at 03:01 keeps that: the 03:00 slot (the schedule's own minute) is not fired.
    w.clock.at = new Date('2026-01-02T03:01:00Z');
    await a.start();
    await b.start();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await w.at(a, '2026-01-02T03:01:00Z');
    await w.at(b, '2026-01-02T03:01:00Z');
    w.clock.at = new Date('2026-01-02T03:01:20Z');
    await a.tick();
    await b.tick();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    // a hangs (no more renewals); its lease runs out 30 s after its last renewal.
    w.clock.at = new Date('2026-01-02T03:01:45Z');
    await b.tick();
    expect(b.isLeader).toBe(false);
    w.clock.at = new Date('2026-01-02T03:02:00Z');
    await b.tick();
    expect(b.isLeader).toBe(true);
    await b.idle();
    // a has not noticed yet: its reconciles still fire nothing until it renews and learns.
    await a.tick();
    expect(a.isLeader).toBe(false);
    await w.at(a, '2026-01-02T03:02:10Z');
    expect(await w.runs()).toEqual(['report-20260102-0301', 'report-20260102-0302']);
  });

  test('a lease row is only replaced as read: two processes racing for an expired lease, one wins', async () => {
    const w = await setup();
    const a = w.r.backend.lease('x', 'a', 1000, w.clock);
    const b = w.r.backend.lease('x', 'b', 1000, w.clock);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    w.clock.at = new Date(w.clock.at.getTime() + 1001);
    expect(await b.acquire()).toBe(true);
    expect(await a.acquire()).toBe(false);
    expect(await b.current()).toMatchObject({ holder: 'b', version: 2 });
    await b.release();
    expect(await a.acquire()).toBe(true);
  });
});

test('trigger creates <schedule>-manual-<YYYYMMDD-HHMMSS> in the zone, even when suspended', async () => {
  const w = await setup('2026-07-02T13:04:05Z');
  await w.apply('task-schedules', 'report', { task_ref: 'nightly', schedule: '0 9 * * *', time_zone: 'Europe/Berlin', suspend: true });
  const task = await triggerSchedule(w.r.registry, w.r.core.events, w.clock, 'default', 'report');
  expect(task.metadata.name).toBe('report-manual-20260702-150405');
  expect(task.spec.mode).toBe('run');
  await expect(triggerSchedule(w.r.registry, w.r.core.events, w.clock, 'default', 'report')).rejects.toThrow('already exists');
});
