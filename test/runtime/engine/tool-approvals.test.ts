// Tool approvals through the engine and the HTTP verbs: an approval_required call pauses the task
// (WaitingApproval, blocked_on, a ToolApproval with the call's class and redacted input, no lease),
// approve resumes it where it paused (the model is not asked again, the tool runs once), deny and
// expiry fail it, a waiting task can be cancelled or deleted, and a tool answering approval_pending
// pauses the task the same way.
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { agentSpec, fakeModel, recordingTool, startHarness, type Harness, type ModelCall } from './harness';

const toolServer = recordingTool('ticket updated');
const { received } = toolServer;
let current: { h: Harness; model: ReturnType<typeof fakeModel> } | undefined;
afterEach(async () => {
  await current?.h.close();
  await current?.model.stop();
  current = undefined;
  received.length = 0;
});
afterAll(async () => await toolServer.stop());

const hasToolResult = (call: ModelCall) => call.body.messages.some((m: any) => m.role === 'tool');
/** Calls `ticket` once (with a password among its arguments), then answers with text. */
const callsTicketOnce = (call: ModelCall) => (hasToolResult(call) ? 'done' : { toolCalls: [{ name: 'ticket', arguments: { id: 'T-7', password: 'hunter2' } }] });

/** `ticket` is a write tool; unless `ungoverned`, a ToolPermission asks a person before every write. */
async function setup(opts: { approvalTtl?: string; toolUrl?: string; ungoverned?: boolean } = {}) {
  const model = fakeModel(callsTicketOnce);
  const h = await startHarness(opts.approvalTtl ? { approvalTtl: opts.approvalTtl } : {});
  current = { h, model };
  await h.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
  await h.apply('Tool', 'ticket', { type: 'http', endpoint: opts.toolUrl ?? `${toolServer.url}/ticket`, operation_classes: ['write'] });
  if (!opts.ungoverned) {
    await h.r.registry.apply(h.r.kind('tool-permissions'), { metadata: { name: 'ticket-review' }, spec: { tool_ref: 'ticket', operation_rules: [{ operation_class: 'write', verdict: 'approval_required' }] } }, {});
  }
  await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['ticket'] }));
  await h.apply('AgentSystem', 'solo', { agents: ['a'] });
  await h.apply('Task', 't', { system: 'solo', message_retry: { max_attempts: 2 }, retry: { max_attempts: 2 } });
  return { h, model };
}

/** Waits until the task waits for its approval and the worker holds nothing; returns the approval's name. */
async function paused(h: Harness): Promise<string> {
  await h.waitFor(async () => (await h.task('t')).status?.phase === 'WaitingApproval' && h.engine.worker.running === 0, 'task t to wait for approval');
  return (await h.task('t')).status!.blocked_on.name;
}

const rowsOf = (t: any, type: string) => (t.status.trace as any[]).filter((r) => r.type === type);
/** The non-resource events, in order. */
const eventTypes = async (h: Harness) => (await h.r.core.eventLog.readAfter(0, await h.r.core.eventLog.lastId(), 10_000)).map((e) => e.type).filter((t) => !t.startsWith('resource.') && t !== 'task.agent_step' && !t.startsWith('worker.'));
const approvalOf = (h: Harness, name: string) => h.r.registry.getDecoded(h.r.kind('tool-approvals'), 'default', name);

