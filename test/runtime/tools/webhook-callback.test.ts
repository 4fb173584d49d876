// webhook-callback tools: an immediate 200, a 202 answered later through a real callback route
// backed by the CallbackBroker, a 202 answered by polling, and a callback that never comes.
import { describe, expect, test } from 'bun:test';
import { CallbackBroker } from '../../../src/runtime/tools/callback-broker';
import { createToolRuntime } from '../../../src/runtime/tools/runtime';
import { CALLBACK_PATH } from '../../../src/runtime/tools/webhook-callback';
import { json, noSecrets, okEnvelope, recordingSleep, toolServer, serverPool } from './helpers';

const serve = serverPool();

/** Stands in for the server route documented in docs/tools.md, mapping outcomes to statuses. */
function callbackRoute(broker: CallbackBroker) {
  const codes = { accepted: 202, unknown: 404, forbidden: 401, invalid: 400 } as const;
  return serve((req) => {
    const url = new URL(req.path, 'http://x');
    if (req.method !== 'POST' || url.pathname !== CALLBACK_PATH) return new Response('no route', { status: 404 });
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const outcome = broker.deliver(url.searchParams.get('request_id') ?? '', token, req.json);
    return json({ outcome }, codes[outcome]);
  });
}

const hook = (endpoint: string, timeout = '5s') => ({ name: 'slow-job', namespace: 'default', spec: { type: 'webhook-callback', endpoint, runtime: { timeout } } });

describe('webhook-callback tools', () => {
  test('a 200 reply carries the response at once', async () => {
    const srv = serve((req) => json(okEnvelope(req.json.request_id, { result: 'now' })));
    const res = await createToolRuntime().invoke(hook(srv.url), { requestId: 'r1' }, { secrets: noSecrets });
    expect([res.status, res.text]).toEqual(['ok', 'now']);
    expect(srv.received[0].json.callback_url).toBeUndefined();
  });

  test('a 202 reply is completed by the callback with the right token', async () => {
    const broker = new CallbackBroker();
    const route = callbackRoute(broker);
    const callbackStatuses: number[] = [];
    const tool = serve((req) => {
      const { callback_url, callback_token, request_id } = req.json;
      // The tool finishes the job after answering 202: first a forged token, then the real one.
      queueMicrotask(async () => {
        const post = (token: string) =>
          fetch(callback_url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(okEnvelope(request_id, { result: 'done later' })) });
        callbackStatuses.push((await post('forged')).status);
        callbackStatuses.push((await post(callback_token)).status);
        callbackStatuses.push((await post(callback_token)).status);
      });
      return json({ accepted: true }, 202);
    });
    const rt = createToolRuntime({ callbacks: { broker, callbackBaseUrl: route.url, pollIntervalMs: 0 } });
    const res = await rt.invoke(hook(tool.url), { requestId: 'default/agent/s001/slow-job' }, { secrets: noSecrets });
    expect([res.status, res.output, res.attempts]).toEqual(['ok', { result: 'done later' }, 1]);
    const sent = tool.received[0].json;
    expect(sent.callback_url).toBe(`${route.url}${CALLBACK_PATH}?request_id=default%2Fagent%2Fs001%2Fslow-job`);
    expect(sent.callback_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Wait for the tool's third callback (a replay), which must find nothing to deliver to.
    while (callbackStatuses.length < 3) await new Promise((r) => setImmediate(r));
    expect(callbackStatuses).toEqual([401, 202, 404]);
    expect(broker.pending).toBe(0);
  });

  test('a callback carrying an error envelope becomes the tool error', async () => {
    const broker = new CallbackBroker();
    const route = callbackRoute(broker);
    const tool = serve((req) => {
      queueMicrotask(() =>
        fetch(req.json.callback_url, {
          method: 'POST',
          headers: { authorization: `Bearer ${req.json.callback_token}` },
          body: JSON.stringify({ status: 'error', error: { code: 'execution_failed', reason: 'tool_backend_failure', retryable: false, message: 'job crashed' } }),
        }),
      );
      return new Response(null, { status: 202 });
    });
    const rt = createToolRuntime({ callbacks: { broker, callbackBaseUrl: route.url, pollIntervalMs: 0 } });
    const res = await rt.invoke(hook(tool.url), { requestId: 'r2' }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.retryable, res.error?.message]).toEqual(['execution_failed', false, 'job crashed']);
  });

  test('a 202 reply is completed by polling GET {endpoint}/{request_id}', async () => {
    const srv = serve((req, n) => {
      if (req.method === 'POST') return new Response(null, { status: 202 });
      return n === 2 ? new Response(null, { status: 202 }) : json(okEnvelope('job 7', { result: 'polled' }));
    });
    const { waits, sleep } = recordingSleep();
    const res = await createToolRuntime({ sleep }).invoke(hook(srv.url + '/jobs/'), { requestId: 'job 7' }, { secrets: noSecrets });
    expect([res.status, res.text]).toEqual(['ok', 'polled']);
    expect(srv.received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /jobs/', 'GET /jobs/job%207', 'GET /jobs/job%207']);
    expect(waits).toEqual([2000, 2000]);
  });

  test('no callback within the timeout is a retryable timeout, and the wait is cleared', async () => {
    const broker = new CallbackBroker();
    const tool = serve(() => new Response(null, { status: 202 }));
    const rt = createToolRuntime({ callbacks: { broker, callbackBaseUrl: 'http://127.0.0.1:1', pollIntervalMs: 0 } });
    const res = await rt.invoke(hook(tool.url, '150ms'), { requestId: 'r3' }, { secrets: noSecrets });
    expect([res.error?.code, res.error?.reason, res.error?.retryable]).toEqual(['timeout', 'tool_execution_timeout', true]);
    expect(broker.pending).toBe(0);
    expect(broker.deliver('r3', 'any', {})).toBe('unknown');
  });

  test('broker: unknown ids, wrong tokens and non-object bodies are refused', async () => {
    const broker = new CallbackBroker();
    const wait = broker.expect('x', 60_000);
    expect(broker.deliver('y', wait.token, {})).toBe('unknown');
    expect(broker.deliver('x', wait.token.slice(1), {})).toBe('forbidden');
    expect(broker.deliver('x', wait.token, 'text')).toBe('invalid');
    expect(broker.deliver('x', wait.token, { status: 'ok' })).toBe('accepted');
    expect(await wait.result).toEqual({ status: 'ok' });
  });
});
