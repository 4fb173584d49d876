// The task and observability verbs against a real server: graphs of the five blueprint shapes and
// of a finished task, trace/messages/metrics tables, logs, events, top, cancel and retry, and the
// approval decisions on real pending approvals.
import { beforeAll, expect, test } from 'bun:test';
import YAML from 'yaml';
import { serverForFile } from '../../support/server-process';
import { applyBlueprint, post, until } from './blueprints';
import { ctl } from './support';

const server = serverForFile('ctl-observe', { env: {} });
const env = () => ({ ORLOJ_SERVER: server().url });
const api = async (path: string): Promise<any> => (await fetch(`${server().url}${path}`)).json();

beforeAll(async () => {
  for (const b of ['pipeline', 'fan-out', 'hierarchical', 'swarm-loop', 'review']) await applyBlueprint(server().url, b);
  const r = await ctl(['run', '--system', 'pipeline', '--name', 'brief', 'topic=x'], env());
  if (r.code !== 0) throw new Error(r.err);
});

const GRAPHS: Record<string, string> = {
  pipeline: 'pipeline-planner\n└─→ pipeline-researcher\n   └─→ pipeline-writer\n',
  'fan-out': [
    'fanout-splitter',
    '├─→ fanout-probe-cost',
    '│  └─→ fanout-judge (join quorum 60% on_failure=continue_partial)',
    '├─→ fanout-probe-risk',
    '│  └─→ fanout-judge (above)',
    '└─→ fanout-probe-speed',
    '   └─→ fanout-judge (above)',
    '',
  ].join('\n'),
  hierarchical: 'hier-editor-in-chief\n├─⇢ delegate hier-fact-checker\n├─⇢ delegate hier-copy-editor\n└─→ hier-publisher\n',
  'swarm-loop': 'swarm-planner\n└─→ swarm-critic\n   └─↺ back to swarm-planner\n',
  review: 'review-writer (review draft)\n└─→ review-publisher\n',
};

test('graph system: the five blueprint shapes', async () => {
  for (const [name, text] of Object.entries(GRAPHS)) {
    const r = await ctl(['graph', 'system', name], env());
    expect([r.code, r.out]).toEqual([0, `system/${name}\n${text}`]);
  }
  expect((await ctl(['graph', `sys/pipeline`], env())).out).toBe(`system/pipeline\n${GRAPHS.pipeline}`);
  expect((await ctl(['graph', 'agent', 'x'], env())).code).toBe(2);
  const missing = await ctl(['graph', 'system', 'nope'], env());
  expect(missing.code).toBe(1);
});

test('graph task: each agent with its state, coloured on a terminal', async () => {
  const r = await ctl(['graph', 'task', 'brief'], env());
  expect(r.out).toBe('task/brief Succeeded (system pipeline)\npipeline-planner [Succeeded]\n└─→ pipeline-researcher [Succeeded]\n   └─→ pipeline-writer [Succeeded]\n');
  const tty = await ctl(['graph', 'task/brief'], env(), { tty: true });
  expect(tty.out).toContain('pipeline-writer [\u001b[32mSucceeded\u001b[0m]');
  // A task that is waiting: the reviewed agent waits, the next one has not started.
  await ctl(['run', '--system', 'review', '--name', 'wait-graph', '--detach', 'topic=x'], env());
  await until(async () => ((await api('/v1/tasks/wait-graph')).status?.phase === 'WaitingApproval' ? true : undefined), 'WaitingApproval');
  const w = await ctl(['graph', 'task', 'wait-graph'], env());
  expect(w.out).toBe('task/wait-graph WaitingApproval (system review)\nreview-writer (review draft) [WaitingApproval]\n└─→ review-publisher [Pending]\n');
});

/** Cells of a table, with times, latencies and ids that differ from run to run replaced. */
const cells = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(/\d\d:\d\d:\d\d\.\d{3}/, 'T').replace(/\b\d+ms\b/g, 'Nms').split(/ {2,}/));

