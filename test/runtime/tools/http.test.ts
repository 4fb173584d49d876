// The http transport through the runtime against real tool servers: envelopes, plain replies,
// status mapping, retries with exact backoff waits, timeouts and cancellation.
import { afterEach, describe, expect, test } from 'bun:test';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { fixedClock, gate, httpTool, json, noSecrets, okEnvelope, recordingSleep, toolServer } from './helpers';

const servers: { stop(): void }[] = [];
const serve = (...a: Parameters<typeof toolServer>) => {
  const s = toolServer(...a);
  servers.push(s);
  return s;
};
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

const trace = (attempt: number, extra: Record<string, unknown> = {}) => ({
  tool_contract_version: 'v1',
  tool_request_id: 'req-1',
  tool_attempt: attempt,
  ...extra,
});

describe('http tools', () => {
  test('posts the arguments and reads a v1 response envelope', async () => {
    const srv = serve((req) => json(okEnvelope('req-1', { result: `hello ${req.json.name}` })));
    const rt = createToolRuntime({ clock: fixedClock });
    const res = await rt.invoke(httpTool(srv.url + '/run'), { requestId: 'req-1', input: '{"name":"ada"}' }, { secrets: noSecrets });
    expect(res).toEqual({
      status: 'ok',
      output: { result: 'hello ada' },
      text: 'hello ada',
      attempts: 1,
      latencyMs: 0,
      contractVersion: 'v1',
      requestId: 'req-1',
      trace: trace(1),
    });
    expect(srv.received).toHaveLength(1);
    const r = srv.received[0];
    expect([r.method, r.path, r.body]).toEqual(['POST', '/run', '{"name":"ada"}']);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-tool-contract-version']).toBe('v1');
    expect(r.headers['x-tool-request-id']).toBe('req-1');
    expect(r.headers['x-tool-attempt']).toBe('1');
  });

  test('a plain reply (no envelope) is the result text; non-JSON input is wrapped', async () => {
    const srv = serve(() => new Response('42 degrees'));
    const rt = createToolRuntime({ clock: fixedClock });
    const res = await rt.invoke(httpTool(srv.url), { requestId: 'req-1', input: 'weather in Paris' }, { secrets: noSecrets });
    expect(res.status).toBe('ok');
    expect(res.output).toEqual({ result: '42 degrees' });
    expect(res.text).toBe('42 degrees');
    expect(srv.received[0].json).toEqual({ input: 'weather in Paris' });
  });

  test('a plain API answering {"status":"ok",…} is not mistaken for an envelope', async () => {
    const srv = serve(() => json({ status: 'ok', temperature: 21 }));
    const res = await createToolRuntime().invoke(httpTool(srv.url), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect([res.status, res.text]).toEqual(['ok', '{"status":"ok","temperature":21}']);
  });

  test('an error envelope in a 200 reply keeps its code, reason and retryability', async () => {
    const srv = serve(() =>
      json({ tool_contract_version: 'v1', request_id: 'req-1', status: 'error', error: { code: 'invalid_input', reason: 'tool_invalid_input', retryable: false, message: 'city is required' } }),
    );
    const res = await createToolRuntime({ clock: fixedClock }).invoke(httpTool(srv.url), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect(res.error).toEqual({ code: 'invalid_input', reason: 'tool_invalid_input', retryable: false, message: 'city is required', details: {} });
    expect(res.text).toBe('tool "echo" failed after 1 attempt(s): tool_status=error tool_code=invalid_input tool_reason=tool_invalid_input retryable=false message="city is required"');
    expect(res.trace).toEqual(trace(1, { error_code: 'invalid_input', error_reason: 'tool_invalid_input', retryable: false }));
  });

  const retrySpec = (jitter: string, backoff = '100ms', max_backoff = '1s') => ({ runtime: { timeout: '5s', retry: { max_attempts: 4, backoff, max_backoff, jitter } } });
  const flaky = () => serve((_req, n) => (n <= 3 ? new Response('busy', { status: 503 }) : json(okEnvelope('req-1', { result: 'ok' }))));

  for (const [jitter, waits] of [
    ['none', [100, 200, 400]],
    ['full', [50, 100, 200]],
    ['equal', [75, 150, 300]],
  ] as const) {
    test(`503 is retried with exponential backoff, jitter ${jitter}`, async () => {
      const srv = flaky();
      const { waits: seen, sleep } = recordingSleep();
      const rt = createToolRuntime({ clock: fixedClock, sleep, random: () => 0.5 });
      const res = await rt.invoke(httpTool(srv.url, retrySpec(jitter)), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
      expect(res.status).toBe('ok');
      expect(res.attempts).toBe(4);
      expect(res.trace).toEqual(trace(4));
      expect(seen).toEqual([...waits]);
      expect(srv.received.map((r) => r.headers['x-tool-attempt'])).toEqual(['1', '2', '3', '4']);
    });
  }

  test('backoff is capped by max_backoff', async () => {
    const srv = flaky();
    const { waits, sleep } = recordingSleep();
    const rt = createToolRuntime({ clock: fixedClock, sleep, random: () => 0.5 });
    await rt.invoke(httpTool(srv.url, retrySpec('none', '300ms', '500ms')), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect(waits).toEqual([300, 500, 500]);
  });

  test('retryable errors stop at max_attempts and report the last error', async () => {
    const srv = serve(() => new Response('slow down', { status: 429 }));
    const { waits, sleep } = recordingSleep();
    const rt = createToolRuntime({ clock: fixedClock, sleep });
    const res = await rt.invoke(httpTool(srv.url, { runtime: { retry: { max_attempts: 2, backoff: '1s' } } }), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect(res.error).toEqual({
      code: 'execution_failed',
      reason: 'tool_backend_failure',
      retryable: true,
      message: 'tool answered HTTP 429: slow down',
      details: { http_status: 429 },
      httpStatus: 429,
    });
    expect([res.attempts, srv.received.length, waits]).toEqual([2, 2, [1000]]);
  });

  test('400 is not retried', async () => {
    const srv = serve(() => new Response('bad city', { status: 400 }));
    const { waits, sleep } = recordingSleep();
    const rt = createToolRuntime({ clock: fixedClock, sleep });
    const res = await rt.invoke(httpTool(srv.url, retrySpec('none')), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect([res.status, res.error?.code, res.error?.retryable, res.attempts, srv.received.length, waits]).toEqual(['error', 'execution_failed', false, 1, 1, []]);
  });

  for (const [status, code] of [
    [401, 'auth_invalid'],
    [403, 'auth_forbidden'],
  ] as const) {
    test(`${status} is ${code} and not retried`, async () => {
      const srv = serve(() => new Response('no', { status }));
      const res = await createToolRuntime({ sleep: recordingSleep().sleep }).invoke(httpTool(srv.url, retrySpec('none')), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
      expect([res.error?.code, res.error?.reason, res.error?.retryable, res.attempts]).toEqual([code, `tool_${code}`, false, 1]);
    });
  }

  test('408 is a retryable timeout', async () => {
    const srv = serve((_r, n) => (n === 1 ? new Response('', { status: 408 }) : json(okEnvelope('req-1', { result: 'ok' }))));
    const res = await createToolRuntime({ sleep: recordingSleep().sleep }).invoke(httpTool(srv.url, retrySpec('none')), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect([res.status, res.attempts]).toEqual(['ok', 2]);
  });

  test('a slow tool times out per attempt with a retryable timeout error', async () => {
    const hold = gate();
    const srv = serve(async () => {
      await hold.promise;
      return json(okEnvelope('req-1', { result: 'late' }));
    });
    const { waits, sleep } = recordingSleep();
    const rt = createToolRuntime({ clock: fixedClock, sleep });
    const res = await rt.invoke(httpTool(srv.url, { runtime: { timeout: '100ms', retry: { max_attempts: 2, backoff: '10ms' } } }), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    hold.open();
    expect(res.error).toEqual({ code: 'timeout', reason: 'tool_execution_timeout', retryable: true, message: 'tool call exceeded its 100ms timeout', details: { timeout_ms: 100 } });
    expect([res.attempts, srv.received.length, waits]).toEqual([2, 2, [10]]);
  });

  test('cancelling the call aborts it with a non-retryable canceled error', async () => {
    const hold = gate();
    const ctl = new AbortController();
    const srv = serve(async () => {
      ctl.abort();
      await hold.promise;
      return json(okEnvelope('req-1', { result: 'late' }));
    });
    const rt = createToolRuntime({ sleep: recordingSleep().sleep });
    const res = await rt.invoke(httpTool(srv.url, retrySpec('none')), { requestId: 'req-1', input: {} }, { secrets: noSecrets, signal: ctl.signal });
    hold.open();
    expect([res.error?.code, res.error?.reason, res.error?.retryable, res.attempts]).toEqual(['canceled', 'tool_execution_canceled', false, 1]);
  });

  test('a connection failure is a retryable backend failure', async () => {
    const srv = serve(() => new Response('x'));
    const url = srv.url;
    await srv.stop();
    const { sleep } = recordingSleep();
    const res = await createToolRuntime({ sleep }).invoke(httpTool(url, retrySpec('none')), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.attempts]).toEqual(['execution_failed', true, 4]);
  });

  test('redirects are not followed', async () => {
    const srv = serve(() => new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/' } }));
    const res = await createToolRuntime().invoke(httpTool(srv.url), { requestId: 'req-1', input: {} }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['execution_failed', false, 'tool answered a redirect (302); redirects are not followed']);
  });

  test('a missing endpoint or a bad timeout is a runtime policy error before any attempt', async () => {
    const rt = createToolRuntime();
    const noEndpoint = await rt.invoke({ name: 'x', spec: { type: 'http' } }, { requestId: 'req-1' }, { secrets: noSecrets });
    expect([noEndpoint.error?.code, noEndpoint.error?.message, noEndpoint.attempts]).toEqual(['runtime_policy_invalid', 'spec.endpoint is required for tool type http', 0]);
    const badTimeout = await rt.invoke(httpTool('http://127.0.0.1:1', { runtime: { timeout: 'soon' } }), { requestId: 'req-1' }, { secrets: noSecrets });
    expect([badTimeout.error?.code, badTimeout.error?.retryable, badTimeout.trace.tool_attempt]).toEqual(['runtime_policy_invalid', false, 0]);
  });
});
