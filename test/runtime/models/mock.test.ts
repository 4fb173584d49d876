// The mock provider: offline, deterministic, readable answers, the original's tool-selection rule,
// and estimated usage.
import { describe, expect, test } from 'bun:test';
import { createModelGateway, type ChatMessage, type EndpointConfig, type ModelRequest } from '../../../src/runtime/models';

// Any network use would throw: the mock must answer without it.
const offline = createModelGateway({
  fetch: (() => {
    throw new Error('network used');
  }) as unknown as typeof fetch,
});
const endpoint: EndpointConfig = { provider: 'mock', default_model: 'mock-1' };
const tool = (name: string, required: string[] = []) => ({ name, parameters: { type: 'object', properties: Object.fromEntries(required.map((k) => [k, { type: 'string' }])), required } });

test('same request, same answer; readable, derived from the system prompt and last user message', async () => {
  const req: ModelRequest = {
    messages: [
      { role: 'system', content: 'You are a release-notes writer.\nBe brief.' },
      { role: 'user', content: 'Summarise   version 2.0' },
    ],
  };
  const a = await offline.complete(endpoint, req);
  const b = await offline.complete(endpoint, structuredClone(req));
  expect({ ...a, latencyMs: 0 }).toEqual({ ...b, latencyMs: 0 });
  expect(a).toEqual({
    content: '[mock:mock-1] re: "Summarise version 2.0" | system: "You are a release-notes writer."',
    toolCalls: [],
    usage: { inputTokens: 16, outputTokens: 22, estimated: true }, // ceil(64/4), ceil(85/4)
    finishReason: 'stop',
    model: 'mock-1',
    provider: 'mock',
    latencyMs: expect.any(Number),
  });
});

test('different input, different answer; no user message says hello', async () => {
  const one = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'alpha' }] });
  const two = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'beta' }] });
  const none = await offline.complete(endpoint, { model: 'other', messages: [{ role: 'system', content: 'x' }] });
  expect([one.content, two.content, none.content]).toEqual(['[mock:mock-1] re: "alpha"', '[mock:mock-1] re: "beta"', '[mock:other] hello | system: "x"']);
});

test('tools offered, no tool result yet: calls the first tool with the user text; then answers with the result', async () => {
  const tools = [tool('summarise', ['text']), tool('translate')];
  const history: ChatMessage[] = [{ role: 'user', content: 'Make it short' }];
  const first = await offline.complete(endpoint, { messages: history, tools });
  expect(first.toolCalls).toEqual([{ id: 'mock_call_1', name: 'summarise', arguments: { text: 'Make it short' } }]);
  expect(first.finishReason).toBe('tool_calls');
  expect(first.usage.estimated).toBe(true);

  history.push({ role: 'assistant', content: first.content, tool_calls: first.toolCalls }, { role: 'tool', tool_call_id: 'mock_call_1', content: 'short.' });
  const second = await offline.complete(endpoint, { messages: history, tools });
  expect(second.toolCalls).toEqual([]);
  expect(second.content).toBe('[mock:mock-1] re: "Make it short" | tool summarise: "short."');
});

test('a required `key` gets a short stable key derived from the message, other strings the message itself', async () => {
  const text = 'Keep this:\nline two';
  const a = await offline.complete(endpoint, { messages: [{ role: 'user', content: text }], tools: [tool('memory.write', ['key', 'value'])] });
  const b = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'something else' }], tools: [tool('memory.write', ['key', 'value'])] });
  expect(a.toolCalls[0].arguments).toEqual({ key: expect.stringMatching(/^mock-[0-9a-f]{8}$/), value: text });
  expect((await offline.complete(endpoint, { messages: [{ role: 'user', content: text }], tools: [tool('memory.write', ['key', 'value'])] })).toolCalls[0].arguments).toEqual(a.toolCalls[0].arguments);
  expect(b.toolCalls[0].arguments.key).not.toBe(a.toolCalls[0].arguments.key);
});

