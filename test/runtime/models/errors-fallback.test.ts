// Every HTTP provider, each against its own fake server in its own wire format: 429/500 fall back
// to the next endpoint, 400 does not, abort and timeout, estimated usage, and no key in any error.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { createModelGateway, ModelError, type EndpointConfig } from '../../../src/runtime/models';
import { anthropicAnswer, ollamaAnswer, openaiAnswer, startFakeServer, type FakeServer } from './fake-model-server';

const KEY = 'sk-secret-key-DO-NOT-LEAK-42';

interface Wire {
  endpoint(server: FakeServer): EndpointConfig;
  answer(text: string, usage?: boolean): unknown;
  error(message: string): unknown;
}

const openaiError = (message: string) => ({ error: { message, type: 'invalid_request_error', code: null } });
const wires: Record<string, Wire> = {
  openai: {
    endpoint: (s) => ({ provider: 'openai', base_url: `${s.url}/v1`, default_model: 'gpt-a', apiKey: KEY }),
    answer: (t, usage) => openaiAnswer(t, { usage }),
    error: openaiError,
  },
  'openai-compatible': {
    endpoint: (s) => ({ provider: 'openai-compatible', base_url: `${s.url}/v1`, default_model: 'local-a', apiKey: KEY }),
    answer: (t, usage) => openaiAnswer(t, { usage }),
    error: openaiError,
  },
  'azure-openai': {
    endpoint: (s) => ({ provider: 'azure-openai', base_url: s.url, default_model: 'dep-a', apiKey: KEY }),
    answer: (t, usage) => openaiAnswer(t, { usage }),
    error: openaiError,
  },
  anthropic: {
    endpoint: (s) => ({ provider: 'anthropic', base_url: `${s.url}/v1`, default_model: 'claude-a', apiKey: KEY }),
    answer: (t, usage) => anthropicAnswer([{ type: 'text', text: t }], { usage }),
    error: (message) => ({ type: 'error', error: { type: 'invalid_request_error', message } }),
  },
  ollama: {
    endpoint: (s) => ({ provider: 'ollama', base_url: s.url, default_model: 'llama-a', apiKey: KEY }),
    answer: (t, usage) => ollamaAnswer(t, { usage }),
    error: (message) => ({ error: message }),
  },
};

const messages = [{ role: 'user' as const, content: 'What is a lease?' }];

