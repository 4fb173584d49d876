// Fake OpenAI-compatible model for scripts/bench/engine.ts: answers chat completions at once on
// loopback. Run standalone (bun scripts/bench/fake-model.ts [--port 0]); it logs url="…" on stderr.
export interface FakeModelStats {
  /** Chat completions answered, in total and per requested model. */
  requests: number;
  byModel: Record<string, number>;
  /** Requests that were not valid chat completions (answered 400/404). */
  rejected: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Words in a message list, as a stand-in token count (usage must be non-zero and plausible). */
function words(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) {
    const c = (m as { content?: unknown })?.content;
    if (typeof c === 'string') n += c.split(/\s+/).filter(Boolean).length;
  }
  return n;
}

/**
 * Starts the fake on 127.0.0.1. `POST /v1/chat/completions` and `POST /chat/completions` answer a
 * `chat.completion` with content "ok from <model>"; `GET /stats` returns the counters and
 * `GET /healthz` 200. Anything else is 404.
 */
export function startFakeModel(port = 0): { server: ReturnType<typeof Bun.serve>; url: string; stats: FakeModelStats } {
  const stats: FakeModelStats = { requests: 0, byModel: {}, rejected: 0 };
  let seq = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === 'GET' && path === '/stats') return Response.json(stats);
      if (req.method === 'GET' && path === '/healthz') return Response.json({ status: 'ok' });
      if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
        stats.rejected++;
        return Response.json({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }, { status: 404 });
      }
      let body: { model?: unknown; messages?: unknown };
      try {
        body = (await req.json()) as typeof body;
      } catch {
        stats.rejected++;
        return Response.json({ error: { message: 'body is not JSON', type: 'invalid_request_error' } }, { status: 400 });
      }
      const model = typeof body?.model === 'string' && body.model ? body.model : 'unknown';
      stats.requests++;
      stats.byModel[model] = (stats.byModel[model] ?? 0) + 1;
      const content = `ok from ${model}`;
      const prompt = Math.max(1, words(body.messages));
      const completion = 3;
      return new Response(
        JSON.stringify({
          id: `chatcmpl-bench-${++seq}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
        }),
        { headers: JSON_HEADERS },
      );
    },
  });
  return { server, url: `http://127.0.0.1:${server.port}`, stats };
}

if (import.meta.main) {
  const i = process.argv.indexOf('--port');
  const fake = startFakeModel(i >= 0 ? Number(process.argv[i + 1]) : 0);
  process.stderr.write(`fake model listening url="${fake.url}"\n`);
  const stop = () => void fake.server.stop(true).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
