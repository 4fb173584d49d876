// Crash durability of the real server process: 50 tasks, SIGKILL while model calls are in flight,
// restart on the same data directory; every task finishes and no answered model or tool call is
// ever made twice (counted per Idempotency-Key / tool request id by the fake servers).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../support/server-process';
import { api, applyPipeline, countingTool, holdingModel, tasks, until } from './durable-fakes';

const work = mkdtempSync(join(tmpdir(), 'orrery-durable-'));
const model = holdingModel(20);
const tool = countingTool();
afterAll(async () => {
  await model.stop();
  await tool.stop();
  rmSync(work, { recursive: true, force: true });
});

const env = { ORLOJ_TASK_LEASE_DURATION: '2s', ORLOJ_TASK_HEARTBEAT_INTERVAL: '500ms', ORLOJ_MAX_CONCURRENT_TASKS: '8' };
const TASKS = 50;

test('SIGKILL mid-run: every task finishes after a restart and no completed call is repeated', async () => {
  const dir = join(work, 'data');
  const first = await startServer(dir, { env });
  await applyPipeline(first.url, model.url, tool.url);
  for (let i = 0; i < TASKS; i++) await api(first.url, 'POST', '/v1/tasks', { metadata: { name: `t${String(i).padStart(2, '0')}` }, spec: { system: 'pipe', input: { topic: `topic ${i}` } } });

  // Let part of the work finish, then hold every new model call.
  await until(() => model.totalAnswered() >= 60, '60 answered model calls');
  model.hold();
  // Quiet: every message in flight is waiting on a held call, so every answered call has been
  // consumed and recorded. Seen three times in a row to rule out a message caught in between.
  let stable = 0;
  await until(async () => {
    const running = (await tasks(first.url)).flatMap((t) => t.status?.messages ?? []).filter((m: any) => m.phase === 'Running').length;
    stable = running > 0 && running === model.hanging ? stable + 1 : 0;
    return stable >= 3;
  }, 'all in-flight messages to wait on held calls');
  const unfinished = (await tasks(first.url)).filter((t) => t.status?.phase !== 'Succeeded').length;
  expect(unfinished).toBeGreaterThan(0);
  first.proc.kill('SIGKILL');
  await first.proc.exited;

  model.answer();
  const second = await startServer(dir, { env });
  try {
    await until(async () => (await tasks(second.url)).every((t) => ['Succeeded', 'Failed', 'DeadLetter'].includes(t.status?.phase)), 'every task to finish', 90_000);
    const all = await tasks(second.url);
    expect(all).toHaveLength(TASKS);
    expect(all.filter((t) => t.status.phase !== 'Succeeded').map((t) => `${t.metadata.name}:${t.status.phase}:${t.status.lastError}`)).toEqual([]);
    expect(all.map((t) => t.status.output.result)).toEqual(all.map(() => 'c done'));
    // a: 1 call, b: tool call + answer, c: 1 call → 4 answered calls per task, each exactly once.
    expect([...model.answered.values()].filter((n) => n > 1)).toEqual([]);
    expect(model.totalAnswered()).toBe(TASKS * 4);
    expect([...tool.answered.values()].filter((n) => n > 1)).toEqual([]);
    expect(tool.answered.size).toBe(TASKS);
    // The held calls were made again after the restart (asked twice, answered once) …
    expect([...model.requested.entries()].filter(([k, n]) => n > 1 && model.answered.get(k) === 1).length).toBeGreaterThan(0);
    // … by the resumed messages.
    const resumed = all.filter((t) => t.status.history.some((x: any) => x.type === 'takeover'));
    expect(resumed.length).toBeGreaterThan(0);
  } finally {
    second.proc.kill('SIGTERM');
    await second.proc.exited;
  }
}, 180_000);
