// Task observability and cancel over HTTP: messages and metrics with filters and 400s, task and
// agent logs, cancel of every phase, the task.cancelled event, and the routing around them.
import { describe, expect, test } from 'bun:test';
import { parseEnvTokens } from '../../src/auth/env-tokens';
import { testApp } from '../support/app';
import { json, SseReader } from '../support/sse';

const NOW = '2026-05-06T07:08:09.123Z';
const clock = { now: () => new Date(NOW) };
const STATUS = { kind: 'Status', apiVersion: 'v1', status: 'Failure' };
const notFound = (plural: string, name: string) => ({ ...STATUS, code: 404, reason: 'NotFound', message: `${plural} "${name}" not found`, details: { kind: plural, name } });

const message = (id: string, phase: string, from: string, to: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  timestamp: '2026-05-06T07:00:00Z',
  message_id: id,
  idempotency_key: `job/${id}`,
  task_id: 'team/job',
  attempt: 1,
  system: 'pipeline',
  from_agent: from,
  to_agent: to,
  branch_id: 'b1',
  type: 'task_handoff',
  content: id,
  trace_id: 'tr',
  phase,
  attempts: 1,
  max_attempts: 2,
  ...extra,
});
const M1 = message('m1', 'Succeeded', '', 'planner', { type: 'task_start', processed_at: '2026-05-06T07:00:00.400Z' });
const M2 = message('m2', 'Running', 'planner', 'writer', { attempts: 2, worker: 'w1' });
const M3 = message('m3', 'RetryPending', 'planner', 'critic', { attempts: 2, next_attempt_at: '2026-05-06T07:10:00Z' });
const M4 = message('m4', 'DeadLetter', 'critic', 'writer', { attempts: 2, last_error: 'boom' });

async function setup(opts: Parameters<typeof testApp>[0] = {}) {
  const ctx = testApp({ clock, ...opts });
  const task = async (name: string, status: Record<string, unknown>, spec: Record<string, unknown> = { system: 'pipeline' }, namespace = 'team') => {
    expect((await ctx.call('POST', `/v1/tasks?namespace=${namespace}`, { metadata: { name }, spec })).status).toBe(201);
    const r = await ctx.call('PUT', `/v1/tasks/${name}/status?namespace=${namespace}`, { status }, { 'if-match': '*' });
    expect(r.status).toBe(200);
    return (await ctx.call('GET', `/v1/tasks/${name}?namespace=${namespace}`)).json;
  };
  return { ...ctx, task };
}

