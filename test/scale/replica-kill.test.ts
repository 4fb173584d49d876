// Killing processes of a PostgreSQL control plane mid-run (real processes, SIGKILL): a worker that
// dies holding tasks loses them to the other worker once their leases lapse (3 s here), and every
// task still runs to completion exactly once; the serve replica that leads the controllers dies,
// the workers and the other replica go on, the other replica takes the leader lease over, and a
// watcher that was on the dead one resumes on the other with Last-Event-ID and gets exactly the
// changes it missed.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { applyBlueprint, api, clusterForFile, fullTasks, listTasks, pipelineTask, ranOnce, until, type Cluster, type Replica } from '../support/replicas';
import { json, SseReader } from '../support/sse';

// Short task leases so a dead worker's tasks are taken over within seconds.
const LEASE = ['--task-lease-duration', '3s', '--task-heartbeat-interval', '1s'];
const cluster = clusterForFile('scale_kill', { workerArgs: [...LEASE, '--max-concurrent-tasks', '8'] });
let c: Cluster;
let A: Replica;
let B: Replica;
const readers: SseReader[] = [];
afterAll(async () => {
  for (const r of readers) await r.close();
});

beforeAll(async () => {
  c = await cluster();
  [A, B] = await Promise.all([c.serve('replica-a'), c.serve('replica-b')]);
  await Promise.all([c.worker('worker-1'), c.worker('worker-2')]);
  await applyBlueprint(A.url);
}, 60_000);

/**
 * Takeovers that came before the lease could have lapsed: less than the lease (3 s, less 1 s for
 * the whole-second timestamps of claims) after the claim or takeover before them.
 */
const earlyTakeovers = (t: any): string[] => {
  const h: any[] = t.status.history;
  return h.flatMap((row, i) => {
    if (row.type !== 'takeover') return [];
    const before = h.slice(0, i).reverse().find((x) => x.type === 'claim' || x.type === 'takeover');
    const gap = Date.parse(row.timestamp) - Date.parse(before?.timestamp);
    return gap >= 2_000 ? [] : [`${t.metadata.name}: takeover ${gap} ms after ${before?.type} (${JSON.stringify(h)})`];
  });
};
/** pid of the server holding a leader lease ('controllers', 'task-schedules'), or 0. */
async function leaseHolder(name: string): Promise<number> {
  const [row] = await c.query<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [`lease:${name}`]);
  const v = row ? JSON.parse(row.value) : undefined;
  return v && v.expiresAt > Date.now() ? Number(String(v.holder).split(':').pop()) : 0;
}
const finished = (t: any) => ['Succeeded', 'Failed', 'DeadLetter'].includes(t.status?.phase);

/** Task changes in the shared change log, as watch frames show them. */
async function loggedTaskChanges(after: number, upTo: number) {
  const rows = await c.query<{ revision: string; name: string; type: string }>(`SELECT revision, name, type FROM changes WHERE kind = 'Task' AND revision > $1 AND revision <= $2 ORDER BY revision`, [after, upTo]);
  return rows.map((r) => ({ id: Number(r.revision), type: r.type, name: r.name }));
}
const frames = (r: SseReader) => r.data.filter((f) => f.event === 'resource').map((f) => ({ id: Number(f.id), type: json(f).type as string, name: json(f).resource.metadata.name as string }));

