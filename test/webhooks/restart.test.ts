// A real server process killed (SIGKILL) right after it answered 202: after the restart the same
// delivery is a duplicate naming the same task, and no second task exists.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer } from '../support/server-process';
import { hmacHex } from './support';

const work = mkdtempSync(join(tmpdir(), 'orrery-webhook-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const apply = (url: string, body: object) =>
  fetch(`${url}/v1/${(body as any).kind === 'Secret' ? 'secrets' : (body as any).kind === 'Task' ? 'tasks' : 'task-webhooks'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

test('a duplicate after SIGKILL and restart answers the same task and creates none', async () => {
  let srv = await startServer(work, NO_WORKER);
  expect((await apply(srv.url, { apiVersion: 'orloj.dev/v1', kind: 'Secret', metadata: { name: 'gh' }, spec: { stringData: { key: 'restart-secret' } } })).status).toBe(201);
  expect((await apply(srv.url, { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: 'tpl' }, spec: { system: 'sys', mode: 'template' } })).status).toBe(201);
  const hook = await apply(srv.url, { apiVersion: 'orloj.dev/v1', kind: 'TaskWebhook', metadata: { name: 'gh-hook' }, spec: { task_ref: 'tpl', auth: { profile: 'github', secret_ref: 'gh' } } });
  expect(hook.status).toBe(201);
  const path: string = hook.json.status.endpointPath;
  const body = '{"action":"opened"}';
  const headers = { 'X-Hub-Signature-256': `sha256=${hmacHex('restart-secret', body)}`, 'X-GitHub-Delivery': 'delivery-1' };
  const first = await fetch(`${srv.url}${path}`, { method: 'POST', headers, body });
  expect(first.status).toBe(202);
  const answer = (await first.json()) as any;
  expect(answer.duplicate).toBe(false);
  srv.proc.kill('SIGKILL');
  await srv.proc.exited;

  srv = await startServer(work, NO_WORKER);
  try {
    const again = await fetch(`${srv.url}${path}`, { method: 'POST', headers, body });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: true, duplicate: true, event_id: 'delivery-1', task: answer.task });
    const tasks = (await (await fetch(`${srv.url}/v1/tasks?labelSelector=orloj.dev/task-webhook=gh-hook`)).json()) as any;
    expect(tasks.items.map((t: any) => t.metadata.name)).toEqual([answer.task]);
  } finally {
    srv.proc.kill('SIGKILL');
    await srv.proc.exited;
  }
}, 60_000);
