// A real server process killed (SIGKILL) after an agent's memory.write was answered and journaled,
// while its next model call is in flight: after the restart the resumed message finishes from the
// journal and the write reaches the Memory (an http adapter counting puts) exactly once.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../support/server-process';
import { api, tasks, until } from './durable-fakes';

/** An http memory adapter (Orloj's protocol) over a Map, counting puts per key. */
function countingAdapter() {
  const entries = new Map<string, string>();
  const puts = new Map<string, number>();
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/ping') return Response.json({ status: 'ok' });
      const body = (await req.json()) as any;
      if (path === '/put') {
        puts.set(body.key, (puts.get(body.key) ?? 0) + 1);
        entries.set(body.key, body.value);
        return Response.json({ status: 'ok' });
      }
      if (path === '/get') return Response.json(entries.has(body.key) ? { found: true, key: body.key, value: entries.get(body.key) } : { found: false });
      const all = [...entries.entries()].map(([key, value]) => ({ key, value }));
      if (path === '/search') return Response.json({ results: all.filter((e) => e.value.includes(body.query)).map((e) => ({ ...e, score: 1 })) });
      if (path === '/list') return Response.json({ entries: all.filter((e) => e.key.startsWith(body.prefix ?? '')) });
      return Response.json({ error: 'unknown operation' }, { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, puts, stop: () => server.stop(true) };
}

/** The writer saves a finding with memory.write; while `held`, its next call never answers. */
function writerModel() {
  let held = true;
  let waiting = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as any;
      const answered = (body.messages ?? []).filter((m: any) => m.role === 'tool');
      let message: Record<string, unknown>;
      if (!answered.length) {
        const name = body.tools.map((t: any) => t.function.name).find((n: string) => n.startsWith('memory_write'));
        message = { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name, arguments: '{"key":"finding","value":"tides follow the moon"}' } }] };
      } else if (held) {
        waiting++;
        await new Promise<void>((resolve) => req.signal.addEventListener('abort', () => resolve()));
        waiting--;
        return new Response('gone', { status: 499 });
      } else message = { role: 'assistant', content: `saved: ${answered[0].content}` };
      const finish = message.tool_calls ? 'tool_calls' : 'stop';
      return Response.json({ id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    get waiting() {
      return waiting;
    },
    release: () => (held = false),
    stop: () => server.stop(true),
  };
}

const work = mkdtempSync(join(tmpdir(), 'orrery-memory-durable-'));
const adapter = countingAdapter();
const model = writerModel();
afterAll(async () => {
  await adapter.stop();
  await model.stop();
  rmSync(work, { recursive: true, force: true });
});

const env = { ORLOJ_TASK_LEASE_DURATION: '2s', ORLOJ_TASK_HEARTBEAT_INTERVAL: '500ms' };

test('SIGKILL after a journaled memory.write: the resumed message does not write again', async () => {
  const dir = join(work, 'data');
  const first = await startServer(dir, { env });
  await api(first.url, 'POST', '/v1/model-endpoints', { metadata: { name: 'fake' }, spec: { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' } });
  await api(first.url, 'POST', '/v1/memories', { metadata: { name: 'notes' }, spec: { provider: 'http', endpoint: adapter.url } });
  await api(first.url, 'POST', '/v1/agents', { metadata: { name: 'writer' }, spec: { model_ref: 'fake', prompt: 'agent:writer', memory: { ref: 'notes', allow: ['write'] } } });
  await api(first.url, 'POST', '/v1/agent-systems', { metadata: { name: 'solo' }, spec: { agents: ['writer'] } });
  await api(first.url, 'POST', '/v1/tasks', { metadata: { name: 't' }, spec: { system: 'solo' } });

  await until(() => model.waiting === 1, 'the writer to call the model after its write');
  expect([...adapter.puts.entries()]).toEqual([['finding', 1]]);
  first.proc.kill('SIGKILL');
  await first.proc.exited;

  model.release();
  const second = await startServer(dir, { env });
  try {
    await until(async () => (await tasks(second.url))[0]?.status?.phase === 'Succeeded', 'the task to finish after the restart');
    const [t] = await tasks(second.url);
    expect(t.status.output.result).toBe('saved: <tool_result>{"status":"ok","key":"finding"}</tool_result>');
    expect([...adapter.puts.entries()]).toEqual([['finding', 1]]);
    expect(t.status.history.some((x: any) => x.type === 'takeover')).toBe(true);
    const end = t.status.trace.filter((x: any) => x.type === 'agent_end');
    expect(end.map((x: any) => [x.agent, x.tool_calls, x.memory_writes])).toEqual([['writer', 1, 1]]);
  } finally {
    second.proc.kill('SIGTERM');
    await second.proc.exited;
  }
}, 120_000);
