// ModelGateway as a registry: provider lookup by name and alias, custom providers, unknown providers,
// the injected clock for latency, and provider bugs reported without leaking the key.
import { expect, test } from 'bun:test';
import { builtinProviders, createModelGateway, ModelError, ModelGateway, type ModelProvider } from '../../../src/runtime/models';

const echo: ModelProvider = {
  name: 'echo',
  aliases: ['Echo_Alias'],
  async complete(_ep, req, ctx) {
    return { content: `${ctx.model}:${req.messages.at(-1)?.content}`, toolCalls: [], usage: { inputTokens: 1, outputTokens: 2 }, finishReason: 'stop', model: ctx.model };
  },
};

test('every built-in provider and alias resolves to its canonical provider', () => {
  const gw = createModelGateway();
  const names: Record<string, string> = {
    openai: 'openai',
    '': 'openai',
    'openai-compatible': 'openai-compatible',
    openai_compatible: 'openai-compatible',
    'azure-openai': 'azure-openai',
    azure_openai: 'azure-openai',
    azure: 'azure-openai',
    anthropic: 'anthropic',
    ollama: 'ollama',
    mock: 'mock',
    ' MOCK ': 'mock',
  };
  for (const [given, canonical] of Object.entries(names)) expect(gw.provider(given)?.name).toBe(canonical);
  expect(builtinProviders.map((p) => p.name)).toEqual(['openai', 'openai-compatible', 'azure-openai', 'anthropic', 'ollama', 'mock']);
});

test('register adds a provider under its aliases; latency comes from the injected clock', async () => {
  let t = 1_000;
  const gw = new ModelGateway({ clock: { now: () => new Date((t += 250)) } }).register(echo);
  const res = await gw.complete({ provider: 'echo_alias', default_model: 'e1', name: 'ns/echo' }, { messages: [{ role: 'user', content: 'ping' }] });
  expect(res).toEqual({
    content: 'e1:ping',
    toolCalls: [],
    usage: { inputTokens: 1, outputTokens: 2, estimated: false },
    finishReason: 'stop',
    model: 'e1',
    provider: 'echo',
    endpoint: 'ns/echo',
    latencyMs: 250,
  });
});

test('unknown provider and missing model are non-retryable configuration errors', async () => {
  const gw = createModelGateway();
  const unknown = await gw.complete({ provider: 'bedrock', default_model: 'x' }, { messages: [] }).catch((e) => e);
  expect([unknown.code, unknown.retryable, unknown.message]).toEqual(['unknown_provider', false, 'unknown model provider "bedrock"']);
  const noModel = await gw.complete({ provider: 'mock', default_model: '' }, { messages: [] }).catch((e) => e);
  expect([noModel.code, noModel.retryable]).toEqual(['invalid_config', false]);
  const none = await gw.completeWithFallback([], { messages: [] }).catch((e) => e);
  expect(none.code).toBe('invalid_config');
});

test('a provider that throws a plain error becomes invalid_response with the key redacted', async () => {
  const key = 'super-secret-key-123';
  const broken: ModelProvider = {
    name: 'broken',
    async complete(ep) {
      throw new TypeError(`cannot read body for key ${ep.apiKey}`);
    },
  };
  const gw = new ModelGateway().register(broken);
  const err = await gw.complete({ provider: 'broken', default_model: 'b', apiKey: key }, { messages: [] }).catch((e) => e);
  expect([err.code, err.retryable, err.message]).toEqual(['invalid_response', false, 'broken: cannot read body for key [REDACTED]']);
});

test('fallback endpoints use their own default_model; request.model applies to the first only', async () => {
  const failing: ModelProvider = {
    name: 'flaky',
    async complete() {
      throw new ModelError({ code: 'server_error', status: 503, provider: 'flaky', message: 'flaky: down' });
    },
  };
  const gw = new ModelGateway().register(echo).register(failing);
  const res = await gw.completeWithFallback(
    [
      { provider: 'flaky', default_model: 'f' },
      { provider: 'echo', default_model: 'second-model' },
    ],
    { model: 'first-only', messages: [{ role: 'user', content: 'hi' }] },
  );
  expect(res.content).toBe('second-model:hi');
  expect(res.failedAttempts?.map((e) => [e.code, e.status, e.retryable])).toEqual([['server_error', 503, true]]);
});
