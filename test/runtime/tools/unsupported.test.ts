// Types and isolation modes without a backend fail closed, non-retryable, before any request.
import { afterAll, describe, expect, test } from 'bun:test';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { json, noSecrets, okEnvelope, toolServer } from './helpers';

const srv = toolServer(() => json(okEnvelope('r', { result: 'should not be reached' })));
afterAll(() => srv.stop());
const rt = createToolRuntime();

describe('unsupported tools', () => {
  for (const type of ['grpc', 'mcp', 'cli', 'wasm', 'a2a', 'queue']) {
    test(`type ${type} is tool_unsupported`, async () => {
      const res = await rt.invoke({ name: 't', spec: { type, endpoint: srv.url } }, { requestId: 'r' }, { secrets: noSecrets });
      const why = type === 'grpc' || type === 'queue' ? 'is not supported by Orrery' : 'is not available in this build yet';
      expect(res.error).toEqual({
        code: 'unsupported_tool',
        reason: 'tool_unsupported',
        retryable: false,
        message: `tool type ${type} ${why}; supported types: http, external, webhook-callback`,
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

  test('isolation_mode none runs the tool', async () => {
    const res = await rt.invoke({ name: 't', spec: { type: 'http', endpoint: srv.url, runtime: { isolation_mode: 'none' } } }, { requestId: 'r' }, { secrets: noSecrets });
    expect(res.status).toBe('ok');
  });
});
