// Review checkpoints through the engine and the HTTP verbs: a node's review pauses after its agent
// answered (WaitingApproval, blocked_on, a TaskApproval with the frozen output and hand-offs, no
// lease), approve publishes the frozen hand-offs, deny and expiry fail the task, request-changes
// re-runs the agent with the feedback, and the completion review pauses before Succeeded.
import { afterEach, describe, expect, test } from 'bun:test';
import { startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Review = Record<string, unknown>;

/** writer → editor → publisher on the mock provider; the writer's output is reviewed unless `completion`. */
async function setup(opts: { review?: Review | false; completion?: Review } = {}): Promise<Harness> {
  const started = (h = await startHarness());
  await started.apply('ModelEndpoint', 'mock', { provider: 'mock', default_model: 'mock-1' });
  for (const a of ['writer', 'editor', 'publisher']) await started.apply('Agent', a, { model_ref: 'mock', prompt: `You are the ${a}.` });
  const review = opts.review === false ? undefined : { checkpoint_id: 'draft', ...(opts.review ?? {}) };
  await started.apply('AgentSystem', 'news', {
    agents: ['writer', 'editor', 'publisher'],
    graph: { writer: { edges: [{ to: 'editor' }], ...(review ? { review } : {}) }, editor: { edges: [{ to: 'publisher' }] } },
    ...(opts.completion ? { completion_review: opts.completion } : {}),
  });
  await started.apply('Task', 't', { system: 'news', input: { topic: 'the harvest' } });
  return started;
}

async function paused(h: Harness, cycle = 1): Promise<any> {
  await h.waitFor(async () => (await h.task('t')).status?.phase === 'WaitingApproval' && h.engine.worker.running === 0 && (await approvalOf(h, (await h.task('t')).status!.blocked_on.name))?.spec.review_cycle === cycle, `task t to wait for review cycle ${cycle}`);
  return await approvalOf(h, (await h.task('t')).status!.blocked_on.name);
}

const approvalOf = (h: Harness, name: string) => h.r.registry.findDecoded(h.r.kind('task-approvals'), 'default', name);
const runs = (t: any) => (t.status.trace as any[]).filter((r) => r.type === 'agent_start').map((r) => r.agent);
const eventTypes = async (h: Harness) => (await h.r.core.eventLog.readAfter(0, await h.r.core.eventLog.lastId(), 10_000)).map((e) => e.type).filter((t) => !t.startsWith('resource.') && t !== 'task.agent_step' && !t.startsWith('worker.'));
const decide = (h: Harness, name: string, verb: string, body: Record<string, unknown> = {}) => h.call('POST', `/v1/task-approvals/${name}/${verb}`, body);

describe('review checkpoints', () => {
  test('a node review pauses after the agent answered; approve publishes the frozen hand-off and the task succeeds', async () => {
    const h = await setup();
    const approval = await paused(h);
    const waiting = await h.task('t');
    const writer = waiting.status!.messages[0];
    expect(approval.metadata.name).toMatch(/^tr-[0-9a-f]{20}$/);
    expect(waiting.status!.blocked_on).toEqual({ kind: 'TaskApproval', name: approval.metadata.name, reason: 'output_review' });
    expect([waiting.status!.claimedBy, waiting.status!.leaseUntil, waiting.status!.leaseToken]).toEqual([undefined, undefined, undefined]);
    expect(waiting.status!.messages.map((m: any) => [m.to_agent, m.phase])).toEqual([['writer', 'WaitingApproval']]);
    const output = approval.spec.output;
    expect(output).toStartWith('[mock:mock-1]');
    expect(approval.spec).toEqual({
      task_ref: 'default/t',
      checkpoint_id: 'draft',
      checkpoint_type: 'agent_output',
      agent: 'writer',
      ttl: '10m',
      allow_request_changes: true,
      max_review_cycles: 3,
      review_cycle: 1,
      output,
      output_format: 'text',
      resume_context: {
        mode: 'message-driven',
        action: 'message_forward',
        system: 'news',
        producing_agent: 'writer',
        current_message: writer.message_id,
        next_messages: [expect.objectContaining({ from_agent: 'writer', to_agent: 'editor', content: output, phase: 'Queued', parent_id: writer.message_id })],
        output,
      },
    });
    expect(approval.status.phase).toBe('Pending');

    expect((await decide(h, approval.metadata.name, 'approve', { decided_by: 'alice' })).status).toBe(200);
    const t: any = await h.settled('t');
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.blocked_on).toBeUndefined();
    expect(runs(t)).toEqual(['writer', 'editor', 'publisher']);
    expect(t.status.output.result_agent).toBe('publisher');
    expect([t.status.attempts, t.status.messages[0].attempts]).toEqual([1, 1]);
    await h.published('task.succeeded');
    expect(await eventTypes(h)).toEqual(['task.claimed', 'task.runtime_kickoff', 'taskapproval.created', 'task.waiting_approval', 'taskapproval.approved', 'task.resumed', 'task.claimed', 'task.succeeded']);
  });

  test('deny fails the task with "task approval denied"; the next agent never runs', async () => {
    const h = await setup();
    const approval = await paused(h);
    expect((await decide(h, approval.metadata.name, 'deny', { decided_by: 'bob', comment: 'no' })).status).toBe(200);
    const t: any = await h.settled('t');
    expect([t.status.phase, t.status.lastError]).toEqual(['Failed', 'task approval denied']);
    expect(t.status.messages.map((m: any) => [m.phase, m.last_error])).toEqual([['DeadLetter', 'task approval denied']]);
    expect(runs(t)).toEqual(['writer']);
  });

  test('a review nobody decides expires: approval Expired, task Failed "task approval expired"', async () => {
    const h = await setup({ review: { ttl: '1s' } });
    const approval = await paused(h);
    expect(approval.spec.ttl).toBe('1s');
    await h.waitFor(async () => (await h.task('t')).status?.phase === 'Failed', 'task t to fail on expiry', 10_000);
    expect((await approvalOf(h, approval.metadata.name))!.status!.phase).toBe('Expired');
    expect((await h.task('t')).status!.lastError).toBe('task approval expired');
    await h.published('task.failed');
    expect((await eventTypes(h)).slice(-2)).toEqual(['taskapproval.expired', 'task.failed']);
  });

  test('request-changes re-runs the agent with the feedback; the third cycle is approved and its output moves on', async () => {
    const h = await setup();
    const first = await paused(h, 1);
    expect((await decide(h, first.metadata.name, 'request-changes', { decided_by: 'carol', comment: 'shorter please' })).status).toBe(200);
    const second = await paused(h, 2);
    expect(second.spec).toMatchObject({ review_cycle: 2, supersedes: first.metadata.name, agent: 'writer' });
    // The mock echoes its input: the re-run saw the feedback.
    expect(second.spec.output).toContain('Changes requested by a reviewer (cycle 2, from carol)');
    expect(second.spec.output).toContain('shorter please');
    expect((await decide(h, second.metadata.name, 'request-changes', { decided_by: 'carol', comment: 'and sharper' })).status).toBe(200);
    const third = await paused(h, 3);
    expect(third.spec).toMatchObject({ review_cycle: 3, supersedes: second.metadata.name });
    expect(third.spec.output).toContain('and sharper');
    const beyond = await decide(h, third.metadata.name, 'request-changes', { comment: 'again' });
    expect(beyond.status).toBe(409);
    expect((await decide(h, third.metadata.name, 'approve', {})).status).toBe(200);
    const t: any = await h.settled('t');
    expect(t.status.phase).toBe('Succeeded');
    expect(runs(t)).toEqual(['writer', 'writer', 'writer', 'editor', 'publisher']);
    // The editor received the reviewed (third) output; no retry was used up.
    const editor = t.status.messages.find((m: any) => m.to_agent === 'editor');
    expect(editor.content).toBe(third.spec.output);
    expect([t.status.attempts, t.status.messages[0].attempts]).toEqual([1, 1]);
  });

  test('editing the AgentSystem while a task waits does not change the approved hand-off', async () => {
    const h = await setup();
    const approval = await paused(h);
    await h.apply('AgentSystem', 'news', { agents: ['writer', 'editor', 'publisher'], graph: { writer: { edges: [{ to: 'publisher' }], review: { checkpoint_id: 'draft' } } } });
    expect((await decide(h, approval.metadata.name, 'approve', {})).status).toBe(200);
    const t: any = await h.settled('t');
    expect(t.status.phase).toBe('Succeeded');
    // The frozen hand-off went to the editor; the edited graph then ends there.
    expect(runs(t)).toEqual(['writer', 'editor']);
  });

  test('the completion review pauses before Succeeded; approve completes the task with the output', async () => {
    const h = await setup({ review: false, completion: { checkpoint_id: 'final', reason: 'sign-off' } });
    const approval = await paused(h);
    expect(approval.spec).toMatchObject({ checkpoint_id: 'final', checkpoint_type: 'task_output', agent: 'publisher', reason: 'sign-off' });
    expect(approval.spec.resume_context).toMatchObject({ action: 'message_complete', next_messages: [] });
    expect(runs(await h.task('t'))).toEqual(['writer', 'editor', 'publisher']);
    expect((await decide(h, approval.metadata.name, 'approve', {})).status).toBe(200);
    const t: any = await h.settled('t');
    expect(t.status.phase).toBe('Succeeded');
    expect(t.status.output.result).toBe(approval.spec.output);
    expect(t.status.output.result_agent).toBe('publisher');
  });
});
