// A webhook-callback tool through the real server: the tool answers 202, later POSTs its result to
// the callback URL the server gave it (with the single-use token), and the task finishes with it.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../support/server-process';
import { api, holdingModel, until } from './durable-fakes';

const work = mkdtempSync(join(tmpdir(), 'orrery-callback-'));
const model = holdingModel(1);
const seen: any[] = [];
const tool = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    const envelope = (await req.json()) as any;
    seen.push(envelope);
    // Answer later, from elsewhere, as a long job would.
    setTimeout(async () => {
      const result = { tool_contract_version: 'v1', request_id: envelope.request_id, status: 'ok', output: { result: 'report ready: 3 findings' } };
      const wrong = await fetch(envelope.callback_url, { method: 'POST', headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' }, body: JSON.stringify(result) });
      seen.push({ wrongTokenStatus: wrong.status });
      const res = await fetch(envelope.callback_url, { method: 'POST', headers: { authorization: `Bearer ${envelope.callback_token}`, 'content-type': 'application/json' }, body: JSON.stringify(result) });
      seen.push({ callbackStatus: res.status });
    }, 50);
    return new Response(null, { status: 202 });
  },
});
afterAll(async () => {
  await model.stop();
  await tool.stop(true);
  rmSync(work, { recursive: true, force: true });
});

test('202 then a callback with the token: the tool result reaches the agent', async () => {
  const server = await startServer(join(work, 'data'));
  try {
    await api(server.url, 'POST', '/v1/model-endpoints', { metadata: { name: 'fake' }, spec: { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' } });
    await api(server.url, 'POST', '/v1/tools', { metadata: { name: 'report' }, spec: { type: 'webhook-callback', endpoint: `http://127.0.0.1:${tool.port}/jobs`, runtime: { timeout: '20s' } } });
    await api(server.url, 'POST', '/v1/agents', { metadata: { name: 'b' }, spec: { model_ref: 'fake', prompt: 'agent:b', tools: ['report'] } });
    await api(server.url, 'POST', '/v1/agent-systems', { metadata: { name: 'one' }, spec: { agents: ['b'] } });
    await api(server.url, 'POST', '/v1/tasks', { metadata: { name: 't' }, spec: { system: 'one' } });
    await until(async () => ['Succeeded', 'Failed', 'DeadLetter'].includes((await api(server.url, 'GET', '/v1/tasks/t')).status?.phase), 'the task to finish', 30_000);
    const t = await api(server.url, 'GET', '/v1/tasks/t');
    expect(t.status.phase).toBe('Succeeded');
    expect(seen[0].callback_url).toBe(`${server.url}/v1/tool-callbacks?request_id=${encodeURIComponent(seen[0].request_id)}`);
    expect(seen.slice(1)).toEqual([{ wrongTokenStatus: 401 }, { callbackStatus: 202 }]);
    const call = t.status.trace.find((r: any) => r.type === 'tool_call');
    expect(call).toMatchObject({ tool: 'report', tool_request_id: seen[0].request_id });
    // The model got the delivered result as the tool's answer.
    expect(t.status.trace.some((r: any) => r.type === 'model_call' && r.message === 'b done')).toBe(true);
  } finally {
    server.proc.kill('SIGTERM');
    await server.proc.exited;
  }
}, 60_000);
