// `orrery run` against a real server with its embedded worker and the mock provider: live steps,
// the answer and exit 0; a failing task exits 1 with its lastError; a review pauses the run with the
// command to approve, and the run ends once the approval is given; the real entry point too.
import { beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { serverForFile } from '../../support/server-process';
import { applyBlueprint, getJson, post, until } from './blueprints';
import { ctl } from './support';

const server = serverForFile('ctl-run', { env: {} });
const env = () => ({ ORLOJ_SERVER: server().url });

beforeAll(async () => {
  for (const b of ['pipeline', 'review']) await applyBlueprint(server().url, b);
});

test('run: the steps of each agent live, then the answer; exit 0', async () => {
  const r = await ctl(['run', '--system', 'pipeline', '--name', 'brief-1', 'topic=homelab agents', 'note=a=b'], env());
  expect([r.code, r.err]).toEqual([0, '']);
  const lines = r.out.split('\n');
  const at = (l: string) => lines.indexOf(l);
  expect(lines[0]).toBe('task/brief-1 created (system pipeline)');
  for (const l of ['pipeline-planner started', '    pipeline-planner step 1: model call (N tokens, N ms)', '  handoff pipeline-planner -> pipeline-researcher', 'pipeline-researcher started', '  handoff pipeline-researcher -> pipeline-writer', 'pipeline-writer started', 'task/brief-1 Succeeded (N tokens)']) {
    expect(lines.map((x) => x.replace(/\d+ (ms|tokens)/g, 'N $1'))).toContain(l);
  }
  // Hops print in the order they ran.
  expect(at('pipeline-planner started')).toBeLessThan(at('pipeline-researcher started'));
  expect(at('pipeline-researcher started')).toBeLessThan(at('pipeline-writer started'));
  const task = await getJson(`${server().url}/v1/tasks/brief-1`);
  expect(task.spec.input).toEqual({ topic: 'homelab agents', note: 'a=b' });
  expect(r.out.endsWith(`\n\n${task.status.output.result}\n`)).toBe(true);
});

test('run: a task that fails exits 1 with its lastError', async () => {
  await post(server().url, 'apiVersion: orloj.dev/v1\nkind: Agent\nmetadata: {name: lost}\nspec: {model_ref: no-such-endpoint, prompt: hi}\n');
  await post(server().url, 'apiVersion: orloj.dev/v1\nkind: AgentSystem\nmetadata: {name: broken}\nspec: {agents: [lost]}\n');
  const r = await ctl(['run', '--system', 'broken', '--name', 'broken-1', 'topic=x'], env());
  const task = await getJson(`${server().url}/v1/tasks/broken-1`);
  expect(task.status.phase).toMatch(/^(Failed|DeadLetter)$/);
  expect(r.code).toBe(1);
  expect(r.err).toBe(`error: task broken-1 ${task.status.phase}: ${task.status.lastError}\n`);
  expect(task.status.lastError).toContain('no-such-endpoint');
});

test('run: a review pauses with the approve command; approving through the API lets it finish', async () => {
  const running = ctl(['run', '--system', 'review', '--name', 'announce-1', 'topic=garden'], env());
  const approval = await until(async () => {
    const list = await getJson(`${server().url}/v1/task-approvals`);
    return list.items.find((a: any) => a.spec.task_ref === 'announce-1' || a.metadata.labels?.['orloj.dev/task'] === 'announce-1')?.metadata.name as string | undefined;
  }, 'the task approval');
  await until(async () => ((await getJson(`${server().url}/v1/tasks/announce-1`)).status?.phase === 'WaitingApproval' ? true : undefined), 'WaitingApproval');
  const res = await fetch(`${server().url}/v1/task-approvals/${approval}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decided_by":"editor"}' });
  expect(res.status).toBe(200);
  const r = await running;
  expect([r.code, r.err]).toEqual([0, '']);
  expect(r.out).toContain(`WaitingApproval: TaskApproval ${approval}\n  approve: orrery approve task-approval ${approval}\n  deny:    orrery deny task-approval ${approval}\n`);
  expect(r.out.indexOf('WaitingApproval')).toBeLessThan(r.out.indexOf('review-publisher started'));
  expect(r.out).toContain('task/announce-1 Succeeded');
});

test('run: usage errors exit 2; --detach returns at once; --timeout exits 3 and the task keeps going', async () => {
  expect((await ctl(['run', 'topic=x'], env())).code).toBe(2);
  const bad = await ctl(['run', '--system', 'pipeline', 'topic'], env());
  expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('input "topic": use key=value')]);
  const refused = await ctl(['run', '--system', 'pipeline', '-n', 'Bad NS', 'topic=x'], env());
  expect([refused.code, refused.err.split('\n').slice(1)]).toEqual([1, ['  metadata.namespace: must not contain "/", whitespace or control characters', '']]);
  const badTimeout = await ctl(['run', '--system', 'pipeline', '--timeout', 'soon'], env());
  expect([badTimeout.code, badTimeout.err]).toEqual([2, expect.stringContaining('--timeout soon: use a duration')]);
  const d = await ctl(['run', '--system', 'review', '--name', 'detached-1', '--detach', 'topic=x'], env());
  expect([d.code, d.out]).toEqual([0, 'task/detached-1 created\nfollow it:  orrery get task detached-1 -w    cancel it: orrery cancel task detached-1\n']);
  // A review task waits for a person, so a short --timeout always ends the watch first.
  const t = await ctl(['run', '--system', 'review', '--name', 'waits-1', '--timeout', '1s', 'topic=x'], env());
  expect(t.code).toBe(3);
  expect(t.err).toContain('error: --timeout reached before task waits-1 ended; the task keeps running');
  expect((await getJson(`${server().url}/v1/tasks/waits-1`)).status.phase).toMatch(/^(Running|WaitingApproval|Pending)$/);
  const c = await ctl(['cancel', 'task', 'waits-1'], env());
  expect([c.code, c.out]).toEqual([0, 'task/waits-1 cancelled (Failed)\n']);
});

test('run: tool calls as they happen, ok and failed', async () => {
  const endpoint = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ answer: 42 }) });
  try {
    const tool = (name: string, url: string) => `apiVersion: orloj.dev/v1\nkind: Tool\nmetadata: {name: ${name}}\nspec: {type: http, endpoint: "${url}", runtime: {isolation_mode: none, retry: {max_attempts: 1}}}\n`;
    await post(server().url, tool('live-tool', `http://127.0.0.1:${endpoint.port}/`));
    await post(server().url, tool('dead-tool', 'http://127.0.0.1:1/'));
    for (const [agent, t] of [['good-tooler', 'live-tool'], ['bad-tooler', 'dead-tool']]) {
      await post(server().url, `apiVersion: orloj.dev/v1\nkind: Agent\nmetadata: {name: ${agent}}\nspec: {model_ref: mock-default, prompt: use the tool, tools: [${t}], limits: {max_steps: 3}}\n`);
    }
    await post(server().url, 'apiVersion: orloj.dev/v1\nkind: AgentSystem\nmetadata: {name: tooling}\nspec: {agents: [good-tooler, bad-tooler]}\n');
    const r = await ctl(['run', '--system', 'tooling', '--name', 'tools-1', 'topic=x'], env());
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').map((l) => l.replace(/\(\d+ ms\)/, '(N ms)'));
    expect(lines).toContain('    good-tooler step 1: tool live-tool ok (N ms)');
    expect(lines).toContain('    bad-tooler step 1: tool dead-tool error execution_failed');
    expect(lines.indexOf('    good-tooler step 1: tool live-tool ok (N ms)')).toBeLessThan(lines.indexOf('  handoff good-tooler -> bad-tooler'));
  } finally {
    void endpoint.stop(true); // Bun's stop promise, not waited for (as before)
  }
});

test('run: a tool call that needs approval names the ToolApproval and the command; approving lets it finish', async () => {
  const endpoint = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ sent: true }) });
  try {
    await post(server().url, `apiVersion: orloj.dev/v1\nkind: Tool\nmetadata: {name: gated-tool}\nspec: {type: http, endpoint: "http://127.0.0.1:${endpoint.port}/", operation_classes: [write], runtime: {isolation_mode: none}}\n`);
    await post(server().url, 'apiVersion: orloj.dev/v1\nkind: ToolPermission\nmetadata: {name: gated-tool}\nspec: {tool_ref: gated-tool, operation_rules: [{operation_class: write, verdict: approval_required}]}\n');
    await post(server().url, 'apiVersion: orloj.dev/v1\nkind: Agent\nmetadata: {name: gated-agent}\nspec: {model_ref: mock-default, prompt: send it, tools: [gated-tool], limits: {max_steps: 3}}\n');
    await post(server().url, 'apiVersion: orloj.dev/v1\nkind: AgentSystem\nmetadata: {name: gated}\nspec: {agents: [gated-agent]}\n');
    const running = ctl(['run', '--system', 'gated', '--name', 'gated-1', 'topic=x'], env());
    const approval = await until(async () => {
      const task = await getJson(`${server().url}/v1/tasks/gated-1`);
      return task.status?.phase === 'WaitingApproval' ? (task.status.blocked_on.name as string) : undefined;
    }, 'the tool approval');
    const res = await fetch(`${server().url}/v1/tool-approvals/${approval}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    const r = await running;
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain(`WaitingApproval: ToolApproval ${approval}\n  approve: orrery approve tool-approval ${approval}\n`);
    expect(r.out).toMatch(/gated-agent step \d+: tool gated-tool ok/);
  } finally {
    void endpoint.stop(true); // Bun's stop promise, not waited for (as before)
  }
});

test('run through the real entry point: a subprocess prints the steps and the answer, exit 0', async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../../src/main.ts'), 'run', '--system', 'pipeline', '--name', 'brief-sub', 'topic=x'], {
    env: { PATH: process.env.PATH ?? '', ORLOJ_SERVER: server().url, ORRERY_CONFIG: '/nonexistent/orrery.json' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect([code, err]).toEqual([0, '']);
  expect(out).toStartWith('task/brief-sub created (system pipeline)\npipeline-planner started\n');
  expect(out).toContain('task/brief-sub Succeeded (307 tokens)\n\n[mock:mock-1]');
});
