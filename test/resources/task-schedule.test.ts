// TaskSchedule: defaults, task_ref or task_template, cron and time zone validation.
import { describe, expect, test } from 'bun:test';
import { parseCron } from '../../src/resources/task-schedule';
import { kindHelpers } from './helpers';

describe('TaskSchedule', () => {
  const base = { task_ref: 'weekly-report-template', schedule: '0 9 * * 1' };

  test('writes every default', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-schedules', base);
    expect(object.spec).toEqual({
      ...base,
      time_zone: 'UTC',
      suspend: false,
      starting_deadline_seconds: 300,
      concurrency_policy: 'forbid',
      successful_history_limit: 10,
      failed_history_limit: 3,
    });
    expect(object.status).toEqual({ phase: 'Pending', activeRuns: [] });
  });

  test('an inline task_template gets the Task defaults', async () => {
    const { write } = kindHelpers();
    const { object } = await write('task-schedules', { schedule: '*/15 * * * *', task_template: { system: 'sys', retry: { max_attempts: 2 } } });
    expect(object.spec.task_template).toEqual({
      system: 'sys',
      mode: 'run',
      input: {},
      priority: 'normal',
      max_turns: 0,
      retry: { max_attempts: 2, backoff: '0s' },
      message_retry: { max_attempts: 2, backoff: '0s', max_backoff: '24h', jitter: 'full' },
    });
  });

  test('exactly one of task_ref and task_template', async () => {
    const { causes } = kindHelpers();
    expect((await causes('task-schedules', { schedule: '0 * * * *' })).map((c) => c.field)).toEqual(['spec.task_ref']);
    expect((await causes('task-schedules', { ...base, task_template: { system: 's' } })).map((c) => c.field)).toEqual(['spec.task_template']);
  });

  test('task_ref is name or namespace/name with both parts', async () => {
    const { write, causes } = kindHelpers();
    expect((await write('task-schedules', { ...base, task_ref: 'team-a/tpl' })).object.spec.task_ref).toBe('team-a/tpl');
    for (const ref of ['/tpl', 'team-a/', 'a/b/c', ' / ']) {
      expect((await causes('task-schedules', { ...base, task_ref: ref })).map((c) => c.field)).toEqual(['spec.task_ref']);
    }
  });

  test('task_template rules use the template path', async () => {
    const { causes, sortedFields } = kindHelpers();
    expect(await causes('task-schedules', { schedule: '0 * * * *', task_template: { mode: 'template', retry: { backoff: 'x' } } })).toEqual([
      { field: 'spec.task_template.retry.backoff', message: 'must be a duration such as 30s, 5m or 1h30m' },
      { field: 'spec.task_template.system', message: 'is required' },
    ]);
    expect(await sortedFields('task-schedules', { schedule: '0 * * * *', task_template: { system: 's', bogus: 1 } })).toEqual(['spec.task_template.bogus']);
  });

  test('accepts valid cron expressions', async () => {
    const { write } = kindHelpers();
    for (const schedule of ['0 9 * * 1', '*/15 * * * *', '5/15 0-23/2 1,15 1-12 0-7', '0 0 * * 7', ' 30  4 1 * * ', '0 0 31 12 5-7']) {
      expect((await write('task-schedules', { ...base, schedule })).object.spec.schedule).toBe(schedule.trim());
    }
  });

  test('rejects invalid cron expressions', async () => {
    const { causes } = kindHelpers();
    const bad = ['0 9 * *', '0 9 * * 1 2026', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '@daily', '0 9 * * MON', '*/0 * * * *', '5-1 * * * *', '? * * * *', '0 0 L * *', '1,,2 * * * *'];
    for (const schedule of bad) {
      const c = await causes('task-schedules', { ...base, schedule });
      expect(c.map((x) => x.field)).toEqual(['spec.schedule']);
    }
    expect(await causes('task-schedules', { task_ref: 't' })).toEqual([{ field: 'spec.schedule', message: 'is required' }]);
  });

  test('parseCron expands fields and folds day-of-week 7 into Sunday', () => {
    const { fields } = parseCron('0 9 * * 5-7');
    expect([...fields!.dayOfWeek].sort()).toEqual([0, 5, 6]);
    expect([...parseCron('5/20 * * * *').fields!.minute]).toEqual([5, 25, 45]);
    expect(parseCron('* * * *').error).toContain('5 fields');
  });

  test('time_zone must be an IANA zone; letter case is canonicalized', async () => {
    const { write, causes } = kindHelpers();
    expect((await write('task-schedules', { ...base, time_zone: 'america/chicago' })).object.spec.time_zone).toBe('America/Chicago');
    for (const tz of ['Mars/Olympus', '+01:00', 'Not A Zone']) {
      expect((await causes('task-schedules', { ...base, time_zone: tz })).map((c) => c.field)).toEqual(['spec.time_zone']);
    }
  });

  test('reports several problems at once and rejects unknown fields and policies', async () => {
    const { causes, sortedFields } = kindHelpers();
    expect(await causes('task-schedules', { schedule: 'every monday', time_zone: 'Nowhere/Land' })).toEqual([
      { field: 'spec.schedule', message: 'must be a 5-field cron expression such as "0 9 * * 1": must have exactly 5 fields (minute hour day-of-month month day-of-week), found 2' },
      { field: 'spec.time_zone', message: 'must be an IANA time zone such as UTC or America/Chicago' },
      { field: 'spec.task_ref', message: 'is required unless spec.task_template is set' },
    ]);
    expect(await sortedFields('task-schedules', { ...base, concurrency_policy: 'sometimes', suspended: true, suspend: 'no' })).toEqual([
      'spec.concurrency_policy',
      'spec.suspend',
      'spec.suspended',
    ]);
  });
});