test('trace, messages and metrics: tables of the recorded rows; -o json|yaml exactly as the API answers', async () => {
  const task = await api('/v1/tasks/brief');
  const trace = await ctl(['trace', 'task', 'brief'], env());
  const rows = cells(trace.out);
  expect(rows[0]).toEqual(['TIME', 'STEP', 'AGENT', 'TYPE', 'TOOL/MODEL', 'TOKENS', 'LATENCY', 'MESSAGE']);
  expect(rows.length).toBe(task.status.trace.length + 1);
  const call = rows.find((r) => r[3] === 'model_call' && r[2] === 'pipeline-planner')!;
  expect(call.slice(0, 7)).toEqual(['T', call[1], 'pipeline-planner', 'model_call', 'mock-1', '48', 'Nms']);
  expect(rows.filter((r) => r[3] === 'agent_message').map((r) => r[7].replace(/ id=.*/, ''))).toEqual(['pipeline-planner -> pipeline-researcher', 'pipeline-researcher -> pipeline-writer']);
  expect(YAML.parse((await ctl(['trace', 'task/brief', '-o', 'yaml'], env())).out)).toEqual(task.status.trace);

  const messages = await ctl(['messages', 'task/brief'], env());
  expect(cells(messages.out).map((r) => r.slice(0, 6))).toEqual([
    ['TIME', 'FROM', 'TO', 'PHASE', 'ATTEMPTS', 'BRANCH'],
    ['T', 'system', 'pipeline-planner', 'Succeeded', '1/2', 'b001'],
    ['T', 'pipeline-planner', 'pipeline-researcher', 'Succeeded', '1/2', 'b001'],
    ['T', 'pipeline-researcher', 'pipeline-writer', 'Succeeded', '1/2', 'b001'],
  ].map((r) => (r[4] === 'ATTEMPTS' ? r : [r[0], r[1], r[2], r[3], `1/${task.status.messages[0].max_attempts}`, r[5]])));
  expect(JSON.parse((await ctl(['messages', 'task', 'brief', '-o', 'json'], env())).out)).toEqual(await api('/v1/tasks/brief/messages'));
  const researcher = JSON.parse((await ctl(['messages', 'task/brief', '--agent', 'pipeline-researcher', '-o', 'json'], env())).out);
  expect(researcher.messages.map((m: any) => `${m.from_agent}->${m.to_agent}`)).toEqual(['pipeline-planner->pipeline-researcher', 'pipeline-researcher->pipeline-writer']);
  const last = JSON.parse((await ctl(['messages', 'task/brief', '--limit', '1', '-o', 'json'], env())).out);
  expect(last.messages.map((m: any) => m.to_agent)).toEqual(['pipeline-writer']);
  const badPhase = await ctl(['messages', 'task/brief', '--phase', 'done'], env());
  expect([badPhase.code, badPhase.err]).toEqual([1, expect.stringContaining('\n  phase: "done" is not a phase')]);

  const metrics = await ctl(['metrics', 'task/brief'], env());
  const m = await api('/v1/tasks/brief/metrics');
  const blocks = metrics.out.split('\n\n');
  expect(blocks.map((b) => b.split('\n')[0])).toEqual(['TOTALS', 'PER AGENT', 'PER EDGE']);
  expect(cells(blocks[0])[2].slice(0, 8)).toEqual(['3', '0', '0', '0', '3', '0', '0', '0']);
  expect(cells(blocks[1]).slice(2).map((r) => r[0])).toEqual(m.per_agent.map((a: any) => a.agent));
  expect(cells(blocks[2]).slice(2).map((r) => `${r[0]}>${r[1]}`)).toEqual(m.per_edge.map((e: any) => `${e.from_agent || '-'}>${e.to_agent}`));
  const y = YAML.parse((await ctl(['metrics', 'task/brief', '-o', 'yaml'], env())).out);
  expect({ ...y, generated_at: 0 }).toEqual({ ...m, generated_at: 0 });
});

test('logs of a task and of an agent', async () => {
  const r = await ctl(['logs', 'task/brief'], env());
  expect(r.out.trimEnd().split('\n')).toEqual((await api('/v1/tasks/brief/logs')).logs);
  const a = await ctl(['logs', 'pipeline-writer'], env());
  expect(a.out.trimEnd().split('\n')).toEqual((await api('/v1/agents/pipeline-writer/logs')).logs);
  expect((await ctl(['logs', 'task/nope'], env())).code).toBe(1);
});

test('events: replay with --since, filters, --once, --raw', async () => {
  const r = await ctl(['events', '--since', '0', '--kind', 'Task', '--name', 'brief', '--type', 'task.succeeded', '--once'], env());
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^\d+ \d\d:\d\d:\d\d\.\d{3}  task\.succeeded  Task\/default\/brief  task transitioned Running->Succeeded tokens_used_total=307\n$/);
  const raw = JSON.parse((await ctl(['events', '--since', '0', '--type', 'task.succeeded', '--name', 'brief', '--once', '--raw'], env())).out);
  expect(raw).toMatchObject({ type: 'task.succeeded', kind: 'Task', name: 'brief', source: 'task-controller' });
  const quiet = await ctl(['events', '--type', 'never.happens', '--timeout', '300ms'], env());
  expect([quiet.code, quiet.out]).toEqual([0, '']);
  expect((await ctl(['events', '--since', 'x'], env())).code).toBe(2);
});

