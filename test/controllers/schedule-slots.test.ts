// Slot computation: croner fed the kind's parsed value sets, in IANA zones, across DST changes.
import { describe, expect, test } from 'bun:test';
import { CronSchedule } from '../../src/runtime/schedule-slots';

const sched = (expr: string, tz = 'UTC') => {
  const s = CronSchedule.parse(expr, tz);
  if (typeof s === 'string') throw new Error(s);
  return s;
};
const nexts = (s: CronSchedule, from: string, n: number) => {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = s.next(at)!;
    out.push(at.toISOString());
  }
  return out;
};

describe('the dialect is the kind\'s', () => {
  test('what parseCron refuses is refused here too, with its message', () => {
    for (const expr of ['@daily', '0 9 * * MON', '0 0 9 * * *', '0 9 ? * 1', '0 9 L * *', '0 9 * * 1#2', '60 * * * *', '0 9 * *']) {
      expect(typeof CronSchedule.parse(expr, 'UTC'), expr).toBe('string');
    }
  });

  test('steps on a start value, 7 as Sunday, and day-of-month OR day-of-week', () => {
    expect(nexts(sched('5/20 * * * *'), '2026-01-02T00:00:00Z', 3)).toEqual(['2026-01-02T00:05:00.000Z', '2026-01-02T00:25:00.000Z', '2026-01-02T00:45:00.000Z']);
    // 2026-01-04 is a Sunday.
    expect(nexts(sched('0 9 * * 7'), '2026-01-02T00:00:00Z', 1)).toEqual(['2026-01-04T09:00:00.000Z']);
    expect(nexts(sched('0 9 * * 5-7'), '2026-01-02T10:00:00Z', 2)).toEqual(['2026-01-03T09:00:00.000Z', '2026-01-04T09:00:00.000Z']);
    // Both restricted: either matches (the 1st, or a Monday).
    expect(nexts(sched('0 9 1 * 1'), '2026-01-02T00:00:00Z', 2)).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-12T09:00:00.000Z']);
    // */1 selects every weekday, so only day-of-month restricts.
    expect(nexts(sched('0 9 1 * */1'), '2026-01-02T00:00:00Z', 1)).toEqual(['2026-02-01T09:00:00.000Z']);
  });

  test('previous is the latest slot at or before the time', () => {
    const s = sched('*/15 * * * *');
    expect(s.previous(new Date('2026-01-02T03:15:00Z'))?.toISOString()).toBe('2026-01-02T03:15:00.000Z');
    expect(s.previous(new Date('2026-01-02T03:14:59Z'))?.toISOString()).toBe('2026-01-02T03:00:00.000Z');
  });
});

describe('time zones and DST (America/New_York)', () => {
  test('slots are read in the zone', () => {
    expect(nexts(sched('0 9 * * *', 'America/New_York'), '2026-01-02T00:00:00Z', 1)).toEqual(['2026-01-02T14:00:00.000Z']);
    expect(nexts(sched('0 9 * * *', 'America/New_York'), '2026-07-02T00:00:00Z', 1)).toEqual(['2026-07-02T13:00:00.000Z']);
  });

  test('spring forward (2026-03-08): 02:30 does not exist and is skipped', () => {
    expect(nexts(sched('30 2 * * *', 'America/New_York'), '2026-03-07T12:00:00Z', 2)).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
    expect(nexts(sched('*/30 * * * *', 'America/New_York'), '2026-03-08T06:15:00Z', 3)).toEqual(['2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z']);
  });

  test('fall back (2026-11-01): the repeated 01:00–01:59 fires once', () => {
    expect(nexts(sched('30 1 * * *', 'America/New_York'), '2026-10-31T12:00:00Z', 2)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    // 01:00 and 01:30 EDT fire; the same wall times in EST do not; then 02:00 EST.
    expect(nexts(sched('*/30 * * * *', 'America/New_York'), '2026-11-01T04:50:00Z', 3)).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T07:00:00.000Z']);
    expect(sched('*/30 * * * *', 'America/New_York').previous(new Date('2026-11-01T06:40:00Z'))?.toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });
});
