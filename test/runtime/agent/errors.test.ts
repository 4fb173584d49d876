// Failures around the loop: deadline and cancellation, non-retryable vs retryable model errors,
// fallback endpoints, runs where no model call succeeds, secret redaction and the trace row cap.
import { describe, expect, test } from 'bun:test';
import { runAgent, MAX_TRACE_ROWS } from '../../../src/runtime/agent';
import { openaiAnswer } from '../models/fake-model-server';
import { agentInput, echoHandler, endpoints, KEY, memoryJournal, rows, RUN, servers, tool, types } from './helpers';

const srv = servers();

describe('deadline and cancellation', () => {
  test('limits.timeout while the model is slow: timeout, retryable', async () => {
    const model = srv.model().script('hang');
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', limits: { timeout: '200ms' } } }));
    expect(res.error).toEqual({ code: 'timeout', reason: 'deadline_exceeded', retryable: true, message: 'agent run timed out after 200ms (limits.timeout)' });
    expect([res.output, res.steps]).toEqual(['', 1]);
    expect(types(res)).toEqual(['agent_start', 'agent_end']);
  });

  test('limits.timeout while a tool is slow: timeout, and the aborted tool call is not journaled', async () => {
    const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'slow', arguments: '{}' }] }) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tools = srv.tool(async () => {
      await held;
      return Response.json({ status: 'ok', output: { result: 'late' } });
    });
    const journal = memoryJournal();
    const res = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], journal, tools: [tool('slow', tools.url)], spec: { model_ref: 'gpt', limits: { timeout: '200ms' } } }),
    );
    release();
    expect([res.error?.code, res.error?.retryable]).toEqual(['timeout', true]);
    expect(journal.keys()).toEqual([`${RUN}/s01/model`]);
  });

  test('the task signal aborted mid-call: cancelled, not retryable, no further request', async () => {
    const model = srv.model().script('hang');
    const controller = new AbortController();
    const pending = runAgent(agentInput({ endpoints: [endpoints.openai(model)], signal: controller.signal }));
    await model.received(1);
    controller.abort();
    const res = await pending;
    expect(res.error).toEqual({ code: 'cancelled', reason: 'task_cancelled', retryable: false, message: 'agent run cancelled' });
    expect(model.requests).toHaveLength(1);
  });

  test('a signal aborted before the start makes no request at all', async () => {
    const model = srv.model();
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], signal: AbortSignal.abort() }));
    expect([res.error?.code, res.steps, model.requests.length]).toEqual(['cancelled', 0, 0]);
  });
});

