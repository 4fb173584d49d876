// One control plane of real processes on one real PostgreSQL: two `orrery serve` replicas (A and B,
// embedded workers off) and two `orrery worker` processes. Work posted to either replica is run by
// the workers exactly once; a watcher on one replica sees every change made through the other, in
// revision order, with no gap and no duplicate; a webhook event delivered to both replicas at the
// same moment creates one task.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { applyBlueprint, api, clusterForFile, fullTasks, listTasks, pipelineTask, ranOnce, until, type Cluster, type Replica } from '../support/replicas';
import { json, SseReader, type Frame } from '../support/sse';

const cluster = clusterForFile('scale_replicas', { workerArgs: ['--max-concurrent-tasks', '8'] });
let c: Cluster;
let A: Replica;
let B: Replica;
const watchers: SseReader[] = [];
afterAll(async () => {
  for (const w of watchers) await w.close();
});

// Filled by beforeAll and the 200-task run, checked by the watch test.
const run = { taskWatchA: undefined as SseReader | undefined, taskWatchB: undefined as SseReader | undefined, agentWatchA: undefined as SseReader | undefined, throughB: [] as { kind: string; name: string; rv: number }[], lastRevision: 0 };

beforeAll(async () => {
  c = await cluster();
  [A, B] = await Promise.all([c.serve('replica-a'), c.serve('replica-b')]);
  await Promise.all([c.worker('worker-1'), c.worker('worker-2')]);
  // The blueprint once, through B, with a watcher on A's agents already open.
  run.agentWatchA = await watch(A.url, '/v1/agents/watch');
  run.throughB.push(...(await applyBlueprint(B.url)));
}, 60_000);

const finished = (t: any) => ['Succeeded', 'Failed', 'DeadLetter'].includes(t.status?.phase);
const watch = async (url: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}${path}`, { headers });
  expect(res.status).toBe(200);
  const w = new SseReader(res);
  watchers.push(w);
  return w;
};
const frameList = (w: SseReader) => w.data.filter((f) => f.event === 'resource').map((f: Frame) => ({ id: Number(f.id), ...pick(json(f)) }));
const pick = (d: any) => ({ type: d.type as string, name: d.resource.metadata.name as string, rv: Number(d.resource.metadata.resourceVersion) });

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

test('200 pipeline tasks posted across both replicas: two workers run each to Succeeded exactly once', async () => {
  const t0 = Date.now();
  // Watchers first (no task exists yet), on both replicas.
  run.taskWatchA = await watch(A.url, '/v1/tasks/watch');
  run.taskWatchB = await watch(B.url, '/v1/tasks/watch');

  const names = Array.from({ length: 200 }, (_, i) => `p${String(i).padStart(3, '0')}`);
  const answers = await pool(names, 24, async (name) => {
    const via = Number(name.slice(1)) % 2 === 0 ? A : B;
    const r = await api(via.url, 'POST', '/v1/tasks', pipelineTask(name, { batch: 'scale' }));
    return { via: via.name, kind: 'Task', name, rv: Number(r.metadata.resourceVersion) };
  });
  run.throughB.push(...answers.filter((a) => a.via === 'replica-b'));
  expect(answers.filter((a) => a.via === 'replica-a').length).toBe(100);
  expect(new Set(answers.map((a) => a.rv)).size).toBe(200);
  const posted = Date.now();

  await until(async () => (await listTasks(A.url, 'batch=scale')).every(finished), 'all 200 tasks to finish', 120_000, () => c.logs().slice(-4000));
  const doneAt = Date.now();

  // Each task read whole, through the replica it was not posted to.
  const tasks = await fullTasks(B.url, names);
  const problems = tasks.flatMap((t) => ranOnce(t));
  expect(problems).toEqual([]);
  // Totals: 200 claims, 200 successes, 600 hops and 600 model calls, both workers used.
  const historyTypes = tasks.flatMap((t) => t.status.history.map((h: any) => h.type));
  expect(historyTypes.filter((x) => x === 'claim').length).toBe(200);
  expect(historyTypes.filter((x) => x === 'succeeded').length).toBe(200);
  expect(tasks.flatMap((t) => t.status.messages).length).toBe(600);
  expect(tasks.flatMap((t) => t.status.trace.filter((r: any) => r.type === 'model_call')).length).toBe(600);
  const byWorker = new Map<string, number>();
  for (const t of tasks) byWorker.set(t.status.assignedWorker, (byWorker.get(t.status.assignedWorker) ?? 0) + 1);
  expect([...byWorker.keys()].sort()).toEqual(['worker-1', 'worker-2']);
  // The event log agrees: one task.succeeded and one task.claimed per task, whoever published them.
  const events = await c.query<{ type: string; name: string; n: string }>(`SELECT type, name, count(*) AS n FROM events WHERE kind = 'Task' AND type IN ('task.succeeded', 'task.claimed') GROUP BY type, name`);
  for (const type of ['task.succeeded', 'task.claimed']) {
    const rows = events.filter((e) => e.type === type);
    expect(rows.length).toBe(200);
    expect(rows.filter((e) => Number(e.n) !== 1)).toEqual([]);
  }
  // The journal of every finished task is gone.
  expect(await c.query(`SELECT count(*)::int AS n FROM task_journal`)).toEqual([{ n: 0 }]);
  run.lastRevision = Math.max(...tasks.map((t) => Number(t.metadata.resourceVersion)));
  console.log(`200 tasks: posted in ${posted - t0} ms, all finished ${doneAt - t0} ms after the first post; by worker ${JSON.stringify(Object.fromEntries(byWorker))}`);
}, 150_000);

test('a watcher on replica A sees every change made through replica B (and by the workers), in revision order, no gap, no duplicate', async () => {
  const { taskWatchA, taskWatchB, agentWatchA } = run;
  expect(taskWatchA && taskWatchB && agentWatchA && run.lastRevision).toBeTruthy();
  const reached = (w: SseReader) => () => w.data.some((f) => Number(f.id) >= run.lastRevision);
  await taskWatchA!.waitUntil(reached(taskWatchA!), 20_000);
  await taskWatchB!.waitUntil(reached(taskWatchB!), 20_000);
  // Ground truth: every Task change in the shared change log up to the last task revision.
  const logged = (await c.query<{ revision: string; name: string; type: string }>(`SELECT revision, name, type FROM changes WHERE kind = 'Task' AND revision <= $1 ORDER BY revision`, [run.lastRevision])).map((r) => ({ id: Number(r.revision), type: r.type, name: r.name, rv: Number(r.revision) }));
  const seenA = frameList(taskWatchA!).filter((f) => f.id <= run.lastRevision);
  const seenB = frameList(taskWatchB!).filter((f) => f.id <= run.lastRevision);
  expect(logged.length).toBeGreaterThan(200 * 5); // created, claimed, three hops (at least) each
  // Strictly increasing ids: in order and no duplicate. Equal to the log: no gap.
  expect(seenA.every((f, i) => i === 0 || f.id > seenA[i - 1].id)).toBe(true);
  expect(seenA).toEqual(logged);
  expect(seenB).toEqual(logged);
  // Every write answered by B is on A's stream at the revision B answered.
  const tasksThroughB = run.throughB.filter((w) => w.kind === 'Task');
  expect(tasksThroughB.length).toBe(100);
  const addedOnA = new Map(seenA.filter((f) => f.type === 'added').map((f) => [f.name, f.id]));
  expect(tasksThroughB.filter((w) => addedOnA.get(w.name) !== w.rv)).toEqual([]);
  // Agents applied through B: exactly those three frames on A, at B's revisions.
  const agentsB = run.throughB.filter((w) => w.kind === 'Agent');
  await agentWatchA!.waitFor(agentsB.length);
  expect(frameList(agentWatchA!).map((f) => [f.type, f.name, f.id])).toEqual(agentsB.map((w) => ['added', w.name, w.rv]));
  // Each task's last frame on A is the task as it stands.
  const last = new Map<string, number>();
  for (const f of seenA) last.set(f.name, f.id);
  const now = await listTasks(A.url, 'batch=scale');
  expect(now.filter((t) => last.get(t.metadata.name) !== Number(t.metadata.resourceVersion))).toEqual([]);
}, 60_000);

const SECRET = 'a webhook secret shared with the sender';
const sign = (ts: string, body: string) => `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;

