// azure-openai against a fake Azure deployment endpoint: URL shape, api-version, api-key header.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { createModelGateway, type EndpointConfig } from '../../../src/runtime/models';
import { openaiAnswer, startFakeServer, type FakeServer } from './fake-model-server';

const KEY = 'azure-key-abcdef123456';
let server: FakeServer;
beforeEach(() => {
  server = startFakeServer();
});
afterEach(() => server.stop());

const gateway = createModelGateway();
const endpoint = (options?: Record<string, string>): EndpointConfig => ({
  provider: 'azure-openai',
  base_url: `${server.url}/`,
  default_model: 'gpt4o-prod',
  apiKey: KEY,
  ...(options ? { options } : {}),
});

test('deployment URL from the model, default api-version, api-key header and no bearer', async () => {
  server.script({ json: openaiAnswer('Azure says hi', { model: 'gpt-4o' }) });
  const res = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'hi' }], maxTokens: 20 });
  expect(res.content).toBe('Azure says hi');
  expect(res.provider).toBe('azure-openai');
  const req = server.requests[0];
  expect(req.path).toBe('/openai/deployments/gpt4o-prod/chat/completions');
  expect(req.query).toEqual({ 'api-version': '2024-10-21' });
  expect(req.headers['api-key']).toBe(KEY);
  expect(req.headers.authorization).toBeUndefined();
  expect(req.body).toEqual({ model: 'gpt4o-prod', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 });
});

test('options api_version and deployment; aliases azure and azure_openai', async () => {
  server.script({ json: openaiAnswer('one') }, { json: openaiAnswer('two') });
  await gateway.complete({ ...endpoint({ api_version: '2025-01-01-preview', deployment: 'my deploy' }), provider: 'azure' }, { messages: [{ role: 'user', content: 'a' }] });
  await gateway.complete({ ...endpoint(), provider: 'azure_openai' }, { messages: [{ role: 'user', content: 'b' }] });
  expect(server.requests[0].path).toBe('/openai/deployments/my%20deploy/chat/completions');
  expect(server.requests[0].query).toEqual({ 'api-version': '2025-01-01-preview' });
  expect(server.requests[1].path).toBe('/openai/deployments/gpt4o-prod/chat/completions');
});

test('tools use the OpenAI function shape', async () => {
  server.script({ json: openaiAnswer(null, { toolCalls: [{ id: 'call_1', name: 'calc', arguments: '{"x":2}' }] }) });
  const res = await gateway.complete(endpoint(), {
    messages: [{ role: 'user', content: 'double 2' }],
    tools: [{ name: 'calc', parameters: { type: 'object' } }],
  });
  expect(res.toolCalls).toEqual([{ id: 'call_1', name: 'calc', arguments: { x: 2 } }]);
  expect(server.requests[0].body.tools).toEqual([{ type: 'function', function: { name: 'calc', parameters: { type: 'object' } } }]);
});

test('a missing key or base_url fails without a request', async () => {
  const noKey = await gateway.complete({ ...endpoint(), apiKey: undefined }, { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  const noBase = await gateway.complete({ ...endpoint(), base_url: undefined }, { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  expect([noKey.code, noKey.retryable, noBase.code, noBase.retryable]).toEqual(['auth_failed', false, 'invalid_config', false]);
  expect(server.requests).toHaveLength(0);
});

test('outputSchema is sent as response_format; requestId as Idempotency-Key', async () => {
  server.script({ json: openaiAnswer('{"n":1}') });
  const schema = { type: 'object', properties: { n: { type: 'integer' } } };
  await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'n?' }], outputSchema: schema, requestId: 'run-9/s01' });
  expect(server.requests[0].headers['idempotency-key']).toBe('run-9/s01');
  expect(server.requests[0].body).toEqual({
    model: 'gpt4o-prod',
    messages: [{ role: 'user', content: 'n?' }],
    response_format: { type: 'json_schema', json_schema: { name: 'output', schema, strict: false } },
  });
});