test('SIGKILL of a worker holding tasks: the other worker takes them over after the lease and every task runs to completion once', async () => {
  const t0 = Date.now();
  const names = Array.from({ length: 120 }, (_, i) => `k${String(i).padStart(3, '0')}`);
  // Posted from both replicas, in the background, while worker-1 is killed.
  const posting = Promise.all(names.map((name, i) => api((i % 2 ? B : A).url, 'POST', '/v1/tasks', pipelineTask(name, { batch: 'worker-kill' }))));
  let held: string[] = [];
  await until(async () => {
    const running = (await listTasks(B.url, 'batch=worker-kill')).filter((t) => t.status?.phase === 'Running' && t.status.claimedBy === 'worker-1');
    held = running.map((t) => t.metadata.name);
    return held.length >= 3;
  }, 'worker-1 to hold at least 3 running tasks', 30_000);
  await c.kill(c.workers.get('worker-1')!);
  const killedAt = Date.now();
  await posting;
  // What worker-1 held when it died: Running, claimed by it, lease not yet lapsed.
  const orphaned = (await listTasks(B.url, 'batch=worker-kill')).filter((t) => t.status?.phase === 'Running' && t.status.claimedBy === 'worker-1').map((t) => t.metadata.name);
  expect(orphaned.length).toBeGreaterThan(0);

  await until(async () => (await listTasks(A.url, 'batch=worker-kill')).every(finished), 'every task to finish after the kill', 60_000, () => c.logs().slice(-4000));
  const done = Date.now();
  const tasks = await fullTasks(A.url, names);
  expect(tasks.flatMap((t) => ranOnce(t, true))).toEqual([]);
  // The orphaned tasks were taken over by worker-2 and finished there.
  for (const t of tasks.filter((t) => orphaned.includes(t.metadata.name))) {
    const takeover = t.status.history.find((h: any) => h.type === 'takeover');
    expect({ name: t.metadata.name, takeover: takeover?.message, worker: t.status.assignedWorker }).toEqual({ name: t.metadata.name, takeover: 'worker lease expired; task reassigned from worker-1 to worker-2', worker: 'worker-2' });
  }
  // Every takeover (those of other tasks too: a worker stalled past its 3 s lease on this busy
  // machine) came only once the lease had lapsed, and one success event per task.
  expect(tasks.flatMap(earlyTakeovers)).toEqual([]);
  // Work worker-1 finished before it died and worker-2 did not redo (ranOnce: one model call per hop).
  const keptHops = tasks.filter((t) => orphaned.includes(t.metadata.name)).flatMap((t) => t.status.messages).filter((m: any) => m.worker === 'worker-1').length;
  const othersTaken = tasks.filter((t) => !orphaned.includes(t.metadata.name) && t.status.history.some((h: any) => h.type === 'takeover'));
  const others = othersTaken.length ? `${othersTaken.length} (${[...new Set(othersTaken.flatMap((t) => t.status.history.filter((h: any) => h.type === 'takeover').map((h: any) => h.message)))].join('; ')})` : '0';
  const succeeded = await c.query<{ name: string; n: number }>(`SELECT name, count(*)::int AS n FROM events WHERE type = 'task.succeeded' AND name LIKE 'k%' GROUP BY name`);
  // Never two success events for a task. An ending that worker-1 committed just before it died
  // may lack its event: events are published after the ending's commit, not in its transaction.
  expect(succeeded.filter((e) => e.n !== 1)).toEqual([]);
  const withEvent = new Set(succeeded.map((e) => e.name));
  const noEvent = tasks.filter((t) => !withEvent.has(t.metadata.name)).map((t) => ({ name: t.metadata.name, endedBy: t.status.history.find((h: any) => h.type === 'succeeded')?.worker, completedAt: t.status.completedAt }));
  expect(noEvent.filter((t) => t.endedBy !== 'worker-1')).toEqual([]);
  if (noEvent.length) console.log(`worker kill: no task.succeeded event for ${JSON.stringify(noEvent)} (killed at ${new Date(killedAt).toISOString()})`);
  console.log(`worker kill: ${held.length} running on worker-1 when killed ${killedAt - t0} ms in, ${orphaned.length} orphaned (taken over by worker-2, ${keptHops} of their hops done by worker-1 kept); ${others} other takeover(s) after a lapsed lease; all 120 finished ${done - killedAt} ms after the kill`);
}, 120_000);

