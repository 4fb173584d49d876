// TaskSchedule: creates run tasks from a template (task_ref or inline task_template) on a 5-field
// cron schedule in an IANA time zone. Also owns the cron-expression parser the scheduler can reuse.
import { Type as t } from '@sinclair/typebox';
import { defineKind, type Status } from '../registry/kind';
import { lower, positiveOr, setDefault, trim } from '../registry/normalize';
import { defineFormat } from '../registry/validation';
import { Enum, StringList, statusSchema, strict, Int, INT32_MAX } from './common';
import { Ref, TimeZone, resolveTimeZone } from './formats';
import { normalizeTaskSource, taskTemplateSchema, trimOrDrop, validateTaskSource } from './task';

export { resolveTimeZone };

const PHASES = ['Pending', 'Ready', 'Suspended', 'Error'] as const;

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/** The values each of the five fields selects; day-of-week 7 is folded into 0 (Sunday). */
export interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
}

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> | string {
  const out = new Set<number>();
  const isDow = f.name === 'day-of-week';
  for (const item of text.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `${f.name} entry "${item}" is not *, a number, a range a-b, or one of those with /step`;
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) return `${f.name} step must be at least 1`;
    let lo: number;
    let hi: number;
    if (m[1] === '*') {
      lo = f.min;
      hi = isDow ? 6 : f.max;
    } else {
      const [a, b] = m[1].split('-').map(Number);
      lo = a;
      hi = b ?? (m[2] === undefined ? a : f.max);
    }
    for (const v of [lo, hi]) if (v < f.min || v > f.max) return `${f.name} value ${v} is outside ${f.min}-${f.max}`;
    if (lo > hi) return `${f.name} range ${lo}-${hi} is reversed`;
    for (let v = lo; v <= hi; v += step) out.add(isDow && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a standard 5-field cron expression (no names, macros, seconds, ?, L, W or #). */
export function parseCron(expr: string): { fields?: CronFields; error?: string } {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === '') {
    return { error: `must have exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts[0] === '' ? 0 : parts.length}` };
  }
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const r = parseField(parts[i], FIELDS[i]);
    if (typeof r === 'string') return { error: r };
    sets.push(r);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = sets;
  return { fields: { minute, hour, dayOfMonth, month, dayOfWeek } };
}

const CRON = defineFormat(
  'cron',
  (v) => parseCron(v).error === undefined,
  (v) => `must be a 5-field cron expression such as "0 9 * * 1": ${parseCron(v).error}`,
);

const spec = strict({
  task_ref: t.Optional(Ref('Template Task (mode template) as name or namespace/name; exclusive with task_template.')),
  task_template: t.Optional(taskTemplateSchema('Inline TaskSpec used instead of task_ref (system required).')),
  schedule: t.String({ format: CRON, description: 'Standard 5-field cron expression, e.g. "0 9 * * 1".' }),
  time_zone: t.Optional(TimeZone('IANA time zone the schedule is read in (default UTC).')),
  suspend: t.Optional(t.Boolean({ description: 'Stop creating runs (default false).' })),
  starting_deadline_seconds: t.Optional(Int(1, INT32_MAX, 'A slot older than this is skipped (default 300).')),
  concurrency_policy: t.Optional(
    Enum(['forbid', 'allow', 'replace'], 'forbid: no new run while one is active (default); allow: runs overlap; replace: the active runs are cancelled first (allow and replace are Orrery extensions).'),
  ),
  successful_history_limit: t.Optional(Int(1, INT32_MAX, 'Succeeded runs kept (default 10).')),
  failed_history_limit: t.Optional(Int(1, INT32_MAX, 'Failed or dead-lettered runs kept (default 3).')),
});

const status = statusSchema(PHASES, {
  lastScheduleTime: t.Optional(t.String({ description: 'RFC 3339 time of the last slot considered.' })),
  lastSuccessfulTime: t.Optional(t.String({ description: 'RFC 3339 completion time of the last successful run.' })),
  nextScheduleTime: t.Optional(t.String({ description: 'RFC 3339 time of the next slot.' })),
  lastTriggeredTask: t.Optional(t.String({ description: 'Name of the last run task created.' })),
  activeRuns: t.Optional(StringList('Run tasks still Pending or Running.')),
});

export const taskSchedule = defineKind({
  kind: 'TaskSchedule',
  plural: 'task-schedules',
  description: 'Creates run tasks from a template task on a cron schedule.',
  spec,
  status,
  phases: [...PHASES],
  normalize(s) {
    normalizeTaskSource(s);
    trimOrDrop(s, 'schedule');
    s.time_zone = trim(s.time_zone);
    setDefault(s, 'time_zone', 'UTC');
    if (typeof s.time_zone === 'string') {
      // Fix only the letter case ("america/chicago"); aliases are kept as written.
      const canonical = resolveTimeZone(s.time_zone);
      if (canonical && canonical.toLowerCase() === s.time_zone.toLowerCase()) s.time_zone = canonical;
    }
    if (s.suspend === undefined || s.suspend === null) s.suspend = false;
    positiveOr(s, 'starting_deadline_seconds', 300);
    s.concurrency_policy = lower(s.concurrency_policy);
    setDefault(s, 'concurrency_policy', 'forbid');
    positiveOr(s, 'successful_history_limit', 10);
    positiveOr(s, 'failed_history_limit', 3);
    return s;
  },
  validate: validateTaskSource,
  prepareStatus(st: Status): Status {
    if (st.activeRuns === undefined || st.activeRuns === null) st.activeRuns = [];
    return st;
  },
});