test('a webhook event delivered to both replicas at the same moment creates exactly one task', async () => {
  await api(A.url, 'POST', '/v1/secrets', { apiVersion: 'orloj.dev/v1', kind: 'Secret', metadata: { name: 'hook-secret' }, spec: { stringData: { token: SECRET } } });
  await api(A.url, 'POST', '/v1/tasks', { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: 'hook-tpl' }, spec: { ...pipelineTask('x').spec, mode: 'template' } });
  const hook = await api(B.url, 'POST', '/v1/task-webhooks', { apiVersion: 'orloj.dev/v1', kind: 'TaskWebhook', metadata: { name: 'hook' }, spec: { task_ref: 'hook-tpl', auth: { secret_ref: 'hook-secret' } } });
  const path: string = hook.status.endpointPath;
  expect(path).toStartWith('/v1/webhook-deliveries/');

  const events = Array.from({ length: 30 }, (_, i) => `evt-${i}`);
  const deliver = async (url: string, event: string) => {
    const body = JSON.stringify({ id: event, action: 'opened' });
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': sign(ts, body), 'x-event-id': event } });
    return { url, status: res.status, body: (await res.json()) as any };
  };
  // Each event to both replicas at once; the events themselves also overlap.
  const answers = await Promise.all(events.map((e) => Promise.all([deliver(A.url, e), deliver(B.url, e)])));
  const summary = answers.map(([a, b], i) => ({ event: events[i], a: [a.status, a.body.duplicate, a.body.task, a.body.message], b: [b.status, b.body.duplicate, b.body.task, b.body.message] }));
  const tasks = await listTasks(A.url, 'orloj.dev/task-webhook=hook');
  const status = (await api(A.url, 'GET', '/v1/task-webhooks/hook')).status;
  // One task per event, whatever the answers said.
  expect(tasks.length).toBe(30);
  expect(new Set(tasks.map((t) => t.spec.input.webhook_event_id))).toEqual(new Set(events));
  // Both copies accepted (202), one as new and one as a duplicate, naming the same task.
  const wrong = summary.filter((s) => s.a[0] !== 202 || s.b[0] !== 202 || s.a[1] === s.b[1] || s.a[2] !== s.b[2]);
  expect({ wrong, rejectedCount: status.rejectedCount ?? 0, lastError: status.lastError }).toEqual({ wrong: [], rejectedCount: 0, lastError: undefined });
  expect([status.acceptedCount, status.duplicateCount]).toEqual([30, 30]);
  // And each runs once.
  await until(async () => (await listTasks(A.url, 'orloj.dev/task-webhook=hook')).every(finished), 'the webhook tasks to finish', 60_000);
  const full = await fullTasks(B.url, tasks.map((t) => t.metadata.name));
  expect(full.flatMap((t) => ranOnce(t))).toEqual([]);
}, 90_000);
