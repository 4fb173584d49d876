// Tool approvals survive a crash: the real server process is SIGKILLed while tasks wait for their
// approvals, restarted on the same data directory, and the approvals are decided over HTTP; every
// task succeeds and no model call made before the pause is made again (counted per Idempotency-Key).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../support/server-process';
import { api, applyPipeline, countingTool, holdingModel, tasks, until } from './durable-fakes';

const work = mkdtempSync(join(tmpdir(), 'orrery-approvals-'));
const model = holdingModel(0);
const tool = countingTool();
afterAll(async () => {
  await model.stop();
  await tool.stop();
  rmSync(work, { recursive: true, force: true });
});

const TASKS = 10;

test('SIGKILL while tasks wait for approval: after a restart, approving them all finishes every task', async () => {
  const dir = join(work, 'data');
  const first = await startServer(dir);
  await applyPipeline(first.url, model.url, tool.url);
  // lookup is a read tool: every call of it needs a person.
  await api(first.url, 'POST', '/v1/tool-permissions', { metadata: { name: 'lookup-review' }, spec: { tool_ref: 'lookup', operation_rules: [{ operation_class: 'read', verdict: 'approval_required' }] } });
  for (let i = 0; i < TASKS; i++) await api(first.url, 'POST', '/v1/tasks', { metadata: { name: `t${i}` }, spec: { system: 'pipe', input: { topic: `topic ${i}` } } });
  await until(async () => (await tasks(first.url)).filter((t) => t.status?.phase === 'WaitingApproval').length === TASKS, 'every task to wait for approval');
  // a answered, b asked for the tool: two model calls per task so far, and no tool call.
  expect(model.totalAnswered()).toBe(TASKS * 2);
  expect(tool.answered.size).toBe(0);
  first.proc.kill('SIGKILL');
  await first.proc.exited;

  const second = await startServer(dir);
  try {
    const approvals = (await api(second.url, 'GET', '/v1/tool-approvals')).items;
    expect(approvals.map((a: any) => [a.spec.task_ref, a.spec.tool, a.spec.agent, a.spec.operation_class, a.status.phase]).sort()).toEqual(
      Array.from({ length: TASKS }, (_, i) => [`default/t${i}`, 'lookup', 'b', 'read', 'Pending']),
    );
    for (const a of approvals) await api(second.url, 'POST', `/v1/tool-approvals/${a.metadata.name}/approve`, { decided_by: 'ops' });
    await until(async () => (await tasks(second.url)).every((t) => ['Succeeded', 'Failed', 'DeadLetter'].includes(t.status?.phase)), 'every task to finish');
    const all = await tasks(second.url);
    expect(all.map((t) => [t.status.phase, t.status.output.result, t.status.attempts])).toEqual(all.map(() => ['Succeeded', 'c done', 1]));
    // a: 1 call, b: tool call + answer, c: 1 call → 4 calls per task, none asked twice.
    expect([...model.requested.values()].filter((n) => n > 1)).toEqual([]);
    expect(model.totalAnswered()).toBe(TASKS * 4);
    expect([...tool.answered.values()]).toEqual(Array.from({ length: TASKS }, () => 1));
  } finally {
    second.proc.kill('SIGTERM');
    await second.proc.exited;
  }
}, 120_000);
