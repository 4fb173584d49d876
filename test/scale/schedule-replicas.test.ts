// A TaskSchedule on a PostgreSQL control plane of several `orrery serve` replicas fires each cron
// slot exactly once: only the holder of the 'task-schedules' lease fires, and when that holder is
// killed (SIGKILL) the replica that takes the lease over fires the next slot, once, without firing
// the slot already fired again. Real time: the shortest cron step is a minute, so this waits for one
// minute boundary (at most ~70 s). A schedule fires the slot of the minute it was created in at
// once (slots are never before creation, floored to the minute), so creation gives slot S0 and the
// next minute boundary slot S1.
import { beforeAll, expect, test } from 'bun:test';
import { applyBlueprint, api, clusterForFile, fullTasks, listTasks, pipelineTask, ranOnce, until, type Cluster, type Replica } from '../support/replicas';

const cluster = clusterForFile('scale_sched');
let c: Cluster;

beforeAll(async () => {
  c = await cluster();
  await Promise.all([c.serve('replica-a'), c.serve('replica-b')]);
  await c.worker('worker-1');
  await applyBlueprint(c.servers.get('replica-a')!.url);
}, 60_000);

const SCHED = 'every-minute';
const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 12).replace(/^(\d{8})/, '$1-');
const runName = (slotMs: number) => `${SCHED}-${stamp(new Date(slotMs))}`;