describe('GET /v1/tasks/{name}/messages and /metrics', () => {
  test('messages: filters in the query, the whole response shape', async () => {
    const { call, task } = await setup();
    await task('job', { phase: 'Running', messages: [M1, M2, M3, M4] });
    const r = await call('GET', '/v1/tasks/job/messages?namespace=team&from_agent=PLANNER&phase=running,retry_pending');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json).toEqual({
      name: 'job',
      namespace: 'team',
      total: 2,
      filtered_from: 2,
      lifecycle_counts: { queued: 0, running: 1, retrypending: 1, succeeded: 0, deadletter: 0 },
      messages: [M2, M3],
    });
    expect((await call('GET', '/v1/tasks/job/messages?namespace=team&limit=1')).json.messages).toEqual([M4]);
  });

  test('metrics: totals, per agent and per edge with generated_at from the clock', async () => {
    const { call, task } = await setup();
    await task('job', { phase: 'Running', messages: [M1, M2, M4] });
    const zero = { queued: 0, running: 0, retrypending: 0, succeeded: 0, deadletter: 0, in_flight: 0, retry_count: 0, deadletters: 0, latency_ms_avg: 0, latency_ms_p95: 0, latency_sample_size: 0 };
    const r = await call('GET', '/v1/tasks/job/metrics?namespace=team');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      name: 'job',
      namespace: 'team',
      generated_at: '2026-05-06T07:08:09.123000000Z',
      totals: { messages: 3, ...zero, running: 1, succeeded: 1, deadletter: 1, in_flight: 1, retry_count: 2, deadletters: 1, latency_ms_avg: 400, latency_ms_p95: 400, latency_sample_size: 1 },
      per_agent: [
        { agent: 'critic', inbound: 0, outbound: 1, ...zero },
        { agent: 'planner', inbound: 1, outbound: 1, ...zero, succeeded: 1, latency_ms_avg: 400, latency_ms_p95: 400, latency_sample_size: 1 },
        { agent: 'writer', inbound: 2, outbound: 0, ...zero, running: 1, deadletter: 1, in_flight: 1, retry_count: 2, deadletters: 1 },
      ],
      per_edge: [
        { from_agent: '', to_agent: 'planner', messages: 1, ...zero, succeeded: 1, latency_ms_avg: 400, latency_ms_p95: 400, latency_sample_size: 1 },
        { from_agent: 'critic', to_agent: 'writer', messages: 1, ...zero, deadletter: 1, retry_count: 1, deadletters: 1 },
        { from_agent: 'planner', to_agent: 'writer', messages: 1, ...zero, running: 1, in_flight: 1, retry_count: 1 },
      ],
      filters: { phase_filtered: false },
    });
  });

  test('a bad filter is a 400 Status naming the parameter, checked before the task is looked up', async () => {
    const { call, task } = await setup();
    await task('job', { phase: 'Running', messages: [M1] });
    const allowed = 'expected one of queued, running, retrypending, succeeded, deadletter';
    for (const sub of ['messages', 'metrics']) {
      const r = await call('GET', `/v1/tasks/job/${sub}?namespace=team&lifecycle=finished&limit=x`);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        ...STATUS,
        code: 400,
        reason: 'BadRequest',
        message: `lifecycle: "finished" is not a phase; ${allowed}; limit: must be a non-negative integer, got "x"`,
        details: {
          causes: [
            { field: 'lifecycle', message: `"finished" is not a phase; ${allowed}` },
            { field: 'limit', message: 'must be a non-negative integer, got "x"' },
          ],
        },
      });
      expect((await call('GET', `/v1/tasks/missing/${sub}?limit=-1`)).status).toBe(400);
    }
  });

  test('a missing task is a 404 Status; ?namespace= defaults to default', async () => {
    const { call, task } = await setup();
    await task('job', { phase: 'Running', messages: [] });
    for (const sub of ['messages', 'metrics', 'logs']) {
      const r = await call('GET', `/v1/tasks/job/${sub}`);
      expect(r.status).toBe(404);
      expect(r.json).toEqual(notFound('tasks', 'job'));
    }
  });
});

describe('GET /v1/tasks/{name}/logs and /v1/agents/{name}/logs', () => {
  test('the lines the runtime appended, oldest first, for the named object only', async () => {
    const { call, task, logs } = await setup();
    await task('job', { phase: 'Pending' });
    expect((await call('POST', '/v1/agents?namespace=team', { metadata: { name: 'writer' }, spec: { model_ref: 'm' } })).status).toBe(201);
    await logs.append('Task', 'team', 'job', 'task claimed by worker=w1 lease=30s');
    await logs.append('Task', 'team', 'job', 'agent start: writer\nmodel=mock');
    await logs.append('Task', 'default', 'job', 'another namespace');
    await logs.append('Agent', 'team', 'writer', 'step 1');
    expect((await call('GET', '/v1/tasks/job/logs?namespace=team')).json).toEqual({
      name: 'job',
      namespace: 'team',
      logs: [`${NOW} task claimed by worker=w1 lease=30s`, `${NOW} agent start: writer model=mock`],
    });
    expect((await call('GET', '/v1/agents/writer/logs?namespace=team')).json).toEqual({ name: 'writer', namespace: 'team', logs: [`${NOW} step 1`] });
    const missing = await call('GET', '/v1/agents/writer/logs');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(notFound('agents', 'writer'));
  });

  test('deleting the object drops its lines, so a new object of the same name starts clean', async () => {
    const { call, task, logs } = await setup();
    await task('job', { phase: 'Pending' });
    await logs.append('Task', 'team', 'job', 'old run');
    expect((await call('DELETE', '/v1/tasks/job?namespace=team')).status).toBe(200);
    await task('job', { phase: 'Pending' });
    expect((await call('GET', '/v1/tasks/job/logs?namespace=team')).json).toEqual({ name: 'job', namespace: 'team', logs: [] });
  });
});

