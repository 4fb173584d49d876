// A scripted fake model server for tests: a real Bun.serve on port 0 that records every request
// (path, query, headers, JSON body) and answers with the next scripted reply.
export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
}

/** A reply: a JSON body with a status, raw text, or `hang` (answers only once the client goes away). */
export type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> } | 'hang';

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** Queues replies, used one per request in order. A request with nothing queued gets a 599. */
  script(...replies: Reply[]): FakeServer;
  /** Resolves when the n-th request (1-based) has arrived. */
  received(n: number): Promise<Recorded>;
  stop(): void;
}

export function startFakeServer(): FakeServer {
  const queue: Reply[] = [];
  const requests: Recorded[] = [];
  const waiters: Array<{ n: number; resolve: (r: Recorded) => void }> = [];
  const hanging: Array<() => void> = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      const text = await req.text();
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const rec: Recorded = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(req.headers),
        body,
      };
      requests.push(rec);
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(requests[w.n - 1]);
      }
      const reply = queue.shift();
      if (reply === undefined) return Response.json({ error: { message: 'no scripted reply' } }, { status: 599 });
      if (reply === 'hang') {
        return new Promise<Response>((resolve) => {
          const done = () => resolve(new Response('late', { status: 200 }));
          req.signal.addEventListener('abort', done);
          hanging.push(done);
        });
      }
      const headers = { ...(reply.json !== undefined ? { 'content-type': 'application/json' } : {}), ...reply.headers };
      return new Response(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ''), { status: reply.status ?? 200, headers });
    },
  });
  const fake: FakeServer = {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    script(...replies) {
      queue.push(...replies);
      return fake;
    },
    received(n) {
      if (requests.length >= n) return Promise.resolve(requests[n - 1]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    stop() {
      for (const done of hanging) done();
      // Closes every connection at once; nothing waits for it (stop() is synchronous for its callers).
      void server.stop(true);
    },
  };
  return fake;
}

// Reply builders in each provider's real wire format.

export function openaiAnswer(content: string | null, opts: { toolCalls?: Array<{ id: string; name: string; arguments: string }>; usage?: boolean; model?: string } = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: opts.model ?? 'gpt-test',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(opts.toolCalls ? { tool_calls: opts.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}),
        },
        finish_reason: opts.toolCalls ? 'tool_calls' : 'stop',
      },
    ],
    ...(opts.usage === false ? {} : { usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } }),
  };
}

export function anthropicAnswer(blocks: unknown[], opts: { usage?: boolean; stop?: string } = {}) {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: blocks,
    stop_reason: opts.stop ?? 'end_turn',
    stop_sequence: null,
    ...(opts.usage === false ? {} : { usage: { input_tokens: 20, output_tokens: 5, cache_creation_input_tokens: 3, cache_read_input_tokens: 2 } }),
  };
}

export function ollamaAnswer(content: string, opts: { toolCalls?: Array<{ name: string; arguments: unknown }>; usage?: boolean } = {}) {
  return {
    model: 'llama-test',
    created_at: '2025-01-01T00:00:00Z',
    message: { role: 'assistant', content, ...(opts.toolCalls ? { tool_calls: opts.toolCalls.map((c) => ({ function: c })) } : {}) },
    done: true,
    done_reason: 'stop',
    ...(opts.usage === false ? {} : { prompt_eval_count: 9, eval_count: 4 }),
  };
}
