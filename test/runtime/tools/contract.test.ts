// Contract pieces without a network: response reading, canonical error text, retry policy and
// backoff arithmetic.
import { describe, expect, test } from 'bun:test';
import { ToolError, readResponse } from '../../../src/runtime/tools/contract';
import { backoffDelay, retryPolicy } from '../../../src/runtime/tools/retry';

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as ToolError;
  }
  throw new Error('did not throw');
};

describe('readResponse', () => {
  test('ok and empty status give the output; result text is preferred', () => {
    expect(readResponse({ status: 'ok', output: { result: 'hi' } })).toEqual({ output: { result: 'hi' }, text: 'hi' });
    expect(readResponse({ status: '', output: { n: 1 } })).toEqual({ output: { n: 1 }, text: '{"n":1}' });
    expect(readResponse({ status: 'ok' })).toEqual({ output: {}, text: '{}' });
  });

  test('error without an error object is a non-retryable execution_failed', () => {
    const e = thrown(() => readResponse({ status: 'error' }));
    expect([e.code, e.reason, e.retryable, e.message]).toEqual(['execution_failed', 'tool_backend_failure', false, 'tool replied status error without an error']);
  });

  test('a remote error without reason/retryable takes them from the taxonomy', () => {
    const e = thrown(() => readResponse({ status: 'error', error: { code: 'timeout', message: 'slow' } }));
    expect([e.code, e.reason, e.retryable]).toEqual(['timeout', 'tool_execution_timeout', true]);
  });

  test('non-envelopes are invalid responses', () => {
    for (const body of [undefined, 'text', [1], { output: {} }, { status: 'weird' }]) {
      expect(thrown(() => readResponse(body)).details).toEqual({ cause: 'invalid_response' });
    }
  });
});

describe('ToolError', () => {
  test('defaults from the taxonomy and canonical text', () => {
    const e = new ToolError('timeout', 'took too long', { details: { timeout_ms: 100, b: 'x y' } });
    expect(e.toBody()).toEqual({ code: 'timeout', reason: 'tool_execution_timeout', retryable: true, message: 'took too long', details: { timeout_ms: 100, b: 'x y' } });
    expect(e.canonicalText()).toBe('tool_status=error tool_code=timeout tool_reason=tool_execution_timeout retryable=true message="took too long" b="x y" timeout_ms=100');
    expect(new ToolError('permission_denied', 'no').toolStatus).toBe('denied');
    expect(new ToolError('execution_failed', 'x', { retryable: false }).retryable).toBe(false);
  });
});

describe('retry policy', () => {
  test('defaults', () => {
    expect(retryPolicy(undefined)).toEqual({ timeoutMs: 30_000, maxAttempts: 1, backoffMs: 0, maxBackoffMs: 30_000, jitter: 'none', backoff: '0s' });
    expect(retryPolicy({ timeout: '0s', retry: { max_attempts: 0 } }).timeoutMs).toBe(30_000);
  });

  test('malformed values are policy errors', () => {
    expect(thrown(() => retryPolicy({ retry: { backoff: 'fast' } })).code).toBe('runtime_policy_invalid');
    expect(thrown(() => retryPolicy({ retry: { jitter: 'some' } })).code).toBe('runtime_policy_invalid');
    expect(thrown(() => retryPolicy({ timeout: '-1s' })).code).toBe('runtime_policy_invalid');
  });

  test('backoff doubles, is capped, and jitters', () => {
    const p = retryPolicy({ retry: { max_attempts: 20, backoff: '1s', max_backoff: '1h', jitter: 'none' } });
    expect([1, 2, 3, 11, 12, 15].map((a) => backoffDelay(p, a, () => 0))).toEqual([1000, 2000, 4000, 1_024_000, 1_024_000, 1_024_000]);
    const full = { ...p, jitter: 'full' as const };
    const equal = { ...p, jitter: 'equal' as const };
    expect([backoffDelay(full, 2, () => 0), backoffDelay(full, 2, () => 0.25), backoffDelay(equal, 2, () => 0), backoffDelay(equal, 2, () => 0.5)]).toEqual([0, 500, 1000, 1500]);
    expect(backoffDelay(retryPolicy({}), 3, () => 0.5)).toBe(0);
  });
});
