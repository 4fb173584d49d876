// How tasks end when things go wrong: task-time validation, message retries into DeadLetter,
// non-retryable errors, joins under each on_failure (and failures upstream of them), policies and
// budgets, fallback endpoints, task-level retry, and cancellation that aborts the in-flight model call.
import { afterEach, describe, expect, test } from 'bun:test';
import { cancelTask } from '../../../src/runtime/engine/cancel';
import { MAX_RESUMES } from '../../../src/runtime/engine/message-step';
import { systemClock } from '../../../src/util/time';
import { agentSpec, worldPerTest } from './harness';

const { world, extraModel } = worldPerTest();

const trace = (t: any, type: string) => (t.status.trace as any[]).filter((r) => r.type === type);

describe('task-time validation', () => {
  test('unknown agents, tools and endpoints fail the task with every problem listed', async () => {
    const { h } = await world(() => 'x', ['a']);
    await h.apply('Agent', 'b', { model_ref: 'nowhere', tools: ['missing-tool'] });
    await h.apply('AgentSystem', 'bad', { agents: ['a', 'b', 'ghost'], graph: { a: { edges: [{ to: 'b' }] } } });
    await h.apply('Task', 't', { system: 'bad' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(t.status!.lastError).toBe(
      'invalid task: agent b: model_ref nowhere does not name a ModelEndpoint; agent b: tool missing-tool not found; agent ghost not found in namespace default',
    );
    expect(trace(t, 'task_validation_error')).toHaveLength(1);
  });

  test('a cycle without max_turns and a missing system are refused', async () => {
    const { h } = await world(() => 'x', ['a', 'b'], { a: { next: 'b' }, b: { next: 'a' } });
    await h.apply('Task', 'loop', { system: 'sys' });
    await h.apply('Task', 'nosys', { system: 'absent' });
    const loop = await h.settled('loop');
    expect(loop.status!.phase).toBe('Failed');
    expect(loop.status!.lastError).toContain('cycle');
    expect(loop.status!.lastError).toContain('max_turns');
    const nosys = await h.settled('nosys');
    expect(nosys.status!.lastError).toBe('invalid task: spec.system: AgentSystem absent not found in namespace default');
  });
});

describe('retries and endings', () => {
  test('a retryable failure is retried per message_retry and then dead-letters the task', async () => {
    const { h, model } = await world(() => ({ status: 503 }), ['a'], {}, { limits: { max_steps: 1 } });
    await h.apply('Task', 't', { system: 'sys', message_retry: { max_attempts: 3, backoff: '5ms', jitter: 'none' } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('DeadLetter');
    expect(model.calls.length).toBe(3);
    expect(new Set(model.calls.map((c) => c.key)).size).toBe(3);
    const m = t.status!.messages[0];
    expect(m).toMatchObject({ phase: 'DeadLetter', attempts: 3, max_attempts: 3 });
    expect(trace(t, 'agent_message_retry_scheduled')).toHaveLength(2);
    expect(trace(t, 'agent_message_deadletter')[0]).toMatchObject({ retryable: true, error_code: 'model_error' });
    expect(t.status!.lastError).toStartWith(`message ${m.message_id} dead-lettered after 3 attempts: model_error:`);
    expect(t.status!.history.map((x: any) => x.type)).toEqual(['claim', 'runtime_kickoff', 'deadletter']);
  });

  test('a non-retryable provider error (400) fails the task at once', async () => {
    const { h, model } = await world(() => ({ status: 400, json: { error: { message: 'bad schema' } } }), ['a']);
    await h.apply('Task', 't', { system: 'sys', message_retry: { max_attempts: 3 } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(model.calls.length).toBe(1);
    expect(trace(t, 'agent_message_non_retryable')).toHaveLength(1);
    expect(t.status!.lastError).toContain('bad schema');
  });

  test('task-level retry starts a new attempt with fresh message ids', async () => {
    let n = 0;
    const { h } = await world(() => (++n === 1 ? { status: 500 } : 'fine'), ['a'], {}, { limits: { max_steps: 1 } });
    await h.apply('Task', 't', { system: 'sys', retry: { max_attempts: 2, backoff: '1ms' }, message_retry: { max_attempts: 1 } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(t.status!.attempts).toBe(2);
    expect((t.status!.messages as any[]).map((m) => `${m.message_id}:${m.phase}`)).toEqual(['default/t/a001/b001/h001/system/a:DeadLetter', 'default/t/a002/b001/h001/system/a:Succeeded']);
    expect(t.status!.history.map((x: any) => x.type)).toEqual(['claim', 'runtime_kickoff', 'retry_scheduled', 'claim', 'runtime_kickoff', 'succeeded']);
  });

  test('a fallback endpoint answers when the primary returns 500', async () => {
    const backup = extraModel(() => 'from backup');
    const { h, model } = await world(() => ({ status: 500 }), []);
    await h.apply('ModelEndpoint', 'backup', { provider: 'openai-compatible', base_url: backup.url, default_model: 'backup-1' });
    await h.apply('Agent', 'a', agentSpec('a', 'fake', { fallback_model_refs: ['backup'] }));
    await h.apply('AgentSystem', 'solo', { agents: ['a'] });
    await h.apply('Task', 't', { system: 'solo' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(t.status!.output.result).toBe('from backup');
    expect(model.calls.length).toBe(1);
  });
});

describe('resumed messages', () => {
  test('a message left Running by stopped runs more than MAX_RESUMES times counts as a failed attempt', async () => {
    const { h, model } = await world(() => 'fine', ['a']);
    const task = await h.apply('Task', 't', { system: 'sys' });
    const now = new Date();
    const id = 'default/t/a001/b001/h001/system/a';
    const kickoff = { timestamp: now.toISOString(), message_id: id, idempotency_key: id, task_id: 'default/t', attempt: 1, system: 'sys', from_agent: 'system', to_agent: 'a', branch_id: 'b001', type: 'task_start', content: 'go', trace_id: 'default/t/a001', phase: 'Running', attempts: 1, max_attempts: 1, worker: 'crashed', resumes: MAX_RESUMES };
    // As a worker that died mid-message leaves it: Running, lease lapsed.
    await h.r.registry.replaceStatus(h.r.kind('tasks'), 'default', 't', { status: { phase: 'Running', attempts: 1, claimedBy: 'crashed', leaseUntil: new Date(now.getTime() - 1000).toISOString(), messages: [kickoff] } }, task.metadata.resourceVersion);
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('DeadLetter');
    expect(model.calls.length).toBe(0);
    expect(t.status!.messages[0]).toMatchObject({ phase: 'DeadLetter', resumes: MAX_RESUMES + 1 });
    expect(t.status!.lastError).toContain('worker_lost: the worker stopped 4 times while running this message');
    expect(trace(t, 'agent_message_resumed')[0].message).toBe('resumed by w1 (was crashed); resume 4 of 3');
  });
});

describe('joins with failing branches', () => {
  const graph = { a: { edges: [{ to: 'b' }, { to: 'c' }] }, b: { next: 'd' }, c: { next: 'd' } };
  const answer = (c: { agent: string; user: string }) => (c.agent === 'c' ? { status: 400 } : c.agent === 'd' ? `d saw ${c.user.includes('b answer') ? 'b' : '-'}` : `${c.agent} answer`);

  for (const onFailure of ['skip', 'continue_partial'] as const) {
    test(`on_failure ${onFailure}: the join runs with the branches that succeeded`, async () => {
      const { h, model } = await world(answer, ['a', 'b', 'c', 'd'], { ...graph, d: { join: { mode: 'wait_for_all', on_failure: onFailure } } });
      await h.apply('Task', 't', { system: 'sys' });
      const t = await h.settled('t');
      expect(t.status!.phase).toBe('Succeeded');
      expect(model.byAgent('d').length).toBe(1);
      expect(t.status!.output.result).toBe('d saw b');
      expect(t.status!.join_states[0].sources.map((x: any) => `${x.from_agent}:${x.failed ? 'failed' : 'ok'}`).sort()).toEqual(['b:ok', 'c:failed']);
      expect((t.status!.messages as any[]).find((m) => m.to_agent === 'c').phase).toBe('DeadLetter');
    });
  }

  test('on_failure deadletter (default): a failed branch ends the task', async () => {
    const { h, model } = await world(answer, ['a', 'b', 'c', 'd'], graph);
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(model.byAgent('d').length).toBe(0);
  });
});

describe('failure upstream of a tolerant join', () => {
  // a fans out to b and c, which join at d (on_failure skip). When a itself fails, d is told of one
  // failed source out of two, never fires, and the task ends Succeeded with no result and no error.
  test('an entry agent that dead-letters does not end the task Succeeded', async () => {
    const { h } = await world((c) => (c.agent === 'a' ? { status: 400 } : `${c.agent} ok`), ['a', 'b', 'c', 'd'], {
      a: { edges: [{ to: 'b' }, { to: 'c' }] },
      b: { next: 'd' },
      c: { next: 'd' },
      d: { join: { mode: 'wait_for_all', on_failure: 'skip' } },
    }, { limits: { max_steps: 1 } });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).not.toBe('Succeeded');
  });
});

describe('governance', () => {
  test('allowed_models refuses the agent before any model call', async () => {
    const { h, model } = await world(() => 'x', ['a']);
    await h.apply('AgentPolicy', 'p', { apply_mode: 'global', allowed_models: ['gpt-approved'] });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(model.calls.length).toBe(0);
    expect(t.status!.lastError).toContain('policy p disallows model fake-1 for agent a');
  });

  test('blocked_tools refuses an agent that declares the tool', async () => {
    const { h, model } = await world(() => 'x', []);
    await h.apply('Tool', 'shell', { type: 'http', endpoint: 'http://127.0.0.1:9/never' });
    await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['shell'] }));
    await h.apply('AgentSystem', 'solo', { agents: ['a'] });
    await h.apply('AgentPolicy', 'no-shell', { apply_mode: 'scoped', target_tasks: ['t'], blocked_tools: ['shell'] });
    await h.apply('Task', 't', { system: 'solo' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(model.calls.length).toBe(0);
    expect(t.status!.lastError).toContain('policy_violation: policy no-shell blocks tool shell for agent a');
    expect(trace(t, 'agent_message_non_retryable')[0]).toMatchObject({ error_code: 'policy_violation', retryable: false });
  });

  test('a contract profile violation is non-retryable and ends the task Failed', async () => {
    const { h } = await world(() => 'done without tools', []);
    await h.apply('Tool', 'lookup', { type: 'http', endpoint: 'http://127.0.0.1:9/never' });
    await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['lookup'], limits: { max_steps: 2 }, execution: { profile: 'contract', tool_sequence: ['lookup'] } }));
    await h.apply('AgentSystem', 'solo', { agents: ['a'] });
    await h.apply('Task', 't', { system: 'solo', message_retry: { max_attempts: 3 } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(t.status!.messages[0].attempts).toBe(1);
    expect(t.status!.lastError).toContain('contract_violation');
  });

  test('the token budget is enforced', async () => {
    const { h } = await world(() => 'an answer', ['a', 'b'], { a: { next: 'b' } });
    await h.apply('AgentPolicy', 'budget', { apply_mode: 'scoped', target_systems: ['sys'], max_tokens_per_run: 20 });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(t.status!.lastError).toContain('token_budget_exceeded');
    expect(Number(t.status!.output.tokens_used_total)).toBe(30);
  });
});

describe('cancel', () => {
  test('cancelling a running task aborts the model call and ends it Failed/cancelled', async () => {
    const { h, model } = await world(() => 'hang', ['a']);
    await h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.calls.length === 1, 'the model call');
    await cancelTask(h.r.registry, h.r.core.events, systemClock, 'default', 't');
    await h.waitFor(() => model.calls[0].aborted, 'the model call to be aborted');
    const t = await h.task('t');
    expect(t.status).toMatchObject({ phase: 'Failed', lastError: 'cancelled' });
    expect(t.status!.messages[0]).toMatchObject({ phase: 'DeadLetter', last_error: 'cancelled' });
    await h.waitFor(() => h!.engine.worker.running === 0, 'the run to stop');
    expect((await h.task('t')).status!.phase).toBe('Failed');
    // The worker no longer holds the task's status (it ended without a write of its own).
    expect(h.engine.deps.leases.heldTasks).toBe(0);
  });

  test('deleting a running task stops it', async () => {
    const { h, model } = await world(() => 'hang', ['a']);
    await h.apply('Task', 't', { system: 'sys' });
    await h.waitFor(() => model.calls.length === 1, 'the model call');
    await h.r.registry.delete(h.r.kind('tasks'), 'default', 't');
    await h.waitFor(() => model.calls[0].aborted, 'the model call to be aborted');
    await h.waitFor(() => h!.engine.worker.running === 0, 'the run to stop');
    expect(h.engine.deps.leases.heldTasks).toBe(0);
  });
});
