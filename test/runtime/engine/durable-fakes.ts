// Fakes for the process-level engine tests: an OpenAI-compatible model server that can hold its
// replies (so a process can be killed while calls are in flight) and counts answered calls per
// Idempotency-Key, and an http tool server that counts answered calls per tool request id.
export function holdingModel(delayMs = 20) {
  let holding = false;
  const answered = new Map<string, number>();
  const requested = new Map<string, number>();
  const held = new Set<() => void>();
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as any;
      const key = req.headers.get('idempotency-key') ?? '';
      requested.set(key, (requested.get(key) ?? 0) + 1);
      if (holding) {
        // Never answered: the client gives up (or dies) first.
        await new Promise<void>((resolve) => {
          const done = () => {
            held.delete(done);
            resolve();
          };
          held.add(done);
          req.signal.addEventListener('abort', done);
        });
        return new Response('gone', { status: 499 });
      }
      await Bun.sleep(delayMs);
      const messages: any[] = body.messages ?? [];
      const system = messages.find((m) => m.role === 'system')?.content ?? '';
      const agent = /agent:(\S+)/.exec(system)?.[1] ?? 'unknown';
      const toolAnswered = messages.some((m) => m.role === 'tool');
      const wantsTool = (body.tools ?? []).length > 0 && !toolAnswered;
      answered.set(key, (answered.get(key) ?? 0) + 1);
      const message = wantsTool
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: body.tools[0].function.name, arguments: '{"q":"facts"}' } }] }
        : { role: 'assistant', content: `${agent} done` };
      return Response.json({
        id: 'x',
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    answered,
    requested,
    get hanging() {
      return held.size;
    },
    hold: () => (holding = true),
    answer: () => {
      holding = false;
    },
    totalAnswered: () => [...answered.values()].reduce((a, b) => a + b, 0),
    stop: () => server.stop(true),
  };
}

export function countingTool() {
  const answered = new Map<string, number>();
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const id = req.headers.get('x-tool-request-id') ?? '';
      answered.set(id, (answered.get(id) ?? 0) + 1);
      return Response.json({ facts: ['the tide follows the moon'] });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/lookup`, answered, stop: () => server.stop(true) };
}

export async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The pipeline a → b (calls the lookup tool) → c on an openai-compatible endpoint. */
export async function applyPipeline(url: string, modelUrl: string, toolUrl: string): Promise<void> {
  await api(url, 'POST', '/v1/model-endpoints', { metadata: { name: 'fake' }, spec: { provider: 'openai-compatible', base_url: modelUrl, default_model: 'fake-1' } });
  await api(url, 'POST', '/v1/tools', { metadata: { name: 'lookup' }, spec: { type: 'http', endpoint: toolUrl } });
  for (const [name, tools] of [['a', []], ['b', ['lookup']], ['c', []]] as const) {
    await api(url, 'POST', '/v1/agents', { metadata: { name }, spec: { model_ref: 'fake', prompt: `agent:${name}`, tools } });
  }
  await api(url, 'POST', '/v1/agent-systems', { metadata: { name: 'pipe' }, spec: { agents: ['a', 'b', 'c'], graph: { a: { next: 'b' }, b: { next: 'c' } } } });
}

/** Every task, each read whole: a list carries only each task's summary, without its records. */
export async function tasks(url: string): Promise<any[]> {
  const items: any[] = (await api(url, 'GET', '/v1/tasks')).items;
  return Promise.all(items.map((t) => api(url, 'GET', `/v1/tasks/${t.metadata.name}?namespace=${t.metadata.namespace}`)));
}

export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}
