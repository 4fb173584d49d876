// anthropic against a fake Messages API server: headers, top-level system, tool_use/tool_result
// blocks, usage including cache tokens, and error bodies.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { createModelGateway, type ChatMessage, type EndpointConfig, type ToolDefinition } from '../../../src/runtime/models';
import { anthropicAnswer, startFakeServer, type FakeServer } from './fake-model-server';

const KEY = 'sk-ant-test-9876543210';
const search: ToolDefinition = { name: 'doc_search', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } };

let server: FakeServer;
beforeEach(() => {
  server = startFakeServer();
});
afterEach(() => server.stop());

const gateway = createModelGateway();
const endpoint = (options?: Record<string, string>): EndpointConfig => ({
  provider: 'anthropic',
  base_url: `${server.url}/v1`,
  default_model: 'claude-test',
  apiKey: KEY,
  ...(options ? { options } : {}),
});

test('plain answer: x-api-key, default anthropic-version, system top-level, default max_tokens, cache tokens in usage', async () => {
  server.script({ json: anthropicAnswer([{ type: 'text', text: 'Bonjour.' }, { type: 'text', text: 'Ça va ?' }]) });
  const res = await gateway.complete(endpoint(), {
    messages: [
      { role: 'system', content: 'Reply in French.' },
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Greet me' },
    ],
  });
  expect(res).toEqual({
    content: 'Bonjour.\nÇa va ?',
    toolCalls: [],
    usage: { inputTokens: 25, outputTokens: 5, estimated: false },
    finishReason: 'stop',
    model: 'claude-test',
    provider: 'anthropic',
    latencyMs: expect.any(Number),
  });
  const req = server.requests[0];
  expect(req.path).toBe('/v1/messages');
  expect(req.headers['x-api-key']).toBe(KEY);
  expect(req.headers['anthropic-version']).toBe('2023-06-01');
  expect(req.headers.authorization).toBeUndefined();
  expect(req.body).toEqual({
    model: 'claude-test',
    max_tokens: 1024,
    system: 'Reply in French.\n\nBe brief.',
    messages: [{ role: 'user', content: 'Greet me' }],
  });
});

test('options anthropic_version and max_tokens are sent', async () => {
  server.script({ json: anthropicAnswer([{ type: 'text', text: 'ok' }]) });
  await gateway.complete(endpoint({ anthropic_version: '2024-01-01', max_tokens: '300' }), { messages: [{ role: 'user', content: 'x' }] });
  expect(server.requests[0].headers['anthropic-version']).toBe('2024-01-01');
  expect(server.requests[0].body.max_tokens).toBe(300);
});

test('tool round trip: input_schema tools, tool_use blocks back, tool_result in a user turn', async () => {
  server.script(
    {
      json: anthropicAnswer(
        [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_01', name: 'doc_search', input: { q: 'leases' } },
          { type: 'tool_use', id: 'toolu_02', name: 'doc_search', input: { q: 'workers' } },
        ],
        { stop: 'tool_use' },
      ),
    },
    { json: anthropicAnswer([{ type: 'text', text: 'Leases last 30s.' }]) },
  );
  const history: ChatMessage[] = [
    { role: 'system', content: 'Search first.' },
    { role: 'user', content: 'How long is a lease?' },
  ];
  const first = await gateway.complete(endpoint(), { messages: history, tools: [search] });
  expect(first.content).toBe('Let me look.');
  expect(first.finishReason).toBe('tool_calls');
  expect(first.toolCalls).toEqual([
    { id: 'toolu_01', name: 'doc_search', arguments: { q: 'leases' } },
    { id: 'toolu_02', name: 'doc_search', arguments: { q: 'workers' } },
  ]);
  expect(server.requests[0].body.tools).toEqual([{ name: 'doc_search', input_schema: search.parameters }]);

  history.push(
    { role: 'assistant', content: first.content, tool_calls: first.toolCalls },
    { role: 'tool', tool_call_id: 'toolu_01', content: 'lease=30s' },
    { role: 'tool', tool_call_id: 'toolu_02', content: 'workers=4' },
  );
  const second = await gateway.complete(endpoint(), { messages: history, tools: [search] });
  expect(second.content).toBe('Leases last 30s.');
  expect(server.requests[1].body).toEqual({
    model: 'claude-test',
    max_tokens: 1024,
    system: 'Search first.',
    messages: [
      { role: 'user', content: 'How long is a lease?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_01', name: 'doc_search', input: { q: 'leases' } },
          { type: 'tool_use', id: 'toolu_02', name: 'doc_search', input: { q: 'workers' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01', content: 'lease=30s' },
          { type: 'tool_result', tool_use_id: 'toolu_02', content: 'workers=4' },
        ],
      },
    ],
    tools: [{ name: 'doc_search', input_schema: search.parameters }],
  });
});

test('529 overloaded is a retryable server_error carrying the API error message', async () => {
  server.script({ status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
  const err = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  expect([err.code, err.status, err.retryable, err.message]).toEqual(['server_error', 529, true, 'anthropic: model request failed status=529: Overloaded']);
});

test('max_tokens stop reason maps to length', async () => {
  server.script({ json: anthropicAnswer([{ type: 'text', text: 'cut' }], { stop: 'max_tokens' }) });
  const res = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }] });
  expect(res.finishReason).toBe('length');
});

test('outputSchema: no new wire field, the schema instruction is appended to the system text', async () => {
  const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
  const instruction = `When you give your final answer, reply with only a JSON value (no prose, no code fence) that matches this JSON Schema:\n${JSON.stringify(schema)}`;
  server.script({ json: anthropicAnswer([{ type: 'text', text: '{"ok":true}' }]) }, { json: anthropicAnswer([{ type: 'text', text: '{"ok":true}' }]) });
  await gateway.complete(endpoint(), { messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'ok?' }], outputSchema: schema, requestId: 'r/s01' });
  await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'ok?' }], outputSchema: schema });
  expect(server.requests[0].headers['idempotency-key']).toBe('r/s01');
  expect(server.requests[0].body).toEqual({
    model: 'claude-test',
    max_tokens: 1024,
    system: `Be exact.\n\n${instruction}`,
    messages: [{ role: 'user', content: 'ok?' }],
  });
  expect(server.requests[1].body).toEqual({ model: 'claude-test', max_tokens: 1024, system: instruction, messages: [{ role: 'user', content: 'ok?' }] });
});

test('a tool history with no tools offered declares the history tools and disables them (the API requires tools then)', async () => {
  server.script({ json: anthropicAnswer([{ type: 'text', text: 'Leases last 30s.' }]) });
  const history: ChatMessage[] = [
    { role: 'user', content: 'How long is a lease?' },
    { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_01', name: 'doc.search', arguments: { q: 'leases' } }] },
    { role: 'tool', tool_call_id: 'toolu_01', content: 'lease=30s' },
  ];
  const res = await gateway.complete(endpoint(), { messages: history });
  expect(res.content).toBe('Leases last 30s.');
  const alias = server.requests[0].body.messages[1].content[0].name;
  expect(alias).toMatch(/^doc_search_[0-9a-f]{8}$/);
  expect(server.requests[0].body).toEqual({
    model: 'claude-test',
    max_tokens: 1024,
    messages: [
      { role: 'user', content: 'How long is a lease?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: alias, input: { q: 'leases' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'lease=30s' }] },
    ],
    tools: [{ name: alias, input_schema: { type: 'object' } }],
    tool_choice: { type: 'none' },
  });
});
