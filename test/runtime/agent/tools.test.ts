// Tool calls through the agent loop: the round trip on every provider wire, permission denials,
// tool errors fed back, duplicates (short_circuit / deny), stop_on_first_tool, calls written as
// text, and truncation of large tool output.
import { describe, expect, test } from 'bun:test';
import { runAgent } from '../../../src/runtime/agent';
import type { EndpointConfig } from '../../../src/runtime/models';
import { anthropicAnswer, ollamaAnswer, openaiAnswer, type FakeServer } from '../models/fake-model-server';
import { json } from '../tools/helpers';
import { agentInput, echoHandler, endpoints, rows, RUN, servers, tool, types } from './helpers';

const srv = servers();
const lookupSchema = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };

interface Wire {
  endpoint(s: FakeServer): EndpointConfig;
  script(s: FakeServer): void;
  /** The conversation of the second request, as the provider receives it. */
  second: unknown;
  /** Tool fields of the second request, once lookup has been withdrawn (short_circuit). */
  secondTools: Record<string, unknown>;
  model: string;
  usage: { tokens: number; input_tokens: number; output_tokens: number; token_usage_source: 'provider' | 'estimated' };
}

const result = '<tool_result>lease=30s (q=leases)</tool_result>';
const wires: Record<string, Wire> = {
  openai: {
    endpoint: endpoints.openai,
    script: (s) =>
      s.script({ json: openaiAnswer(null, { toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"leases"}' }] }) }, { json: openaiAnswer('Leases last 30s.') }),
    second: [
      { role: 'system', content: 'You are a careful writer.' },
      { role: 'user', content: '## Task input\ntopic: leases' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"leases"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: result },
    ],
    secondTools: {},
    model: 'gpt-test',
    usage: { tokens: 18, input_tokens: 11, output_tokens: 7, token_usage_source: 'provider' },
  },
  anthropic: {
    endpoint: endpoints.anthropic,
    script: (s) =>
      s.script(
        { json: anthropicAnswer([{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'leases' } }], { stop: 'tool_use' }) },
        { json: anthropicAnswer([{ type: 'text', text: 'Leases last 30s.' }]) },
      ),
    second: [
      { role: 'user', content: '## Task input\ntopic: leases' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'leases' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: result }] },
    ],
    // Anthropic rejects tool blocks without tool definitions: the used tool is declared but disabled.
    secondTools: { tools: [{ name: 'lookup', input_schema: { type: 'object' } }], tool_choice: { type: 'none' } },
    model: 'claude-test',
    usage: { tokens: 30, input_tokens: 25, output_tokens: 5, token_usage_source: 'provider' },
  },
  ollama: {
    endpoint: endpoints.ollama,
    script: (s) => s.script({ json: ollamaAnswer('', { toolCalls: [{ name: 'lookup', arguments: { q: 'leases' } }] }) }, { json: ollamaAnswer('Leases last 30s.') }),
    second: [
      { role: 'system', content: 'You are a careful writer.' },
      { role: 'user', content: '## Task input\ntopic: leases' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'leases' } } }] },
      { role: 'tool', content: result, tool_name: 'lookup' },
    ],
    secondTools: {},
    model: 'llama-test',
    usage: { tokens: 13, input_tokens: 9, output_tokens: 4, token_usage_source: 'provider' },
  },
};