for (const [name, wire] of Object.entries(wires)) {
  describe(name, () => {
    let primary: FakeServer;
    let secondary: FakeServer;
    beforeEach(() => {
      primary = startFakeServer();
      secondary = startFakeServer();
    });
    afterEach(() => {
      primary.stop();
      secondary.stop();
    });
    const gateway = createModelGateway();
    const both = () => [{ ...wire.endpoint(primary), name: 'ns/primary' }, { ...wire.endpoint(secondary), name: 'ns/secondary' }];

    for (const status of [429, 500, 503]) {
      test(`${status} is retryable and the fallback endpoint answers`, async () => {
        primary.script({ status, json: wire.error('busy'), headers: status === 429 ? { 'retry-after': '7' } : {} });
        secondary.script({ json: wire.answer('from the fallback') });
        const res = await gateway.completeWithFallback(both(), { messages });
        expect(res.content).toBe('from the fallback');
        expect(res.endpoint).toBe('ns/secondary');
        expect(res.failedAttempts?.map((e) => e.toJSON())).toEqual([
          {
            code: status === 429 ? 'rate_limited' : 'server_error',
            provider: name,
            status,
            retryable: true,
            endpoint: 'ns/primary',
            retryAfterMs: status === 429 ? 7000 : undefined,
            message: `${name}: model request failed status=${status}: busy`,
          },
        ]);
        expect([primary.requests.length, secondary.requests.length]).toEqual([1, 1]);
      });
    }

    test('every request carries the Idempotency-Key, the same on the fallback endpoint', async () => {
      primary.script({ status: 500, json: wire.error('down') });
      secondary.script({ json: wire.answer('ok') });
      await gateway.completeWithFallback(both(), { messages, requestId: 'msg-7/m01/s04' });
      expect([...primary.requests, ...secondary.requests].map((r) => r.headers['idempotency-key'])).toEqual(['msg-7/m01/s04', 'msg-7/m01/s04']);
    });

    test('400 is not retryable and the fallback is never tried', async () => {
      primary.script({ status: 400, json: wire.error('messages: bad shape') });
      const err = await gateway.completeWithFallback(both(), { messages }).catch((e) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect([err.code, err.status, err.retryable, err.endpoint]).toEqual(['bad_request', 400, false, 'ns/primary']);
      expect(secondary.requests).toHaveLength(0);
    });

    test('when every endpoint fails retryably, the last error is thrown', async () => {
      primary.script({ status: 500, json: wire.error('one') });
      secondary.script({ status: 502, json: wire.error('two') });
      const err = await gateway.completeWithFallback(both(), { messages }).catch((e) => e);
      expect([err.code, err.status, err.endpoint, err.message]).toEqual(['server_error', 502, 'ns/secondary', `${name}: model request failed status=502: two`]);
    });

    test('401 echoing the key: auth_failed, not retryable, key redacted from the message', async () => {
      primary.script({ status: 401, json: wire.error(`Incorrect API key provided: ${KEY}. Authorization: Bearer ${KEY}`) });
      const err = await gateway.completeWithFallback(both(), { messages }).catch((e) => e);
      expect([err.code, err.retryable]).toEqual(['auth_failed', false]);
      expect(err.message).not.toContain(KEY);
      expect(JSON.stringify(err)).not.toContain(KEY);
      expect(String(err.stack)).not.toContain(KEY);
      expect(err.message).toContain('[REDACTED]');
      expect(secondary.requests).toHaveLength(0);
    });

    test('abort while the server is slow: aborted, not retryable, no fallback', async () => {
      primary.script('hang');
      const controller = new AbortController();
      const pending = gateway.completeWithFallback(both(), { messages, signal: controller.signal }).catch((e) => e);
      await primary.received(1);
      controller.abort();
      const err = await pending;
      expect([err.code, err.retryable, err.status]).toEqual(['aborted', false, undefined]);
      expect(secondary.requests).toHaveLength(0);
    });

    test('a timeout is retryable and falls back', async () => {
      primary.script('hang');
      secondary.script({ json: wire.answer('after timeout') });
      const res = await gateway.completeWithFallback([{ ...both()[0], options: { timeout: '150ms' } }, both()[1]], { messages });
      expect(res.content).toBe('after timeout');
      expect(res.failedAttempts?.map((e) => [e.code, e.retryable, e.message])).toEqual([['timeout', true, `${name}: model request timed out after 150ms`]]);
    });

    test('a connection refused is a retryable network error', async () => {
      const dead = startFakeServer();
      const url = dead.url;
      dead.stop();
      secondary.script({ json: wire.answer('alive') });
      const res = await gateway.completeWithFallback([{ ...wire.endpoint({ url } as FakeServer) }, both()[1]], { messages });
      expect(res.content).toBe('alive');
      expect(res.failedAttempts?.map((e) => [e.code, e.retryable])).toEqual([['network', true]]);
    });

    test('missing usage is estimated at about chars/4', async () => {
      primary.script({ json: wire.answer('A lease is a time-limited claim.', false) });
      const res = await gateway.complete(wire.endpoint(primary), { messages });
      // input: "What is a lease?" = 16 chars → 4; output: 32 chars → 8
      expect(res.usage).toEqual({ inputTokens: 4, outputTokens: 8, estimated: true });
    });

    test('a reply with no text and no tool calls is a retryable empty_response', async () => {
      primary.script({ json: wire.answer('') });
      const err = await gateway.complete(wire.endpoint(primary), { messages }).catch((e) => e);
      expect([err.code, err.retryable]).toEqual(['empty_response', true]);
    });

    test('a 200 with a non-JSON body is invalid_response, not retryable', async () => {
      primary.script({ text: '<html>proxy login</html>' });
      const err = await gateway.complete(wire.endpoint(primary), { messages }).catch((e) => e);
      expect([err.code, err.retryable]).toEqual(['invalid_response', false]);
    });
  });
}