test('SIGKILL of the leading serve replica: tasks still finish once, its watcher resumes on the other replica with exactly the missed changes, and the other takes the lead', async () => {
  // Two workers again.
  await c.worker('worker-3');
  // The victim is the replica leading the once-per-control-plane controllers, so the kill also
  // hands the leader lease (15 s) over.
  await until(async () => [A.pid, B.pid].includes(await leaseHolder('controllers')), 'a replica to hold the controllers lease', 20_000);
  const leader = await leaseHolder('controllers');
  const victim = leader === A.pid ? A : B;
  const survivor = victim === A ? B : A;
  const start = Number((await api(survivor.url, 'GET', '/v1/tasks?limit=1')).metadata.resourceVersion);
  const onVictim = new SseReader(await fetch(`${victim.url}/v1/tasks/watch?resourceVersion=${start}`));
  const onSurvivor = new SseReader(await fetch(`${survivor.url}/v1/tasks/watch?resourceVersion=${start}`));
  readers.push(onVictim, onSurvivor);
  const names = Array.from({ length: 80 }, (_, i) => `r${String(i).padStart(3, '0')}`);
  const t0 = Date.now();
  let dead = false;
  // Half the tasks through the victim until it dies, the rest through the survivor; a POST cut off
  // by the kill is sent again to the survivor (409 there means the first one was committed).
  const post = async (name: string, i: number) => {
    if (i % 2 === 0 && !dead) {
      try {
        return await api(victim.url, 'POST', '/v1/tasks', pipelineTask(name, { batch: 'serve-kill' }));
      } catch {
        // Killed under this request.
      }
    }
    try {
      return await api(survivor.url, 'POST', '/v1/tasks', pipelineTask(name, { batch: 'serve-kill' }));
    } catch (e) {
      if (!/409/.test(String(e))) throw e;
    }
  };
  const posting = (async () => {
    for (let i = 0; i < names.length; i += 8) await Promise.all(names.slice(i, i + 8).map((n, j) => post(n, i + j)));
  })();
  // Kill the victim once its watcher has seen a fair share of the run.
  await onVictim.waitUntil(() => onVictim.data.length >= 60, 30_000);
  await c.kill(victim);
  const killedAt = Date.now();
  dead = true;
  await onVictim.waitUntil(() => onVictim.ended, 10_000);
  // The last id the watcher received (a data frame or a bookmark).
  const lastId = Number([...onVictim.frames].reverse().find((f) => f.id !== undefined)!.id);
  const beforeKill = frames(onVictim);
  await posting;
  // Resume on the survivor from that id while the run goes on.
  const resumed = new SseReader(await fetch(`${survivor.url}/v1/tasks/watch`, { headers: { 'last-event-id': String(lastId) } }));
  readers.push(resumed);
  expect(resumed.response.status).toBe(200);

  await until(async () => {
    const list = await listTasks(survivor.url, 'batch=serve-kill');
    return list.length === 80 && list.every(finished);
  }, 'every task to finish after the replica died', 60_000, () => c.logs().slice(-4000));
  const tasks = await fullTasks(survivor.url, names);
  // Killing a serve replica does not touch the workers' leases; a takeover can only follow a lapsed
  // lease (a worker stalled for 3 s on this busy machine), and never makes a task run twice.
  expect(tasks.flatMap((t) => ranOnce(t, true))).toEqual([]);
  expect(tasks.flatMap(earlyTakeovers)).toEqual([]);
  const takeovers = tasks.filter((t) => t.status.history.some((h: any) => h.type === 'takeover')).length;
  const upTo = Math.max(...tasks.map((t) => Number(t.metadata.resourceVersion)));
  await resumed.waitUntil(() => resumed.data.some((f) => Number(f.id) >= upTo), 20_000);
  await onSurvivor.waitUntil(() => onSurvivor.data.some((f) => Number(f.id) >= upTo), 20_000);

  // Exactly the missed changes: what the victim sent, then what the survivor replayed and
  // streamed, is the change log; and the same as a watcher on the survivor all along.
  const log = await loggedTaskChanges(start, upTo);
  const after = frames(resumed).filter((f) => f.id <= upTo);
  expect(after[0]?.id).toBeGreaterThan(lastId);
  expect([...beforeKill, ...after]).toEqual(log);
  expect(frames(onSurvivor).filter((f) => f.id <= upTo)).toEqual(log);
  // No error frame (such as Expired) on the resumed stream.
  expect(resumed.frames.filter((f) => f.event === 'error')).toEqual([]);
  // The survivor takes the leader lease over once it lapses and starts the controllers.
  await until(async () => (await leaseHolder('controllers')) === survivor.pid, 'the survivor to take the controllers lease over', 30_000);
  const ledAt = Date.now();
  await until(() => survivor.log().includes('leading: starting the controllers'), 'the survivor to start the controllers', 5_000);
  console.log(
    `serve kill (${victim.name}, the leader): its watcher had ${beforeKill.length} frames (last id ${lastId}); resumed on ${survivor.name} with ${after.length} more; all 80 tasks done ${Date.now() - t0} ms after the first post; ${takeovers} task takeover(s) after a lapsed lease; ${survivor.name} led ${ledAt - killedAt} ms after the kill`,
  );
}, 120_000);