/** pid of the process holding the 'task-schedules' lease (NaN when nobody ever did). */
async function scheduleLeader(): Promise<{ pid: number; expiresAt: number }> {
  const [row] = await c.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'lease:task-schedules'`);
  const v = row ? JSON.parse(row.value) : { holder: '', expiresAt: 0 };
  return { pid: Number(String(v.holder).split(':').pop()), expiresAt: v.expiresAt };
}

test('with two replicas a cron schedule fires each slot exactly once, also across a SIGKILL of the lease holder', async () => {
  // Slot S1 must come after the kill below: not in the last 10 s of a minute.
  if (new Date().getUTCSeconds() >= 50) await Bun.sleep(61_000 - (Date.now() % 60_000));
  const t0 = Date.now();
  const [a, b] = [c.servers.get('replica-a')!, c.servers.get('replica-b')!];
  const leader = await scheduleLeader();
  const holder = [a, b].find((r) => r.pid === leader.pid)!;
  expect(holder).toBeDefined();
  const standby = holder === a ? b : a;

  // Created through the replica that does not fire.
  const created = await api(standby.url, 'POST', '/v1/task-schedules', {
    apiVersion: 'orloj.dev/v1',
    kind: 'TaskSchedule',
    metadata: { name: SCHED },
    spec: { schedule: '*/1 * * * *', time_zone: 'UTC', concurrency_policy: 'allow', task_template: pipelineTask('x').spec },
  });
  const s0 = Math.floor(Date.parse(created.metadata.createdAt) / 60_000) * 60_000;
  const s1 = s0 + 60_000;
  // The holder learns of a schedule written through another replica only from the store (its
  // commit listeners see its own writes): at its next lease renewal, within 10 s.
  await until(async () => (await listTasks(standby.url, `orloj.dev/task-schedule=${SCHED}`)).length >= 1, 'slot S0 to fire', 20_000, c.logs);
  // S0 fired by the holder, and recorded, before it dies.
  await until(async () => (await api(standby.url, 'GET', `/v1/task-schedules/${SCHED}`)).status?.lastScheduleTime === new Date(s0).toISOString().replace('.000Z', 'Z'), 'S0 to be recorded', 10_000);
  expect(holder.log()).toContain(`task="${runName(s0)}"`);
  await c.kill(holder);
  const killedAt = Date.now();
  // Two replicas again: the standby and a new one; one of them takes the lease over once it lapses.
  const fresh = await c.serve('replica-c');
  const live = [standby, fresh];

  await until(async () => (await listTasks(standby.url, `orloj.dev/task-schedule=${SCHED}`)).some((t) => t.metadata.name === runName(s1)), 'slot S1 to fire after the takeover', 90_000, c.logs);
  const firedAt = Date.now();
  const next = await scheduleLeader();
  const newHolder = live.find((r) => r.pid === next.pid);
  expect(newHolder).toBeDefined();
  // A few more seconds: a second firing of S0 or S1 would show up now.
  await Bun.sleep(3_000);
  const runs = await listTasks(standby.url, `orloj.dev/task-schedule=${SCHED}`);
  const bySlot = new Map<string, string[]>();
  for (const t of runs) bySlot.set(t.metadata.labels['orloj.dev/task-schedule-slot'], [...(bySlot.get(t.metadata.labels['orloj.dev/task-schedule-slot']) ?? []), t.metadata.name]);
  const slots = [...bySlot.keys()].sort();
  // Only S0 and S1 can have passed (S2 is ≥ 60 s after S1, and we waited at most ~3 s past S1's firing).
  const s2Passed = Date.now() >= s1 + 60_000;
  expect(runs.map((t) => t.metadata.name).sort()).toEqual(s2Passed ? [runName(s0), runName(s1), runName(s1 + 60_000)] : [runName(s0), runName(s1)]);
  expect([...bySlot.values()].every((names) => names.length === 1)).toBe(true);
  expect(slots.length).toBe(runs.length);
  // One "fired" log line per slot, across every replica; S1 on the new holder.
  const fired = (r: Replica) => (r.log().match(new RegExp(`task schedule fired.*task="${SCHED}-\\d{8}-\\d{4}"`, 'g')) ?? []).map((l) => /task="([^"]+)"/.exec(l)![1]);
  const all = [holder, ...live].flatMap(fired);
  expect(all.sort()).toEqual(runs.map((t) => t.metadata.name).sort());
  expect(fired(newHolder!)).toContain(runName(s1));
  // One triggered event per slot.
  const events = await c.query<{ data: string }>(`SELECT data FROM events WHERE type = 'taskschedule.triggered' AND name = $1`, [SCHED]);
  expect(events.map((e) => JSON.parse(e.data).task).sort()).toEqual(runs.map((t) => t.metadata.name).sort());
  // And each run ran once.
  await until(async () => (await listTasks(standby.url, `orloj.dev/task-schedule=${SCHED}`)).every((t) => t.status?.phase === 'Succeeded'), 'the runs to finish', 30_000);
  const full = await fullTasks(standby.url, runs.map((t) => t.metadata.name));
  expect(full.flatMap((t) => ranOnce(t))).toEqual([]);
  console.log(`schedule: created at :${new Date(Date.parse(created.metadata.createdAt)).getUTCSeconds()}s; holder killed ${killedAt - t0} ms in; S1 fired ${firedAt - s1} ms after its slot by ${newHolder!.name}; ${runs.length} runs`);
}, 150_000);

// The manual trigger names its run by the second (<schedule>-manual-<YYYYMMDD-HHMMSS>) and creates
// it with the same create-only createRun as a cron slot: two replicas triggering in the same second
// race on one name exactly as two firings of one slot would.
test('a manual trigger sent to both replicas in the same second creates one run; the other answers 409', async () => {
  // The two replicas still running (the standby and replica-c).
  const alive: Replica[] = [];
  for (const r of c.servers.values()) if (await fetch(`${r.url}/healthz`).then((x) => x.ok).catch(() => false)) alive.push(r);
  expect(alive.length).toBe(2);
  const created: string[] = [];
  let collided = 0;
  for (let round = 0; round < 5; round++) {
    // Just after a second starts, so both requests land in it.
    await Bun.sleep(1_000 - (Date.now() % 1_000) + 20);
    const answers = await Promise.all(
      alive.map(async (r) => {
        const res = await fetch(`${r.url}/v1/task-schedules/${SCHED}/trigger`, { method: 'POST' });
        return { status: res.status, body: (await res.json()) as any };
      }),
    );
    const names = answers.filter((x) => x.status === 201).map((x) => x.body.metadata.name as string);
    created.push(...names);
    const statuses = answers.map((x) => x.status).sort();
    if (statuses[1] === 409) {
      collided++;
      expect(statuses).toEqual([201, 409]);
      expect(answers.find((x) => x.status === 409)!.body.message).toContain('one manual trigger per schedule per second');
    } else {
      // The two requests fell into two seconds (a slow answer on a busy machine): two names.
      expect({ statuses, distinct: new Set(names).size }).toEqual({ statuses: [201, 201], distinct: 2 });
    }
  }
  expect(collided).toBeGreaterThan(0);
  expect(created.every((n) => new RegExp(`^${SCHED}-manual-\\d{8}-\\d{6}$`).test(n))).toBe(true);
  const manual = (await listTasks(alive[0].url, `orloj.dev/task-schedule=${SCHED}`)).filter((t) => t.metadata.name.includes('-manual-'));
  expect(manual.map((t) => t.metadata.name).sort()).toEqual([...created].sort());
  console.log(`manual trigger: ${collided} of 5 rounds raced in one second, ${created.length} runs created`);
}, 60_000);