describe('tool approvals', () => {
  test('approval_required pauses the task; approve resumes it where it paused and the tool runs once', async () => {
    const { h, model } = await setup();
    const name = await paused(h);
    const waiting = await h.task('t');
    expect(name).toMatch(/^ta-[0-9a-f]{20}$/);
    expect(waiting.status!.blocked_on).toEqual({ kind: 'ToolApproval', name, reason: 'tool_approval' });
    expect([waiting.status!.claimedBy, waiting.status!.leaseUntil, waiting.status!.leaseToken]).toEqual([undefined, undefined, undefined]);
    expect(waiting.status!.messages.map((m: any) => [m.phase, m.attempts])).toEqual([['WaitingApproval', 1]]);
    expect(rowsOf(waiting, 'tool_approval_pending')[0]).toMatchObject({ agent: 'a', tool: 'ticket', message: `waiting for ToolApproval ${name}: tool=ticket rule=ticket-review operation_class=write verdict=approval_required` });
    expect(waiting.status!.history.at(-1)).toMatchObject({ type: 'tool_approval_pending', worker: 'w1' });

    const approval = await approvalOf(h, name);
    expect(approval.spec).toEqual({
      task_ref: 'default/t',
      tool: 'ticket',
      agent: 'a',
      operation_class: 'write',
      input: '{"id":"T-7","password":"[REDACTED]"}',
      reason: 'rule=ticket-review operation_class=write verdict=approval_required',
      ttl: '10m',
    });
    expect(approval.status!.phase).toBe('Pending');
    expect(Date.parse(approval.status!.expires_at) - Date.parse(approval.metadata.createdAt)).toBeGreaterThanOrEqual(599_000);
    expect([received.length, model.calls.length]).toEqual([0, 1]);

    const r = await h.call('POST', `/v1/tool-approvals/${name}/approve`, { decided_by: 'alice' });
    expect(r.status).toBe(200);
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(t.status!.output.result).toBe('done');
    expect(t.status!.blocked_on).toBeUndefined();
    // The tool ran exactly once, with the arguments that were approved.
    expect(received.length).toBe(1);
    expect(JSON.stringify(received[0])).toContain('"password":"hunter2"');
    // The first model step was replayed from the journal; only the step after the tool result was asked.
    expect(model.calls.map(hasToolResult)).toEqual([false, true]);
    expect([t.status!.attempts, t.status!.messages[0].attempts, t.status!.messages[0].resumes]).toEqual([1, 1, undefined]);
    expect(rowsOf(t, 'tool_approval_approved')[0].message).toBe(`ToolApproval ${name} approved by alice`);
    expect(rowsOf(t, 'agent_message_resumed').map((r) => r.message)).toEqual(['resumed by w1 after tool approval']);
    expect(rowsOf(t, 'tool_approval_granted').map((r) => r.tool)).toEqual(['ticket']);
    expect(rowsOf(t, 'model_call').length).toBe(2);
    await h.published('task.succeeded');
    expect(await eventTypes(h)).toEqual(['task.claimed', 'task.runtime_kickoff', 'toolapproval.created', 'task.waiting_approval', 'toolapproval.approved', 'task.resumed', 'task.claimed', 'task.succeeded']);
  });

  test('deny fails the task with "tool approval denied"; the tool is never called', async () => {
    const { h } = await setup();
    const name = await paused(h);
    expect((await h.call('POST', `/v1/tool-approvals/${name}/deny`, { decided_by: 'bob', comment: 'no' })).status).toBe(200);
    const t = await h.settled('t');
    expect([t.status!.phase, t.status!.lastError, t.status!.attempts]).toEqual(['Failed', 'tool approval denied', 1]);
    expect(t.status!.messages.map((m: any) => [m.phase, m.last_error])).toEqual([['DeadLetter', 'tool approval denied']]);
    expect(rowsOf(t, 'tool_approval_denied')[0].message).toBe(`ToolApproval ${name} denied by bob`);
    expect(received).toEqual([]);
  });

  test('an approval nobody decides expires: approval Expired, task Failed "tool approval expired"', async () => {
    const { h } = await setup({ approvalTtl: '1s' });
    const name = await paused(h);
    expect((await approvalOf(h, name)).spec.ttl).toBe('1s');
    await h.waitFor(async () => (await h.task('t')).status?.phase === 'Failed', 'task t to fail on expiry', 10_000);
    expect((await approvalOf(h, name)).status!.phase).toBe('Expired');
    expect((await h.task('t')).status!.lastError).toBe('tool approval expired');
    await h.published('task.failed');
    expect((await eventTypes(h)).slice(-2)).toEqual(['toolapproval.expired', 'task.failed']);
    expect((await h.call('POST', `/v1/tool-approvals/${name}/approve`, {})).status).toBe(409);
    expect(received).toEqual([]);
  });

  test('a waiting task can be cancelled; a later approval does not revive it', async () => {
    const { h } = await setup();
    const name = await paused(h);
    const c = await h.call('POST', '/v1/tasks/t/cancel');
    expect([c.status, c.json.status.phase, c.json.status.lastError]).toEqual([200, 'Failed', 'cancelled']);
    expect((await h.call('POST', `/v1/tool-approvals/${name}/approve`, {})).status).toBe(200);
    await h.approvals.idle();
    expect([(await h.task('t')).status!.phase, (await h.task('t')).status!.lastError]).toEqual(['Failed', 'cancelled']);
    expect(received).toEqual([]);
  });

  test('a waiting task can be deleted; its approval is left to be decided or expire', async () => {
    const { h } = await setup();
    const name = await paused(h);
    expect((await h.call('DELETE', '/v1/tasks/t')).status).toBe(200);
    expect((await h.call('POST', `/v1/tool-approvals/${name}/approve`, {})).status).toBe(200);
    await h.approvals.idle();
    expect((await h.call('GET', '/v1/tasks/t')).status).toBe(404);
    expect(received).toEqual([]);
  });

  test('a tool that answers approval_pending pauses the task too; once approved it is asked again', async () => {
    let asked = 0;
    const gated = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const body = (await req.json()) as any;
        if (++asked === 1) return Response.json({ tool_contract_version: 'v1', request_id: body.request_id, status: 'error', error: { code: 'approval_pending', reason: 'tool_approval_pending', retryable: false, message: 'needs sign-off' } });
        return Response.json({ tool_contract_version: 'v1', request_id: body.request_id, status: 'ok', output: { result: 'signed' } });
      },
    });
    try {
      // Governance allows the call: only the tool itself asks for a person.
      const { h, model } = await setup({ toolUrl: `http://127.0.0.1:${gated.port}/ticket`, ungoverned: true });
      const name = await paused(h);
      expect((await approvalOf(h, name)).spec).toMatchObject({ tool: 'ticket', agent: 'a', reason: 'tool_approval_pending' });
      expect((await approvalOf(h, name)).spec.operation_class).toBeUndefined();
      expect((await h.call('POST', `/v1/tool-approvals/${name}/approve`, {})).status).toBe(200);
      const t = await h.settled('t');
      expect([t.status!.phase, asked, t.status!.output.result]).toEqual(['Succeeded', 2, 'done']);
      expect(model.calls.map(hasToolResult)).toEqual([false, true]);
    } finally {
      await gated.stop(true);
    }
  });
});
