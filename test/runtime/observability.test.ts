// The task messages and metrics views as pure functions: every filter, the 400s naming their
// query parameter, lifecycle counts, rollups per agent and per edge, latency average and p95.
import { describe, expect, test } from 'bun:test';
import { ApiError } from '../../src/errors';
import type { StoredObject } from '../../src/registry/kind';
import type { TaskMessage } from '../../src/runtime/engine/types';
import { queryMessages, type MessageRecord, type ObservabilityQuery } from '../../src/runtime/observability/messages';
import { messageLatencyMs, summarizeLatencies, taskMetrics } from '../../src/runtime/observability/metrics';

/** A full TaskMessage, typed as the stored record the views read. */
function msg(id: string, m: Partial<TaskMessage>): TaskMessage & MessageRecord {
  return {
    timestamp: '2026-01-01T00:00:00Z',
    message_id: id,
    idempotency_key: `job/${id}`,
    task_id: 'team/job',
    attempt: 1,
    system: 'pipeline',
    from_agent: '',
    to_agent: '',
    branch_id: 'b1',
    type: 'task_handoff',
    content: `content of ${id}`,
    trace_id: 'T1',
    phase: 'Queued',
    attempts: 0,
    max_attempts: 3,
    ...m,
  };
}

// Seven hops with mixed spelling of agent names, one unknown phase and every latency case.
const m1 = msg('m1', { type: 'task_start', to_agent: 'Planner', phase: 'Succeeded', attempts: 1, processed_at: '2026-01-01T00:00:00.250Z' });
const m2 = msg('m2', { from_agent: 'Planner', to_agent: 'researcher', phase: 'Succeeded', attempts: 2, timestamp: '2026-01-01T00:00:01Z', processed_at: '2026-01-01T00:00:02.5Z' });
const m3 = msg('m3', { from_agent: 'planner', to_agent: 'Writer', branch_id: 'b2', phase: 'RetryPending', attempts: 3, timestamp: '2026-01-01T00:00:01Z', next_attempt_at: '2026-01-01T00:01:00Z' });
const m4 = msg('m4', { from_agent: 'researcher', to_agent: 'writer', trace_id: 'T2', phase: 'DeadLetter', attempts: 4, timestamp: '2026-01-01T00:00:03Z', processed_at: '2026-01-01T00:00:03.000999999Z', last_error: 'boom' });
const m5 = msg('m5', { from_agent: 'Writer', to_agent: 'reviewer', branch_id: 'b2', trace_id: 't2', phase: 'Queued', attempts: 0, timestamp: '2026-01-01T00:00:04Z' });
// processed_at before timestamp (the offset makes it 00:00:05.5Z): no latency sample.
const m6 = msg('m6', { from_agent: 'planner', to_agent: 'researcher', phase: 'Running', attempts: 1, timestamp: '2026-01-01T01:00:05.500+01:00', processed_at: '2026-01-01T00:00:05Z' });
const m7 = msg('m7', { from_agent: 'x', to_agent: 'y', phase: 'Archived' as TaskMessage['phase'], attempts: 1, timestamp: '2026-01-01T00:00:06.000000001Z', processed_at: '2026-01-01T00:00:08Z' });
const ALL = [m1, m2, m3, m4, m5, m6, m7];

function task(messages?: unknown[]): StoredObject {
  return {
    apiVersion: 'orloj.dev/v1',
    kind: 'Task',
    metadata: { name: 'job', namespace: 'team', uid: 'u', resourceVersion: '7', generation: 1, createdAt: '2026-01-01T00:00:00Z' },
    spec: { system: 'pipeline', mode: 'run' },
    status: messages === undefined ? { phase: 'Running' } : { phase: 'Running', messages },
  };
}

const counts = (c: Partial<Record<'queued' | 'running' | 'retrypending' | 'succeeded' | 'deadletter', number>> = {}) => ({
  queued: 0,
  running: 0,
  retrypending: 0,
  succeeded: 0,
  deadletter: 0,
  ...c,
});
const ALL_COUNTS = counts({ queued: 1, running: 1, retrypending: 1, succeeded: 2, deadletter: 1 });

function statusOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e.toStatus();
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('queryMessages', () => {
  const view = (query: ObservabilityQuery, messages: unknown[] = ALL) => queryMessages(task(messages), query);

  test('without filters: every message, counts over all of them', () => {
    expect(view({})).toEqual({ name: 'job', namespace: 'team', total: 7, filtered_from: 7, lifecycle_counts: ALL_COUNTS, messages: ALL });
  });

  test('phase: comma list, case-insensitive, "-"/"_" ignored, success = succeeded; empty items ignored', () => {
    expect(view({ phase: 'Succeeded, DEAD_LETTER' })).toEqual({ name: 'job', namespace: 'team', total: 3, filtered_from: 7, lifecycle_counts: ALL_COUNTS, messages: [m1, m2, m4] });
    expect(view({ phase: 'retry-pending' }).messages).toEqual([m3]);
    expect(view({ phase: ',,' }).messages).toEqual(ALL);
  });

  test('lifecycle is an alias used only when phase is empty', () => {
    expect(view({ lifecycle: 'success' }).messages).toEqual([m1, m2]);
    expect(view({ phase: 'queued', lifecycle: 'running' }).messages).toEqual([m5]);
    expect(view({ phase: ' ', lifecycle: 'running' }).messages).toEqual([m6]);
  });

  test('agent, branch and trace filters are case-insensitive equality and define filtered_from', () => {
    expect(view({ lifecycle: 'success', from_agent: 'PLANNER' })).toEqual({
      name: 'job',
      namespace: 'team',
      total: 1,
      filtered_from: 3,
      lifecycle_counts: counts({ running: 1, retrypending: 1, succeeded: 1 }),
      messages: [m2],
    });
    expect(view({ to_agent: ' writer ' }).messages).toEqual([m3, m4]);
    expect(view({ branch_id: 'B2' }).messages).toEqual([m3, m5]);
    expect(view({ trace_id: 't2' }).messages).toEqual([m4, m5]);
    expect(view({ from_agent: 'planner', to_agent: 'researcher' }).messages).toEqual([m2, m6]);
    expect(view({ from_agent: 'nobody' })).toEqual({ name: 'job', namespace: 'team', total: 0, filtered_from: 0, lifecycle_counts: counts(), messages: [] });
  });

  test('limit keeps the last N matches; 0 keeps all', () => {
    expect(view({ limit: '2' })).toEqual({ name: 'job', namespace: 'team', total: 2, filtered_from: 7, lifecycle_counts: ALL_COUNTS, messages: [m6, m7] });
    expect(view({ limit: '0' }).messages).toEqual(ALL);
    expect(view({ limit: '100' }).messages).toEqual(ALL);
    expect(view({ phase: 'succeeded,deadletter', limit: '1' }).messages).toEqual([m4]);
  });

  test('a task without messages, and records that are not objects, give empty views', () => {
    expect(queryMessages(task(), {})).toEqual({ name: 'job', namespace: 'team', total: 0, filtered_from: 0, lifecycle_counts: counts(), messages: [] });
    expect(view({}, ['junk', null, m5]).messages).toEqual([m5]);
  });

  test('an unknown phase or a bad limit is a 400 naming the parameter; every problem is listed', () => {
    const allowed = 'expected one of queued, running, retrypending, succeeded, deadletter';
    expect(statusOf(() => view({ phase: 'queued,bogus' }))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      message: `phase: "bogus" is not a phase; ${allowed}`,
      details: { causes: [{ field: 'phase', message: `"bogus" is not a phase; ${allowed}` }] },
    });
    expect(statusOf(() => view({ lifecycle: 'done' }))).toMatchObject({ code: 400, details: { causes: [{ field: 'lifecycle', message: `"done" is not a phase; ${allowed}` }] } });
    for (const limit of ['-1', 'abc', '1.5', '2e3', '99999999999999999999']) {
      expect(statusOf(() => view({ limit }))).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code: 400,
        reason: 'BadRequest',
        message: `limit: must be a non-negative integer, got "${limit}"`,
        details: { causes: [{ field: 'limit', message: `must be a non-negative integer, got "${limit}"` }] },
      });
    }
    expect(statusOf(() => view({ phase: 'x', limit: '-2' })).details).toEqual({
      causes: [
        { field: 'phase', message: `"x" is not a phase; ${allowed}` },
        { field: 'limit', message: 'must be a non-negative integer, got "-2"' },
      ],
    });
  });
});