describe('POST /v1/tasks/{name}/cancel', () => {
  test('a Running task ends Failed/cancelled: lease cleared, open messages dead-lettered, history and log written', async () => {
    const { call, task, logs } = await setup();
    const before = await task('job', {
      phase: 'Running',
      attempts: 1,
      startedAt: '2026-05-06T07:00:00Z',
      claimedBy: 'w1',
      assignedWorker: 'w1',
      leaseUntil: '2026-05-06T07:09:00Z',
      lastHeartbeat: '2026-05-06T07:08:00Z',
      nextAttemptAt: '2026-05-06T07:09:30Z',
      history: [{ timestamp: '2026-05-06T07:00:00Z', type: 'claim', worker: 'w1', message: 'claimed by w1 (attempt 1)' }],
      messages: [M1, M2, M3, M4],
    });
    const r = await call('POST', '/v1/tasks/job/cancel?namespace=team');
    expect(r.status).toBe(200);
    const { claimedBy, leaseUntil, nextAttemptAt, ...kept } = before.status;
    const { next_attempt_at, ...m3 } = M3;
    expect([claimedBy, leaseUntil, nextAttemptAt, next_attempt_at]).toEqual(['w1', '2026-05-06T07:09:00Z', '2026-05-06T07:09:30Z', '2026-05-06T07:10:00Z']);
    expect(r.json).toEqual({
      ...before,
      metadata: { ...before.metadata, resourceVersion: String(Number(before.metadata.resourceVersion) + 1) },
      status: {
        ...kept,
        phase: 'Failed',
        lastError: 'cancelled',
        completedAt: '2026-05-06T07:08:09Z',
        history: [...before.status.history, { timestamp: '2026-05-06T07:08:09Z', type: 'cancelled', worker: 'api', message: 'task cancelled by api while Running' }],
        record_counts: { ...kept.record_counts, history: 2 },
        messages: [M1, { ...M2, phase: 'DeadLetter', last_error: 'cancelled' }, { ...m3, phase: 'DeadLetter', last_error: 'cancelled' }, M4],
      },
    });
    expect((await call('GET', '/v1/tasks/job?namespace=team')).json).toEqual(r.json);
    expect(await logs.read('Task', 'team', 'job')).toEqual([`${NOW} task cancelled by api: transitioned to Failed reason=cancelled`]);
  });

  test('Pending and WaitingApproval tasks can be cancelled; ?namespace= defaults to default', async () => {
    const { call, task } = await setup();
    await task('queued', { phase: 'Pending' }, undefined, 'default');
    await task('waiting', { phase: 'WaitingApproval', blocked_on: { kind: 'TaskApproval', name: 'ok-1' } }, undefined, 'default');
    for (const [name, was] of [['queued', 'Pending'], ['waiting', 'WaitingApproval']]) {
      const r = await call('POST', `/v1/tasks/${name}/cancel`);
      expect(r.status).toBe(200);
      expect(r.json.status.phase).toBe('Failed');
      expect(r.json.status.history).toEqual([{ timestamp: '2026-05-06T07:08:09Z', type: 'cancelled', worker: 'api', message: `task cancelled by api while ${was}` }]);
    }
  });

  test('ended, template and missing tasks are refused with a Status body', async () => {
    const { call, task } = await setup();
    for (const phase of ['Succeeded', 'Failed', 'DeadLetter']) {
      await task(`done-${phase.toLowerCase()}`, { phase });
      const r = await call('POST', `/v1/tasks/done-${phase.toLowerCase()}/cancel?namespace=team`);
      expect(r.status).toBe(409);
      expect(r.json).toEqual({
        ...STATUS,
        code: 409,
        reason: 'Conflict',
        message: `task "done-${phase.toLowerCase()}" is already ${phase} and cannot be cancelled`,
        details: { kind: 'tasks', name: `done-${phase.toLowerCase()}` },
      });
    }
    await task('tmpl', { phase: 'Pending' }, { system: 'pipeline', mode: 'template' });
    const tmpl = await call('POST', '/v1/tasks/tmpl/cancel?namespace=team');
    expect(tmpl.status).toBe(409);
    expect(tmpl.json).toEqual({
      ...STATUS,
      code: 409,
      reason: 'Conflict',
      message: 'task "tmpl" is a template: template tasks never run, so there is nothing to cancel',
      details: { kind: 'tasks', name: 'tmpl' },
    });
    const missing = await call('POST', '/v1/tasks/tmpl/cancel');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(notFound('tasks', 'tmpl'));
  });

  test('publishes task.cancelled on the event stream, naming the caller', async () => {
    const TOKEN = 'tok-writer-0123456789';
    const { app, call } = await setup({ auth: { envTokens: parseEnvTokens({ ORLOJ_API_TOKENS: `ci:${TOKEN}:writer,ro:tok-reader-0123456789:reader` }).tokens } });
    const as = { authorization: `Bearer ${TOKEN}` };
    expect((await call('POST', '/v1/tasks?namespace=team', { metadata: { name: 'job' }, spec: { system: 'pipeline' } }, as)).status).toBe(201);
    const stream = await app.handle(new Request('http://localhost/v1/events/watch?type=task.cancelled', { headers: as }));
    expect(stream.status).toBe(200);
    const w = new SseReader(stream);
    expect((await call('POST', '/v1/tasks/job/cancel?namespace=team', undefined, { authorization: 'Bearer tok-reader-0123456789' })).status).toBe(403);
    const r = await call('POST', '/v1/tasks/job/cancel?namespace=team', undefined, as);
    expect(r.status).toBe(200);
    expect(r.json.status.history.at(-1)).toEqual({ timestamp: '2026-05-06T07:08:09Z', type: 'cancelled', worker: 'ci', message: 'task cancelled by ci while Pending' });
    const [frame] = await w.waitFor(1);
    expect(json(frame)).toEqual({
      id: Number(frame.id),
      timestamp: '2026-05-06T07:08:09.123000000Z',
      source: 'api',
      type: 'task.cancelled',
      kind: 'Task',
      name: 'job',
      namespace: 'team',
      message: 'task team/job cancelled by ci',
      data: { phase: 'Failed', lastError: 'cancelled' },
    });
    await w.close();
  });
});

describe('routing', () => {
  test('sub-resource paths are not swallowed by {name} routes; other methods are 405 with Allow', async () => {
    const { call, task } = await setup();
    await task('job', { phase: 'Pending' }, undefined, 'default');
    const cases: [string, string, string][] = [
      ['DELETE', '/v1/tasks/job/messages', 'GET'],
      ['PUT', '/v1/tasks/job/metrics', 'GET'],
      ['POST', '/v1/tasks/job/logs', 'GET'],
      ['DELETE', '/v1/agents/a/logs', 'GET'],
      ['GET', '/v1/tasks/job/cancel', 'POST'],
      ['PUT', '/v1/tasks/job/cancel', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await call(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      expect(r.json).toEqual({ ...STATUS, code: 405, reason: 'MethodNotAllowed', message: `method ${method} is not allowed on ${path}` });
    }
    // Reserved sub-resource words are names no object can have: the generic route answers 404.
    expect((await call('GET', '/v1/tasks/logs')).json).toEqual(notFound('tasks', 'logs'));
    expect((await call('GET', '/v1/tasks/job')).json.metadata.name).toBe('job');
  });
});
