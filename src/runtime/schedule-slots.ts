// Cron slots of a TaskSchedule, computed with croner in the schedule's IANA time zone. The kind's
// parseCron is the one definition of the dialect: its value sets are handed to croner as plain
// number lists, so croner can never accept or match more than the kind validated. On DST days a
// wall-clock time that does not exist is skipped and a wall-clock time that occurs twice fires once.
import { Cron } from 'croner';
import { parseCron, type CronFields } from '../resources/task-schedule';

const FULL: [keyof CronFields, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['dayOfMonth', 1, 31],
  ['month', 1, 12],
  ['dayOfWeek', 0, 6],
];

/** A field that selects every value is `*`, so day-of-month/day-of-week follow the classic OR rule. */
function cronerField(set: Set<number>, min: number, max: number): string {
  if (set.size === max - min + 1) return '*';
  return [...set].sort((a, b) => a - b).join(',');
}

interface Wall {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
  /** YYYYMMDD-HHMM, also the slot part of a run name. */
  stamp: string;
  seconds: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock fields of an instant in a time zone. */
export function wallClock(at: Date, timeZone: string): Wall {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(at)) p[part.type] = part.value;
  const stamp = `${p.year}${p.month}${p.day}-${p.hour}${p.minute}`;
  return { minute: +p.minute, hour: +p.hour, day: +p.day, month: +p.month, weekday: WEEKDAYS[p.weekday], stamp, seconds: `${stamp}${p.second}` };
}

export class CronSchedule {
  private readonly cron: Cron;

  private constructor(
    private readonly fields: CronFields,
    readonly timeZone: string,
  ) {
    const pattern = FULL.map(([k, min, max]) => cronerField(fields[k], min, max)).join(' ');
    this.cron = new Cron(pattern, { timezone: timeZone, mode: '5-part', paused: true, legacyMode: true });
  }

  /** The schedule, or the reason the expression or zone is refused (the kind's own messages). */
  static parse(expr: string, timeZone: string): CronSchedule | string {
    const parsed = parseCron(expr);
    if (!parsed.fields) return `schedule ${JSON.stringify(expr)}: ${parsed.error}`;
    try {
      return new CronSchedule(parsed.fields, timeZone);
    } catch (e) {
      return `time_zone ${JSON.stringify(timeZone)}: ${(e as Error).message}`;
    }
  }

  /** True when the instant is a real slot: its wall-clock time matches and did not occur before. */
  private isSlot(at: Date): boolean {
    const w = wallClock(at, this.timeZone);
    const f = this.fields;
    if (!f.minute.has(w.minute) || !f.hour.has(w.hour) || !f.month.has(w.month)) return false;
    // A time croner moved out of a DST gap has a wall clock the pattern does not name: skipped.
    const domAll = f.dayOfMonth.size === 31;
    const dowAll = f.dayOfWeek.size === 7;
    const dom = f.dayOfMonth.has(w.day);
    const dow = f.dayOfWeek.has(w.weekday);
    if (!(domAll && dowAll) && !(domAll ? dow : dowAll ? dom : dom || dow)) return false;
    // The second pass through a repeated (fall-back) hour is not a new slot.
    for (const back of [30, 60, 120]) if (wallClock(new Date(at.getTime() - back * 60_000), this.timeZone).stamp === w.stamp) return false;
    return true;
  }

  /** The first slot strictly after `after`, or undefined when none comes. */
  next(after: Date): Date | undefined {
    let from = after;
    for (let i = 0; i < 1000; i++) {
      const at = this.cron.nextRun(from);
      if (!at) return undefined;
      if (this.isSlot(at)) return at;
      from = at;
    }
    return undefined;
  }

  /** The latest slot at or before `at`, or undefined when none came before. */
  previous(at: Date): Date | undefined {
    // croner's previousRuns excludes the reference itself: look from one second later.
    let ref = new Date(Math.floor(at.getTime() / 1000) * 1000 + 1000);
    for (let i = 0; i < 1000; i++) {
      const [slot] = this.cron.previousRuns(1, ref);
      if (!slot) return undefined;
      if (slot.getTime() <= at.getTime() && this.isSlot(slot)) return slot;
      ref = slot;
    }
    return undefined;
  }
}
