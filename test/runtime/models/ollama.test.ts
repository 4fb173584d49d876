// ollama against a fake /api/chat server: stream:false, function tools, tool calls without ids,
// tool results with tool_name, eval counts as usage.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { createModelGateway, type ChatMessage, type EndpointConfig } from '../../../src/runtime/models';
import { ollamaAnswer, startFakeServer, type FakeServer } from './fake-model-server';

let server: FakeServer;
beforeEach(() => {
  server = startFakeServer();
});
afterEach(() => server.stop());

const gateway = createModelGateway();
const endpoint = (): EndpointConfig => ({ provider: 'ollama', base_url: server.url, default_model: 'llama-test', options: { keep_alive: '5m' } });
const calc = { name: 'add', description: 'Adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } };

test('plain answer: /api/chat, stream false, no auth, eval counts as usage', async () => {
  server.script({ json: ollamaAnswer('Hi from llama') });
  const res = await gateway.complete(endpoint(), { messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hello' }], temperature: 0, maxTokens: 40 });
  expect(res).toEqual({
    content: 'Hi from llama',
    toolCalls: [],
    usage: { inputTokens: 9, outputTokens: 4, estimated: false },
    finishReason: 'stop',
    model: 'llama-test',
    provider: 'ollama',
    latencyMs: expect.any(Number),
  });
  const req = server.requests[0];
  expect(req.path).toBe('/api/chat');
  expect(req.headers.authorization).toBeUndefined();
  expect(req.body).toEqual({
    model: 'llama-test',
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hello' },
    ],
    stream: false,
    options: { temperature: 0, num_predict: 40 },
    keep_alive: '5m',
  });
});

test('tool round trip: function tools, generated call ids, object arguments, tool_name on results', async () => {
  server.script({ json: ollamaAnswer('', { toolCalls: [{ name: 'add', arguments: { a: 2, b: 3 } }] }) }, { json: ollamaAnswer('2 + 3 = 5') });
  const history: ChatMessage[] = [{ role: 'user', content: 'add 2 and 3' }];
  const first = await gateway.complete(endpoint(), { messages: history, tools: [calc] });
  expect(first.toolCalls).toEqual([{ id: 'ollama_call_1_1', name: 'add', arguments: { a: 2, b: 3 } }]);
  expect(first.finishReason).toBe('tool_calls');
  expect(server.requests[0].body.tools).toEqual([{ type: 'function', function: { name: 'add', description: 'Adds', parameters: calc.parameters } }]);

  history.push({ role: 'assistant', content: '', tool_calls: first.toolCalls }, { role: 'tool', tool_call_id: 'ollama_call_1_1', content: '5' });
  const second = await gateway.complete(endpoint(), { messages: history, tools: [calc] });
  expect(second.content).toBe('2 + 3 = 5');
  expect(server.requests[1].body.messages).toEqual([
    { role: 'user', content: 'add 2 and 3' },
    { role: 'assistant', content: '', tool_calls: [{ function: { name: 'add', arguments: { a: 2, b: 3 } } }] },
    { role: 'tool', content: '5', tool_name: 'add' },
  ]);
});

test('arguments sent as a JSON string are parsed', async () => {
  server.script({ json: ollamaAnswer('', { toolCalls: [{ name: 'add', arguments: '{"a":1,"b":1}' }] }) });
  const res = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }], tools: [calc] });
  expect(res.toolCalls[0].arguments).toEqual({ a: 1, b: 1 });
});

test('an Ollama error body ({"error": …}) becomes the message; 404 model not found is not retryable', async () => {
  server.script({ status: 404, json: { error: 'model "llama-test" not found, try pulling it first' } });
  const err = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  expect([err.code, err.status, err.retryable, err.message]).toEqual([
    'not_found',
    404,
    false,
    'ollama: model request failed status=404: model "llama-test" not found, try pulling it first',
  ]);
});

test('outputSchema is sent as format; requestId as Idempotency-Key', async () => {
  const schema = { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] };
  server.script({ json: ollamaAnswer('{"sum":5}') });
  await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'add' }], outputSchema: schema, requestId: 'r/s02' });
  expect(server.requests[0].headers['idempotency-key']).toBe('r/s02');
  expect(server.requests[0].body).toEqual({
    model: 'llama-test',
    messages: [{ role: 'user', content: 'add' }],
    stream: false,
    format: schema,
    keep_alive: '5m',
  });
});
