// The real server process: the schedule controller runs (the schedule turns Ready with its next
// slot) and the trigger route starts a run of the pipeline blueprint that succeeds on the mock provider.
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverForFile } from '../support/server-process';

const server = serverForFile('schedules', {});

test('trigger → the run succeeds; the schedule is Ready with its next slot', async () => {
  const { url } = server();
  const dir = join(import.meta.dir, '../../examples/blueprints/pipeline');
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const kind = /^kind:\s*(\S+)/m.exec(text)![1];
    if (kind === 'Task') continue;
    const plural = { ModelEndpoint: 'model-endpoints', Agent: 'agents', AgentSystem: 'agent-systems' }[kind]!;
    const r = await fetch(`${url}/v1/${plural}`, { method: 'POST', body: text, headers: { 'content-type': 'application/yaml' } });
    expect(r.status, file).toBe(201);
  }
  const schedule = { metadata: { name: 'yearly' }, spec: { schedule: '0 0 1 1 *', time_zone: 'UTC', task_template: { system: 'pipeline', input: { topic: 'schedules' } } } };
  expect((await fetch(`${url}/v1/task-schedules`, { method: 'POST', body: JSON.stringify(schedule), headers: { 'content-type': 'application/json' } })).status).toBe(201);
  const triggered = await fetch(`${url}/v1/task-schedules/yearly/trigger`, { method: 'POST' });
  expect(triggered.status).toBe(201);
  const name = ((await triggered.json()) as any).metadata.name as string;
  expect(name).toMatch(/^yearly-manual-\d{8}-\d{6}$/);
  let task: any;
  let sched: any;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(50)) {
    task = await (await fetch(`${url}/v1/tasks/${name}`)).json();
    sched = await (await fetch(`${url}/v1/task-schedules/yearly`)).json();
    if (['Succeeded', 'Failed', 'DeadLetter'].includes(task.status?.phase) && sched.status?.lastSuccessfulTime) break;
  }
  expect(task.status.phase).toBe('Succeeded');
  expect(task.status.output.result).toStartWith('[mock:mock-1]');
  expect(sched.status).toMatchObject({ phase: 'Ready', activeRuns: [], lastSuccessfulTime: task.status.completedAt });
  expect(sched.status.nextScheduleTime).toMatch(/^\d{4}-01-01T00:00:00Z$/);
}, 60_000);
