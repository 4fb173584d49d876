// Types and isolation modes without a backend fail closed, non-retryable, before any request.
import { afterAll, describe, expect, test } from 'bun:test';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { ToolError } from '../../../src/runtime/tools/contract';
import { SUPPORTED_TOOL_TYPES } from '../../../src/runtime/tools/unsupported';
import { json, noSecrets, okEnvelope, toolServer } from './helpers';

const srv = toolServer(() => json(okEnvelope('r', { result: 'should not be reached' })));
afterAll(() => srv.stop());
const rt = createToolRuntime();

describe('unsupported tools', () => {
  // mcp, cli and wasm are registered by the engine's processes (src/runtime/engine/index.ts), not by a bare runtime.
  for (const type of ['grpc', 'mcp', 'cli', 'wasm', 'a2a', 'queue']) {
    test(`type ${type} is tool_unsupported`, async () => {
      const res = await rt.invoke({ name: 't', spec: { type, endpoint: srv.url } }, { requestId: 'r' }, { secrets: noSecrets });
      const why = ['grpc', 'queue', 'a2a'].includes(type) ? 'is not supported by Orrery' : 'is not available in this process';
      expect(res.error).toEqual({
        code: 'unsupported_tool',
        reason: 'tool_unsupported',
        retryable: false,
        message: `tool type ${type} ${why}; supported types: external, http, webhook-callback`,
        details: { tool_type: type },
      });
      expect(res.trace).toEqual({ tool_contract_version: 'v1', tool_request_id: 'r', tool_attempt: 0, error_code: 'unsupported_tool', error_reason: 'tool_unsupported', retryable: false });
    });
  }

  for (const mode of ['container', 'kubernetes', 'sandboxed', 'wasm']) {
    test(`isolation_mode ${mode} is isolation_unavailable`, async () => {
      const res = await rt.invoke({ name: 't', spec: { type: 'http', endpoint: srv.url, runtime: { isolation_mode: mode } } }, { requestId: 'r' }, { secrets: noSecrets });
      expect([res.error?.code, res.error?.reason, res.error?.retryable, res.attempts]).toEqual(['isolation_unavailable', 'tool_isolation_unavailable', false, 0]);
      expect(res.error?.message).toContain('set spec.runtime.isolation_mode: none');
    });
  }

  test('nothing reached the tool server', () => expect(srv.received).toHaveLength(0));

  test('cli is a supported type of the engine\'s processes, yet a bare runtime does not register it', () => {
    expect(SUPPORTED_TOOL_TYPES).toContain('cli');
    expect(rt.types()).not.toContain('cli');
  });

  test('a registered transport runs in the isolation modes it provides itself, and only those', async () => {
    const own = createToolRuntime();
    own.register('boxed', { isolation: ['wasm'], call: async () => ({ output: { result: 'ran' }, text: 'ran' }) });
    expect(own.types()).toEqual(['boxed', 'external', 'http', 'webhook-callback']);
    const ok = await own.invoke({ name: 't', spec: { type: 'boxed', runtime: { isolation_mode: 'wasm' } } }, { requestId: 'r' }, { secrets: noSecrets });
    expect([ok.status, ok.text]).toEqual(['ok', 'ran']);
    const refused = await own.invoke({ name: 't', spec: { type: 'boxed', runtime: { isolation_mode: 'container' } } }, { requestId: 'r' }, { secrets: noSecrets });
    expect(refused.error?.code).toBe('isolation_unavailable');
  });

  test('a transport\'s own spec check refuses the call before any attempt, and close() reaches every transport', async () => {
    const own = createToolRuntime();
    let closed = 0;
    own.register('checked', {
      check: () => new ToolError('runtime_policy_invalid', 'spec.thing is missing'),
      call: async () => ({ output: { result: 'never' }, text: 'never' }),
      close: () => void closed++,
    });
    const res = await own.invoke({ name: 't', spec: { type: 'checked' } }, { requestId: 'r' }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.attempts]).toEqual(['runtime_policy_invalid', false, 0]);
    await own.close();
    expect(closed).toBe(1);
  });

  test('isolation_mode none runs the tool', async () => {
    const res = await rt.invoke({ name: 't', spec: { type: 'http', endpoint: srv.url, runtime: { isolation_mode: 'none' } } }, { requestId: 'r' }, { secrets: noSecrets });
    expect(res.status).toBe('ok');
  });
});