describe('model errors', () => {
  test('a 400 ends the run at once with the structured provider error', async () => {
    const model = srv.model().script({ status: 400, json: { error: { message: 'messages: bad shape' } } }, { json: openaiAnswer('unused') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)] }));
    expect(res.error).toEqual({ code: 'model_error', reason: 'bad_request', retryable: false, message: 'model execution failed: openai: model request failed status=400: messages: bad shape' });
    expect(rows(res)).toEqual([
      { type: 'agent_start', model: 'gpt-test', message: 'max_steps=10' },
      { type: 'model_error', step: 1, model: 'gpt-test', error_code: 'bad_request', retryable: false, message: 'openai: model request failed status=400: messages: bad shape' },
      {
        type: 'agent_end',
        step: 1,
        tool_calls: 0,
        tokens: 0,
        input_tokens: 0,
        output_tokens: 0,
        token_usage_source: 'estimated',
        latency_ms: 0,
        error_code: 'model_error',
        error_reason: 'bad_request',
        retryable: false,
        message: 'model execution failed: openai: model request failed status=400: messages: bad shape',
      },
    ]);
    expect(model.requests).toHaveLength(1);
  });

  test('a 429 is traced and the next step tries again (no messages added for the failed step)', async () => {
    const model = srv.model().script({ status: 429, json: { error: { message: 'slow down' } } }, { json: openaiAnswer('Now it works.') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)] }));
    expect([res.output, res.steps, res.error]).toEqual(['Now it works.', 2, undefined]);
    expect(types(res)).toEqual(['agent_start', 'model_error', 'model_call', 'agent_worker_complete', 'agent_end']);
    expect([res.trace[1].error_code, res.trace[1].retryable]).toEqual(['rate_limited', true]);
    expect(model.requests.map((r) => r.headers['idempotency-key'])).toEqual([`${RUN}/s01`, `${RUN}/s02`]);
    expect(model.requests[1].body.messages).toEqual(model.requests[0].body.messages);
  });

  test('no model call succeeds in the whole run: model_error with the last code and retryability', async () => {
    const model = srv.model().script({ status: 500, json: { error: { message: 'one' } } }, { status: 503, json: { error: { message: 'two' } } });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', limits: { max_steps: 2 } } }));
    expect(res.error).toEqual({ code: 'model_error', reason: 'server_error', retryable: true, message: 'model execution failed: openai: model request failed status=503: two' });
  });

  test('steps that run out on a retryable failure after earlier progress: retryable model_error, not the half-way text', async () => {
    const model = srv.model().script(
      { json: openaiAnswer('Let me look that up.', { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) },
      { status: 429, json: { error: { message: 'slow down' } } },
    );
    const tools = srv.tool(echoHandler(() => 'found it'));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)], spec: { model_ref: 'gpt', limits: { max_steps: 2 } } }));
    expect(res.error).toEqual({ code: 'model_error', reason: 'rate_limited', retryable: true, message: 'model execution failed: openai: model request failed status=429: slow down' });
    expect(res.output).toBe('');
  });

  test('a 500 on the primary endpoint falls back within the step; the row notes it; both see the same key', async () => {
    const primary = srv.model().script({ status: 500, json: { error: { message: 'down' } } });
    const secondary = srv.model().script({ json: openaiAnswer('From the fallback.', { model: 'gpt-backup' }) });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(primary, 'default/primary'), { ...endpoints.openai(secondary, 'default/backup'), default_model: 'gpt-backup' }] }));
    expect([res.output, res.steps, res.error]).toEqual(['From the fallback.', 1, undefined]);
    expect(rows(res).slice(1, 3)).toEqual([
      {
        type: 'model_fallback',
        step: 1,
        error_code: 'server_error',
        retryable: true,
        message: 'endpoint default/primary failed, trying the next one: openai: model request failed status=500: down',
      },
      { type: 'model_call', step: 1, model: 'gpt-backup', tokens: 18, input_tokens: 11, output_tokens: 7, token_usage_source: 'provider', latency_ms: 0, message: 'From the fallback.' },
    ]);
    expect([...primary.requests, ...secondary.requests].map((r) => r.headers['idempotency-key'])).toEqual([`${RUN}/s01`, `${RUN}/s01`]);
  });
});

describe('redaction and trace cap', () => {
  test('a provider error echoing the API key never shows it', async () => {
    const model = srv.model().script({ status: 401, json: { error: { message: `bad key ${KEY}` } } });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)] }));
    expect(res.error?.message).toBe('model execution failed: openai: model request failed status=401: bad key [REDACTED]');
    expect(JSON.stringify(res)).not.toContain(KEY);
  });

  test('model text and tool errors holding credentials are redacted in the trace', async () => {
    const model = srv.model().script(
      { json: openaiAnswer(`Use Authorization: Bearer abc.def.ghi and ${KEY}`, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) },
      { json: openaiAnswer('done') },
    );
    const tools = srv.tool(() => Response.json({ status: 'error', error: { code: 'execution_failed', message: 'upstream said password=hunter22' } }));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    const text = JSON.stringify(res.trace);
    for (const secret of [KEY, 'abc.def.ghi', 'hunter22']) expect(text).not.toContain(secret);
    expect(res.trace[1].message).toBe('Use Authorization: [REDACTED] [REDACTED] and [REDACTED]\ntool_calls=lookup');
  });

  test(`at most ${MAX_TRACE_ROWS} rows per run, agent_end kept last with the number dropped`, async () => {
    const calls = Array.from({ length: 400 }, (_, i) => ({ id: `c${i}`, name: 'lookup', arguments: '{"q":"same"}' }));
    const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: calls }) }, { json: openaiAnswer('done') });
    const tools = srv.tool(echoHandler(() => 'r'));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect([res.output, res.toolCalls, tools.received.length, res.trace.length]).toEqual(['done', 400, 1, MAX_TRACE_ROWS]);
    expect([res.trace.at(-1)?.type, res.trace.at(-1)?.message]).toEqual(['agent_end', 'completed; 105 trace rows dropped (limit 300)']);
  });
});