describe('tool call round trip', () => {
  for (const [name, wire] of Object.entries(wires)) {
    test(`${name}: call, envelope, tool message on the wire, final answer, whole trace`, async () => {
      const model = srv.model();
      wire.script(model);
      const tools = srv.tool(echoHandler((input) => `lease=30s (q=${input.q})`));
      const res = await runAgent(agentInput({ endpoints: [wire.endpoint(model)], tools: [tool('lookup', tools.url, { input_schema: lookupSchema })] }));
      expect([res.output, res.steps, res.toolCalls, res.error]).toEqual(['Leases last 30s.', 2, 1, undefined]);
      expect(rows(res)).toEqual([
        { type: 'agent_start', model: wire.model, message: 'max_steps=10 tools=lookup' },
        { type: 'model_call', step: 1, model: wire.model, ...wire.usage, latency_ms: 0, message: 'tool_calls=lookup' },
        {
          type: 'tool_call',
          step: 1,
          tool: 'lookup',
          tool_contract_version: 'v1',
          tool_request_id: `${RUN}/s01/lookup/1`,
          tool_attempt: 1,
          latency_ms: 0,
          message: 'success',
        },
        { type: 'model_call', step: 2, model: wire.model, ...wire.usage, latency_ms: 0, message: 'Leases last 30s.' },
        { type: 'agent_worker_complete', step: 2, message: 'completed' },
        {
          type: 'agent_end',
          step: 2,
          tool_calls: 1,
          tokens: 2 * wire.usage.tokens,
          input_tokens: 2 * wire.usage.input_tokens,
          output_tokens: 2 * wire.usage.output_tokens,
          token_usage_source: 'provider',
          latency_ms: 0,
          message: 'completed',
        },
      ]);
      const envelope = tools.received[0].json;
      expect([envelope.request_id, envelope.task_id, envelope.namespace, envelope.agent, envelope.input, envelope.trace]).toEqual([
        `${RUN}/s01/lookup/1`,
        'default/task-1',
        'default',
        'writer',
        { q: 'leases' },
        { trace_id: 'trace-1', span_id: `${RUN}/s01/lookup/1` },
      ]);
      expect(model.requests.map((r) => r.headers['idempotency-key'])).toEqual([`${RUN}/s01`, `${RUN}/s02`]);
      expect(model.requests[1].body.messages).toEqual(wire.second);
      const { tools: sentTools, tool_choice } = model.requests[1].body;
      expect({ ...(sentTools ? { tools: sentTools } : {}), ...(tool_choice ? { tool_choice } : {}) }).toEqual(wire.secondTools);
    });
  }

  test('mock: calls the tool with the user text, answers with the result at step 2', async () => {
    const tools = srv.tool(echoHandler((input) => `seen ${input.q}`));
    const res = await runAgent(agentInput({ endpoints: [endpoints.mock()], tools: [tool('lookup', tools.url, { input_schema: lookupSchema })] }));
    expect(tools.received.map((r) => r.json.input)).toEqual([{ q: '## Task input\ntopic: leases' }]);
    expect([res.output, res.steps, res.toolCalls]).toEqual([
      '[mock:mock-1] re: "## Task input topic: leases" | system: "You are a careful writer." | tool lookup: "<tool_result>seen ## Task input topic: leases</tool_result>"',
      2,
      1,
    ]);
    expect(types(res)).toEqual(['agent_start', 'model_call', 'tool_call', 'model_call', 'agent_worker_complete', 'agent_end']);
  });
});

describe('permissions and errors', () => {
  test('a tool the agent does not have: permission_denied, nothing executed, run stops', async () => {
    const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'shell', arguments: '{"cmd":"ls"}' }] }) });
    const tools = srv.tool(echoHandler(() => 'x'));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect(res.error).toEqual({
      code: 'permission_denied',
      reason: 'tool_permission_denied',
      retryable: false,
      message: 'tool permission denied: agent=writer step=1 tool=shell: the agent has no tool named shell',
    });
    expect(rows(res)[2]).toEqual({
      type: 'tool_permission_denied',
      step: 1,
      tool: 'shell',
      error_code: 'permission_denied',
      error_reason: 'tool_permission_denied',
      retryable: false,
      message: 'the agent has no tool named shell',
    });
    expect([tools.received.length, model.requests.length, res.output]).toEqual([0, 1, '']);
  });

  test('a tool answering status denied stops the run as tool_permission_denied', async () => {
    const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) });
    const tools = srv.tool((req) =>
      json({ tool_contract_version: 'v1', request_id: req.json.request_id, status: 'denied', error: { code: 'permission_denied', message: 'policy says no' } }),
    );
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect([res.error?.code, res.error?.retryable]).toEqual(['permission_denied', false]);
    expect(types(res)).toEqual(['agent_start', 'model_call', 'tool_permission_denied', 'agent_end']);
    expect(res.trace[2].tool_request_id).toBe(`${RUN}/s01/lookup/1`);
  });

  test('a tool error is fed back as <tool_error>; the model retries with other input and succeeds', async () => {
    const model = srv.model().script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":""}' }] }) },
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c2', name: 'lookup', arguments: '{"q":"leases"}' }] }) },
      { json: openaiAnswer('Found it.') },
    );
    const tools = srv.tool((req) =>
      req.json.input.q
        ? json({ status: 'ok', output: { result: 'lease=30s' } })
        : json({ status: 'error', error: { code: 'invalid_input', message: 'q is empty' } }),
    );
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect([res.output, res.error, res.toolCalls]).toEqual(['Found it.', undefined, 1]);
    const errorText = 'tool "lookup" failed after 1 attempt(s): tool_status=error tool_code=invalid_input tool_reason=tool_invalid_input retryable=false message="q is empty"';
    expect(rows(res)[2]).toEqual({
      type: 'tool_error',
      step: 1,
      tool: 'lookup',
      tool_contract_version: 'v1',
      tool_request_id: `${RUN}/s01/lookup/1`,
      tool_attempt: 1,
      error_code: 'invalid_input',
      error_reason: 'tool_invalid_input',
      retryable: false,
      latency_ms: 0,
      message: errorText,
    });
    expect(model.requests[1].body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: `<tool_error>${errorText}</tool_error>` });
    // The failed tool is still offered at step 2 (only successes are withdrawn).
    expect(model.requests[1].body.tools.map((t: any) => t.function.name)).toEqual(['lookup']);
  });

  test('steps run out while a tool error is unresolved: the run fails with tool_error and its retryability', async () => {
    const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) });
    const tools = srv.tool(() => new Response('upstream down', { status: 503 }));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', limits: { max_steps: 1 } }, tools: [tool('lookup', tools.url)] }));
    expect(res.error).toEqual({
      code: 'tool_error',
      reason: 'tool_backend_failure',
      retryable: true,
      message: 'tool "lookup" failed after 1 attempt(s): tool_status=error tool_code=execution_failed tool_reason=tool_backend_failure retryable=true message="tool answered HTTP 503: upstream down" http_status=503',
    });
  });
});

