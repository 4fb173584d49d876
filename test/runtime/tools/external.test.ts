// The external transport: the full v1 request envelope goes out, a v1 response must come back.
import { describe, expect, test } from 'bun:test';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { fixedClock, json, noSecrets, okEnvelope, recordingSleep, secretsFrom, toolServer, serverPool } from './helpers';

const serve = serverPool();

describe('external tools', () => {
  test('sends the whole v1 request envelope and reads the response envelope', async () => {
    const srv = serve((req) => json({ ...okEnvelope(req.json.request_id, { summary: 'three results' }), usage: { duration_ms: 3, attempt: 1 } }));
    const rt = createToolRuntime({ clock: fixedClock });
    const tool = {
      name: 'web_search',
      namespace: 'team',
      spec: {
        type: 'external',
        endpoint: srv.url + '/exec',
        capabilities: ['network.read'],
        risk_level: 'medium',
        runtime: { timeout: '15s', retry: { max_attempts: 3, backoff: '1s', max_backoff: '30s', jitter: 'full' } },
        auth: { profile: 'bearer', secretRef: 'search-key', scopes: [] },
      },
    };
    const res = await rt.invoke(
      tool,
      { requestId: 'team/researcher/s001/web_search', input: '{"query":"bun"}', context: { taskId: 'team/weekly', namespace: 'team', agent: 'researcher', traceId: 'team/weekly/a001' } },
      { secrets: secretsFrom({ 'search-key': { token: 'sekret-token' } }) },
    );
    expect(srv.received[0].json).toEqual({
      tool_contract_version: 'v1',
      request_id: 'team/researcher/s001/web_search',
      task_id: 'team/weekly',
      namespace: 'team',
      agent: 'researcher',
      tool: { name: 'web_search', operation: 'invoke', capabilities: ['network.read'], risk_level: 'medium' },
      input: { query: 'bun' },
      input_raw: '{"query":"bun"}',
      runtime: { mode: 'external', timeout_ms: 15000, max_attempts: 3, backoff: '1s', max_backoff_ms: 30000, jitter: true },
      auth: { profile: 'bearer', secret_ref: 'search-key', scopes: [] },
      trace: { trace_id: 'team/weekly/a001', span_id: 'team/researcher/s001/web_search' },
      attempt: 1,
    });
    expect(srv.received[0].headers.authorization).toBe('Bearer sekret-token');
    expect(res).toEqual({
      status: 'ok',
      output: { summary: 'three results' },
      text: '{"summary":"three results"}',
      attempts: 1,
      latencyMs: 0,
      contractVersion: 'v1',
      requestId: 'team/researcher/s001/web_search',
      trace: {
        tool_contract_version: 'v1',
        tool_request_id: 'team/researcher/s001/web_search',
        tool_attempt: 1,
        tool_auth_profile: 'bearer',
        tool_auth_secret_ref: 'search-key',
      },
    });
  });

  test('a reply that is not an envelope is a retryable invalid-response failure', async () => {
    const srv = serve((_r, n) => (n === 1 ? new Response('<html>proxy error</html>') : json(okEnvelope('r', { result: 'fine' }))));
    const { sleep } = recordingSleep();
    const rt = createToolRuntime({ sleep });
    const once = await rt.invoke({ name: 'x', spec: { type: 'external', endpoint: srv.url } }, { requestId: 'r' }, { secrets: noSecrets });
    expect(once.error).toEqual({
      code: 'execution_failed',
      reason: 'tool_backend_failure',
      retryable: true,
      message: 'tool reply is not a v1 response envelope',
      details: { cause: 'invalid_response' },
    });
    const retried = await rt.invoke({ name: 'x', spec: { type: 'external', endpoint: srv.url, runtime: { retry: { max_attempts: 2 } } } }, { requestId: 'r' }, { secrets: noSecrets });
    expect([retried.status, retried.text, retried.attempts]).toEqual(['ok', 'fine', 1]);
  });

  test('a denied envelope in an error reply is passed through as a denial', async () => {
    const srv = serve(() =>
      json({ status: 'denied', error: { code: 'permission_denied', reason: 'tool_permission_denied', retryable: false, message: 'not for you', details: { policy: 'p1' } } }, 403),
    );
    const res = await createToolRuntime().invoke({ name: 'x', spec: { type: 'external', endpoint: srv.url } }, { requestId: 'r' }, { secrets: noSecrets });
    expect(res.status).toBe('denied');
    expect(res.error).toEqual({ code: 'permission_denied', reason: 'tool_permission_denied', retryable: false, message: 'not for you', details: { policy: 'p1' }, httpStatus: 403 });
    expect(res.text).toBe('tool "x" failed after 1 attempt(s): tool_status=denied tool_code=permission_denied tool_reason=tool_permission_denied retryable=false message="not for you" policy=p1');
  });

  test('an unknown response contract version is refused', async () => {
    const srv = serve(() => json({ tool_contract_version: 'v9', status: 'ok', output: { result: 'x' } }));
    const res = await createToolRuntime().invoke({ name: 'x', spec: { type: 'external', endpoint: srv.url } }, { requestId: 'r' }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['execution_failed', false, 'tool replied with unsupported contract version "v9"']);
  });
});
