// openai and openai-compatible against a fake chat-completions server: exact request bodies and
// headers, the tool-call round trip, and response parsing.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { createModelGateway, type ChatMessage, type EndpointConfig, type ToolDefinition } from '../../../src/runtime/models';
import { openaiAnswer, startFakeServer, type FakeServer } from './fake-model-server';

const KEY = 'sk-test-openai-0123456789';
const weather: ToolDefinition = {
  name: 'lookup_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let server: FakeServer;
beforeEach(() => {
  server = startFakeServer();
});
afterEach(() => server.stop());

const gateway = createModelGateway();
const endpoint = (): EndpointConfig => ({ provider: 'openai', base_url: `${server.url}/v1`, default_model: 'gpt-test', apiKey: KEY, name: 'default/gpt' });

describe('openai', () => {
  test('plain answer: request body, bearer auth and parsed response', async () => {
    server.script({ json: openaiAnswer('Hello there.') });
    const res = await gateway.complete(endpoint(), {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello' },
      ],
      maxTokens: 50,
      temperature: 0.2,
    });
    expect(res).toEqual({
      content: 'Hello there.',
      toolCalls: [],
      usage: { inputTokens: 11, outputTokens: 7, estimated: false },
      finishReason: 'stop',
      model: 'gpt-test',
      provider: 'openai',
      endpoint: 'default/gpt',
      latencyMs: expect.any(Number),
    });
    const req = server.requests[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello' },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
    });
  });

  test('tool call round trip: function tools, assistant tool_calls and tool results on the wire', async () => {
    server.script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'call_abc', name: 'lookup_weather', arguments: '{"city":"Oslo"}' }] }) },
      { json: openaiAnswer('It is 3°C in Oslo.') },
    );
    const history: ChatMessage[] = [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'Weather in Oslo?' },
    ];
    const first = await gateway.complete(endpoint(), { messages: history, tools: [weather] });
    expect(first.toolCalls).toEqual([{ id: 'call_abc', name: 'lookup_weather', arguments: { city: 'Oslo' } }]);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.content).toBe('');
    expect(server.requests[0].body).toEqual({
      model: 'gpt-test',
      messages: history,
      tools: [{ type: 'function', function: { name: 'lookup_weather', description: 'Weather for a city', parameters: weather.parameters } }],
      tool_choice: 'auto',
    });

    history.push({ role: 'assistant', content: first.content, tool_calls: first.toolCalls });
    history.push({ role: 'tool', tool_call_id: 'call_abc', name: 'lookup_weather', content: '{"temp_c":3}' });
    const second = await gateway.complete(endpoint(), { messages: history, tools: [weather] });
    expect(second.content).toBe('It is 3°C in Oslo.');
    expect(second.toolCalls).toEqual([]);
    expect(server.requests[1].body.messages).toEqual([
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'lookup_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"temp_c":3}' },
    ]);
  });

  test('content given as parts is joined; unparsable arguments are kept under input', async () => {
    const body = openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup_weather', arguments: 'Oslo please' }] });
    (body.choices[0].message as any).content = [
      { type: 'text', text: 'line one' },
      { type: 'text', text: 'line two' },
    ];
    server.script({ json: body });
    const res = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }], tools: [weather] });
    expect(res.content).toBe('line one\nline two');
    expect(res.toolCalls).toEqual([{ id: 'c1', name: 'lookup_weather', arguments: { input: 'Oslo please' } }]);
  });

  test('a missing API key fails before any request, not retryable', async () => {
    const err = await gateway.complete({ ...endpoint(), apiKey: undefined }, { messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.toJSON()).toEqual({
      code: 'auth_failed',
      provider: 'openai',
      status: undefined,
      retryable: false,
      endpoint: 'default/gpt',
      retryAfterMs: undefined,
      message: 'openai: endpoint has no API key (set auth.secretRef)',
    });
    expect(server.requests).toHaveLength(0);
  });

  test('options.max_tokens is used when the request sets none; a request model overrides default_model', async () => {
    server.script({ json: openaiAnswer('ok') });
    await gateway.complete({ ...endpoint(), options: { max_tokens: '77' } }, { model: 'gpt-other', messages: [{ role: 'user', content: 'x' }] });
    expect(server.requests[0].body).toEqual({ model: 'gpt-other', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 77 });
  });
});

describe('openai output schema and idempotency key', () => {
  const schema = { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] };

  test('outputSchema becomes response_format json_schema; requestId the Idempotency-Key header', async () => {
    server.script({ json: openaiAnswer('{"verdict":"ok"}') });
    await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'judge' }], outputSchema: schema, requestId: 'msg-1/m01/s03' });
    const req = server.requests[0];
    expect(req.headers['idempotency-key']).toBe('msg-1/m01/s03');
    expect(req.body).toEqual({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'judge' }],
      response_format: { type: 'json_schema', json_schema: { name: 'output', schema, strict: false } },
    });
  });

  test('without them: no response_format and no Idempotency-Key header', async () => {
    server.script({ json: openaiAnswer('plain') });
    await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }] });
    expect(server.requests[0].headers['idempotency-key']).toBeUndefined();
    expect(server.requests[0].body).toEqual({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
  });

  test('a request id outside printable ASCII is percent-encoded instead of failing the request', async () => {
    server.script({ json: openaiAnswer('ok') });
    const res = await gateway.complete(endpoint(), { messages: [{ role: 'user', content: 'x' }], requestId: 'tâche/s01' });
    expect(res.content).toBe('ok');
    expect(server.requests[0].headers['idempotency-key']).toBe('t%C3%A2che%2Fs01');
  });
});

describe('openai-compatible', () => {
  test('no key: no Authorization header; max_tokens field; provider alias openai_compatible', async () => {
    server.script({ json: openaiAnswer('local answer') });
    const res = await gateway.complete(
      { provider: 'openai_compatible', base_url: `${server.url}/v1/`, default_model: 'qwen', options: { max_tokens: '64' } },
      { messages: [{ role: 'user', content: 'hi' }] },
    );
    expect(res.provider).toBe('openai-compatible');
    expect(res.content).toBe('local answer');
    const req = server.requests[0];
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }], max_tokens: 64 });
  });

  test('with a key: Bearer; without base_url: invalid_config', async () => {
    server.script({ json: openaiAnswer('ok') });
    await gateway.complete({ provider: 'openai-compatible', base_url: `${server.url}/v1`, default_model: 'm', apiKey: 'local-key-1234' }, { messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[0].headers.authorization).toBe('Bearer local-key-1234');
    const err = await gateway.complete({ provider: 'openai-compatible', default_model: 'm' }, { messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect([err.code, err.retryable]).toEqual(['invalid_config', false]);
  });
});