describe('duplicates, stop_on_first_tool, text calls, truncation', () => {
  const twice = (model: FakeServer) =>
    model.script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"a","n":1}' }] }) },
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c2', name: 'lookup', arguments: '{"n":1,"q":"a"}' }] }) },
      { json: openaiAnswer('done') },
    );

  test('short_circuit: the same call again reuses the result without calling the tool', async () => {
    const model = srv.model();
    twice(model);
    const tools = srv.tool(echoHandler(() => 'cached result'));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect([res.output, res.toolCalls, tools.received.length]).toEqual(['done', 2, 1]);
    expect(rows(res)[4]).toEqual({ type: 'tool_call', step: 2, tool: 'lookup', tool_request_id: `${RUN}/s01/lookup/1`, message: 'short_circuit' });
    expect(model.requests[1].body.tools).toBeUndefined();
    expect(model.requests[2].body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c2', content: '<tool_result>cached result</tool_result>' });
  });

  test('deny: the second call of a tool is a contract violation', async () => {
    const model = srv.model();
    twice(model);
    const tools = srv.tool(echoHandler(() => 'r'));
    const res = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', execution: { duplicate_tool_call_policy: 'deny' } }, tools: [tool('lookup', tools.url)] }),
    );
    expect(res.error).toEqual({
      code: 'contract_violation',
      reason: 'agent_contract_violation',
      retryable: false,
      message: 'contract violation: duplicate call of tool lookup denied by duplicate_tool_call_policy=deny',
    });
    expect(rows(res)[4]).toEqual({
      type: 'agent_contract_violation',
      step: 2,
      tool: 'lookup',
      error_code: 'runtime_policy_invalid',
      error_reason: 'agent_contract_violation',
      retryable: false,
      message: 'duplicate call of tool lookup denied by duplicate_tool_call_policy=deny',
    });
    expect(model.requests[1].body.tools.map((t: any) => t.function.name)).toEqual(['lookup']);
    expect(tools.received).toHaveLength(1);
  });

  test('stop_on_first_tool: the first successful tool result is the output', async () => {
    const model = srv.model().script({
      json: openaiAnswer(null, {
        toolCalls: [
          { id: 'c1', name: 'lookup', arguments: '{"q":"a"}' },
          { id: 'c2', name: 'lookup', arguments: '{"q":"b"}' },
        ],
      }),
    });
    const tools = srv.tool(echoHandler((input) => `result ${input.q}`));
    const res = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], spec: { model_ref: 'gpt', execution: { tool_use_behavior: 'stop_on_first_tool' } }, tools: [tool('lookup', tools.url)] }),
    );
    expect([res.output, res.steps, res.toolCalls, model.requests.length, tools.received.length]).toEqual(['result a', 1, 1, 1, 1]);
    expect(res.trace.at(-2)?.message).toBe('stop_on_first_tool');
  });

  test('a call written as fenced JSON text is run and answered like a native one', async () => {
    const model = srv.model().script(
      { json: openaiAnswer('```json\n{"name": "lookup", "input": {"q": "leases"}}\n```', { usage: false }) },
      { json: openaiAnswer('Leases last 30s.') },
    );
    const tools = srv.tool(echoHandler((input) => `got ${input.q}`));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect([res.output, res.toolCalls]).toEqual(['Leases last 30s.', 1]);
    expect(model.requests[1].body.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: '```json\n{"name": "lookup", "input": {"q": "leases"}}\n```',
        tool_calls: [{ id: 'text_s01_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"leases"}' } }],
      },
      { role: 'tool', tool_call_id: 'text_s01_1', content: '<tool_result>got leases</tool_result>' },
    ]);
  });

  test('{"tool_calls": [...]} text with a plain-string input; tool output over 64 KiB is cut and marked', async () => {
    const model = srv.model().script(
      { json: openaiAnswer('{"tool_calls": [{"tool": "lookup", "arguments": "just text"}]}') },
      { json: openaiAnswer('ok') },
    );
    const tools = srv.tool(echoHandler(() => 'x'.repeat(70_000)));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)] }));
    expect(res.output).toBe('ok');
    expect(tools.received[0].json.input).toEqual({ input: 'just text' });
    expect(model.requests[1].body.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'text_s01_1',
      content: `<tool_result>${'x'.repeat(64 * 1024)}\n[output truncated]</tool_result>`,
    });
  });
});