test('top tasks and top workers', async () => {
  const t = await ctl(['top', 'tasks', '-o', 'json'], env());
  const data = JSON.parse(t.out);
  const tasks = (await api('/v1/tasks')).items;
  expect(Object.values(data.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(tasks.length);
  expect(data.counts.Succeeded).toBe(tasks.filter((x: any) => x.status?.phase === 'Succeeded').length);
  expect(cells((await ctl(['top', 'tasks'], env())).out)[0]).toEqual(['PENDING', 'RUNNING', 'WAITINGAPPROVAL', 'SUCCEEDED', 'FAILED', 'DEADLETTER']);
  await until(async () => ((await api('/v1/workers/embedded-worker')).status?.phase === 'Ready' ? true : undefined), 'the worker to be Ready');
  const w = cells((await ctl(['top', 'workers'], env())).out);
  expect(w[0]).toEqual(['NAME', 'PHASE', 'REGION', 'RUNNING', 'CAPACITY', 'HEARTBEAT']);
  expect(w[1].slice(0, 2)).toEqual(['embedded-worker', 'Ready']);
  expect((await ctl(['top', 'agents'], env())).code).toBe(2);
});

test('cancel and retry', async () => {
  const done = await ctl(['cancel', 'task', 'brief'], env());
  expect([done.code, done.err]).toEqual([1, expect.stringContaining('task "brief" is already Succeeded and cannot be cancelled')]);
  expect((await ctl(['cancel', 'brief'], env())).code).toBe(2);
  const first = await ctl(['retry', 'task', 'brief', '--with-overrides', 'topic=y'], env());
  expect([first.code, first.out]).toEqual([0, 'task/brief-retry-1 created from task/brief\n']);
  const copy = await api('/v1/tasks/brief-retry-1');
  expect(copy.spec.input).toEqual({ topic: 'y' });
  expect(copy.metadata.labels['orloj.dev/retry-of']).toBe('brief');
  expect((await ctl(['retry', 'task/brief'], env())).out).toBe('task/brief-retry-2 created from task/brief\n');
  expect((await ctl(['retry', 'task/brief', '--with-overrides', 'nokey'], env())).code).toBe(2);
});

test('approve, deny and request-changes on real pending approvals', async () => {
  const ta = (name: string) => `apiVersion: orloj.dev/v1\nkind: ToolApproval\nmetadata: {name: ${name}}\nspec: {task_ref: default/brief, tool: ticket-update, agent: a, reason: check}\n`;
  await post(server().url, ta('ta-yes'));
  await post(server().url, ta('ta-no'));
  const yes = await ctl(['approve', 'tool-approval', 'ta-yes', '--decided-by', 'alice', '--comment', 'fine'], env());
  expect([yes.code, yes.out]).toEqual([0, 'tool-approval/ta-yes Approved\n']);
  expect((await api('/v1/tool-approvals/ta-yes')).status).toMatchObject({ phase: 'Approved', decision: 'approved', decided_by: 'alice', comment: 'fine' });
  const no = await ctl(['deny', 'ta/ta-no', '--reason', 'not now', '-o', 'json'], env());
  expect(JSON.parse(no.out).status).toMatchObject({ phase: 'Denied', comment: 'not now' });
  const again = await ctl(['approve', 'tool-approval', 'ta-no'], env());
  expect([again.code, again.err]).toEqual([1, expect.stringContaining('error: POST /v1/tool-approvals/ta-no/approve')]);

  await ctl(['run', '--system', 'review', '--name', 'rc', '--detach', 'topic=x'], env());
  const pending = async () => (await api('/v1/task-approvals')).items.find((a: any) => a.metadata.labels?.['orloj.dev/task'] === 'rc' && a.status?.phase === 'Pending')?.metadata.name as string | undefined;
  const first = await until(pending, 'the first review');
  expect((await ctl(['request-changes', 'task-approval', first], env())).err).toContain('--comment: say what should change');
  expect((await ctl(['request-changes', 'tool-approval', 'x', '--comment', 'c'], env())).code).toBe(2);
  const rc = await ctl(['request-changes', 'task-approval', first, '--comment', 'shorter please', '--decided-by', 'ed'], env());
  expect([rc.code, rc.out]).toEqual([0, `task-approval/${first} ChangesRequested\n`]);
  const second = await until(async () => {
    const n = await pending();
    return n && n !== first ? n : undefined;
  }, 'the second review');
  expect((await ctl(['deny', 'task-approval', second, '--comment', 'no'], env())).out).toBe(`task-approval/${second} Denied\n`);
  await until(async () => ((await api('/v1/tasks/rc')).status?.phase === 'Failed' ? true : undefined), 'the denied task to fail');
});