test('keyword rule: search/web/db… in the prompt picks the matching tool, each tool at most once', async () => {
  const tools = [tool('calculator'), tool('web_search'), tool('db_lookup')];
  const history: ChatMessage[] = [
    { role: 'system', content: 'Search the web, then check the db.' },
    { role: 'user', content: 'Find the owner' },
  ];
  const first = await offline.complete(endpoint, { messages: history, tools });
  expect(first.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([['mock_call_1', 'web_search', { input: 'Find the owner' }]]);
  history.push({ role: 'assistant', content: '', tool_calls: first.toolCalls }, { role: 'tool', tool_call_id: 'mock_call_1', content: 'found' });
  const second = await offline.complete(endpoint, { messages: history, tools });
  expect(second.toolCalls.map((c) => [c.id, c.name])).toEqual([['mock_call_2', 'db_lookup']]);
  history.push({ role: 'assistant', content: '', tool_calls: second.toolCalls }, { role: 'tool', tool_call_id: 'mock_call_2', content: 'alice' });
  const third = await offline.complete(endpoint, { messages: history, tools });
  expect(third.toolCalls).toEqual([]);
  expect(third.content).toContain('tool db_lookup: "alice"');
});

test('tool names are aliased for the mock too and mapped back', async () => {
  const res = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'go' }], tools: [tool('memory.read')] });
  expect(res.toolCalls.map((c) => c.name)).toEqual(['memory.read']);
});

test('options: mock_tool_calls "false" never calls tools; mock_response fixes the text', async () => {
  const noTools = await offline.complete({ ...endpoint, options: { mock_tool_calls: 'false' } }, { messages: [{ role: 'user', content: 'q' }], tools: [tool('web_search')] });
  expect(noTools.toolCalls).toEqual([]);
  const fixed = await offline.complete({ ...endpoint, options: { mock_response: 'APPROVED' } }, { messages: [{ role: 'user', content: 'q' }] });
  expect(fixed.content).toBe('APPROVED');
});

test('an aborted signal is honoured even offline', async () => {
  const err = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'q' }], signal: AbortSignal.abort() }).catch((e) => e);
  expect([err.code, err.retryable]).toEqual(['aborted', false]);
});

describe('output schema', () => {
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 6 },
      code: { type: 'string', maxLength: 2 },
      score: { type: 'number', minimum: 3.5 },
      count: { type: 'integer', exclusiveMinimum: 2 },
      below: { type: 'integer', maximum: -4 },
      done: { type: 'boolean' },
      level: { enum: ['high', 'low'] },
      kind: { const: 'report' },
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      either: { anyOf: [{ type: 'null' }, { type: 'string' }] },
      nested: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'] },
      optional: { type: 'string' },
    },
    required: ['title', 'code', 'score', 'count', 'below', 'done', 'level', 'tags', 'either', 'nested'],
  };

  test('answers with the minimal instance: required properties plus const ones', async () => {
    const res = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'report' }], outputSchema: schema });
    expect(JSON.parse(res.content)).toEqual({
      title: 'mockxx',
      code: 'mo',
      score: 3.5,
      count: 3,
      below: -4,
      done: false,
      level: 'high',
      kind: 'report',
      tags: ['mock', 'mock'],
      either: null,
      nested: { a: 'mock' },
    });
    expect(res.finishReason).toBe('stop');
  });

  test('a tool call still comes first; mock_response still wins over the schema', async () => {
    const withTool = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'go' }], tools: [tool('lookup')], outputSchema: schema });
    expect(withTool.toolCalls.map((c) => c.name)).toEqual(['lookup']);
    const fixed = await offline.complete({ ...endpoint, options: { mock_response: 'not json' } }, { messages: [{ role: 'user', content: 'go' }], outputSchema: schema });
    expect(fixed.content).toBe('not json');
    const scalar = await offline.complete(endpoint, { messages: [{ role: 'user', content: 'go' }], outputSchema: { type: ['null', 'integer'], minimum: 7 } });
    expect(scalar.content).toBe('7');
  });
});