describe('taskMetrics', () => {
  const NOW = new Date('2026-02-03T04:05:06.789Z');
  const zero = { queued: 0, running: 0, retrypending: 0, succeeded: 0, deadletter: 0, in_flight: 0, retry_count: 0, deadletters: 0, latency_ms_avg: 0, latency_ms_p95: 0, latency_sample_size: 0 };
  const lat = (ms: number) => ({ latency_ms_avg: ms, latency_ms_p95: ms, latency_sample_size: 1 });

  test('totals, per agent (by to_agent, outbound by from_agent) and per edge, sorted case-insensitively', () => {
    expect(taskMetrics(task(ALL), {}, NOW)).toEqual({
      name: 'job',
      namespace: 'team',
      generated_at: '2026-02-03T04:05:06.789000000Z',
      totals: {
        messages: 7,
        queued: 1,
        running: 1,
        retrypending: 1,
        succeeded: 2,
        deadletter: 1,
        in_flight: 3,
        retry_count: 6,
        deadletters: 1,
        latency_ms_avg: 937,
        latency_ms_p95: 1999,
        latency_sample_size: 4,
      },
      per_agent: [
        { agent: 'Planner', inbound: 1, outbound: 1, ...zero, succeeded: 1, ...lat(250) },
        { agent: 'planner', inbound: 0, outbound: 2, ...zero },
        { agent: 'researcher', inbound: 2, outbound: 1, ...zero, running: 1, succeeded: 1, in_flight: 1, retry_count: 1, ...lat(1500) },
        { agent: 'reviewer', inbound: 1, outbound: 0, ...zero, queued: 1, in_flight: 1 },
        { agent: 'Writer', inbound: 1, outbound: 1, ...zero, retrypending: 1, in_flight: 1, retry_count: 2 },
        { agent: 'writer', inbound: 1, outbound: 0, ...zero, deadletter: 1, retry_count: 3, deadletters: 1, ...lat(0) },
        { agent: 'x', inbound: 0, outbound: 1, ...zero },
        { agent: 'y', inbound: 1, outbound: 0, ...zero, ...lat(1999) },
      ],
      per_edge: [
        { from_agent: '', to_agent: 'Planner', messages: 1, ...zero, succeeded: 1, ...lat(250) },
        { from_agent: 'planner', to_agent: 'researcher', messages: 2, ...zero, running: 1, succeeded: 1, in_flight: 1, retry_count: 1, ...lat(1500) },
        { from_agent: 'planner', to_agent: 'Writer', messages: 1, ...zero, retrypending: 1, in_flight: 1, retry_count: 2 },
        { from_agent: 'researcher', to_agent: 'writer', messages: 1, ...zero, deadletter: 1, retry_count: 3, deadletters: 1, ...lat(0) },
        { from_agent: 'Writer', to_agent: 'reviewer', messages: 1, ...zero, queued: 1, in_flight: 1 },
        { from_agent: 'x', to_agent: 'y', messages: 1, ...zero, ...lat(1999) },
      ],
      filters: { phase_filtered: false },
    });
  });

  test('the same filters and limit apply before the rollups', () => {
    expect(taskMetrics(task(ALL), { phase: 'deadletter,retry-pending', limit: '1' }, NOW)).toEqual({
      name: 'job',
      namespace: 'team',
      generated_at: '2026-02-03T04:05:06.789000000Z',
      totals: { messages: 1, ...zero, deadletter: 1, retry_count: 3, deadletters: 1, ...lat(0) },
      per_agent: [
        { agent: 'researcher', inbound: 0, outbound: 1, ...zero },
        { agent: 'writer', inbound: 1, outbound: 0, ...zero, deadletter: 1, retry_count: 3, deadletters: 1, ...lat(0) },
      ],
      per_edge: [{ from_agent: 'researcher', to_agent: 'writer', messages: 1, ...zero, deadletter: 1, retry_count: 3, deadletters: 1, ...lat(0) }],
      filters: { phase_filtered: true },
    });
    expect(taskMetrics(task(), {}, NOW)).toEqual({
      name: 'job',
      namespace: 'team',
      generated_at: '2026-02-03T04:05:06.789000000Z',
      totals: { messages: 0, ...zero },
      per_agent: [],
      per_edge: [],
      filters: { phase_filtered: false },
    });
    expect(statusOf(() => taskMetrics(task(ALL), { phase: 'done' }, NOW))).toMatchObject({ code: 400, reason: 'BadRequest', details: { causes: [{ field: 'phase' }] } });
  });

  test('latency: whole milliseconds from nanosecond times, only when both parse and are ordered', () => {
    const at = (timestamp: string, processed_at?: string) => messageLatencyMs(msg('l', { timestamp, processed_at }));
    expect(at('2026-01-01T00:00:00.0009Z', '2026-01-01T00:00:00.0011Z')).toBe(0);
    expect(at('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.999999999Z')).toBe(1999);
    expect(at('2026-01-01T00:00:00+02:00', '2025-12-31T22:00:00.042Z')).toBe(42);
    expect(at('2026-01-01T00:00:01Z', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(at('2026-01-01T00:00:00Z')).toBeUndefined();
    expect(at('yesterday', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  test('average is truncated; p95 is the sorted sample at index ceil(0.95 n) - 1', () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => n - i);
    expect(summarizeLatencies([])).toEqual({ avg: 0, p95: 0, size: 0 });
    expect(summarizeLatencies([7])).toEqual({ avg: 7, p95: 7, size: 1 });
    expect(summarizeLatencies(range(20))).toEqual({ avg: 10, p95: 19, size: 20 });
    expect(summarizeLatencies(range(21))).toEqual({ avg: 11, p95: 20, size: 21 });
  });
});
