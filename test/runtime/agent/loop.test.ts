// The agent loop end to end against a fake OpenAI server and the mock provider: the whole result of
// a plain answer, the conversation on the wire, input rendering, max_steps, tokens and budgets.
import { describe, expect, test } from 'bun:test';
import { runAgent, renderInput } from '../../../src/runtime/agent';
import { openaiAnswer } from '../models/fake-model-server';
import { agentInput, endpoints, KEY, rows, RUN, servers, T0, types } from './helpers';

const srv = servers();

describe('plain answer', () => {
  test('openai: one call, whole result and trace, conversation with system prompt and one user message', async () => {
    const model = srv.model().script({ json: openaiAnswer('Leases expire after 30s.') });
    const result = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], input: { topic: 'leases', audience: 'ops' } }));
    expect(result).toEqual({
      output: 'Leases expire after 30s.',
      steps: 1,
      toolCalls: 0,
      tokens: { input: 11, output: 7, total: 18, source: 'provider' },
      trace: expect.any(Array),
      durationMs: 0,
    });
    expect(rows(result)).toEqual([
      { type: 'agent_start', model: 'gpt-test', message: 'max_steps=10' },
      { type: 'model_call', step: 1, model: 'gpt-test', tokens: 18, input_tokens: 11, output_tokens: 7, token_usage_source: 'provider', latency_ms: 0, message: 'Leases expire after 30s.' },
      { type: 'agent_worker_complete', step: 1, message: 'completed' },
      { type: 'agent_end', step: 1, tool_calls: 0, tokens: 18, input_tokens: 11, output_tokens: 7, token_usage_source: 'provider', latency_ms: 0, message: 'completed' },
    ]);
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0].headers['idempotency-key']).toBe(`${RUN}/s01`);
    expect(model.requests[0].body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are a careful writer.' },
        { role: 'user', content: '## Task input\naudience: ops\ntopic: leases' },
      ],
    });
  });

  test('mock provider: no prompt means no system message; estimated tokens', async () => {
    const result = await runAgent(agentInput({ endpoints: [endpoints.mock()], spec: { model_ref: 'm' } }));
    expect(result.output).toBe('[mock:mock-1] re: "## Task input topic: leases"');
    expect(result.error).toBeUndefined();
    expect(result.tokens).toEqual({ input: 7, output: 12, total: 19, source: 'estimated' });
    expect(types(result)).toEqual(['agent_start', 'model_call', 'agent_worker_complete', 'agent_end']);
    expect(result.trace[1].token_usage_source).toBe('estimated');
  });

  test('the user message is not repeated: step 2 sends the same opening plus the exchange', async () => {
    const model = srv.model().script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }] }) },
      { json: openaiAnswer('done') },
    );
    const tools = srv.tool(() => Response.json({ tool_contract_version: 'v1', status: 'ok', output: { result: 'found' } }));
    const result = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], tools: [{ name: 'lookup', spec: { type: 'external', endpoint: tools.url } }] }),
    );
    expect(result.output).toBe('done');
    expect(model.requests[1].body.messages).toEqual([
      { role: 'system', content: 'You are a careful writer.' },
      { role: 'user', content: '## Task input\ntopic: leases' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '<tool_result>found</tool_result>' },
    ]);
  });
});

describe('input rendering', () => {
  test('task input, upstream message, review feedback; routing keys are not shown', () => {
    const text = renderInput({
      topic: 'leases',
      notes: 'line one\nline two',
      empty: '',
      'inbox.from': 'planner',
      'inbox.to': 'writer',
      'inbox.content': 'Outline: intro, body',
      'inbox.message_id': 'm-1',
      previous_agent: 'planner',
      'review.feedback': 'Too long.',
      'review.previous_output': 'A long draft',
      'review.cycle': '2',
      'review.requested_by': 'alice',
    });
    expect(text).toBe(
      [
        '## Task input',
        'notes:',
        '  line one',
        '  line two',
        'topic: leases',
        '',
        '## Message from planner',
        'Outline: intro, body',
        '',
        '## Changes requested by a reviewer (cycle 2, from alice)',
        '',
        'Too long.',
        '',
        '### Your previous output',
        'A long draft',
      ].join('\n'),
    );
  });

  test('a kickoff that restates the task input is not shown twice; one that says more is', () => {
    expect(renderInput({ topic: 'tides', 'inbox.from': 'system', 'inbox.content': 'tides' })).toBe('## Task input\ntopic: tides');
    expect(renderInput({ a: '1', b: '2', 'inbox.from': 'system', 'inbox.content': 'a: 1\nb: 2' })).toBe('## Task input\na: 1\nb: 2');
    expect(renderInput({ topic: 'tides', 'inbox.from': 'system', 'inbox.content': 'task=t attempt=2' })).toBe('## Task input\ntopic: tides\n\n## Message from system\ntask=t attempt=2');
  });

  test('join payloads are split per source (payloads may contain " | "); the inbox message is not repeated', () => {
    const text = renderInput({
      'inbox.from': 'reviewer',
      'inbox.content': 'ok | fine',
      'inbox.join.enabled': 'true',
      'inbox.join.mode': 'wait_for_all',
      'inbox.join.received': '2',
      'inbox.join.required': '2',
      'inbox.join.sources': 'researcher,reviewer',
      'inbox.join.payloads': 'researcher:facts a | b | reviewer:ok | fine',
    });
    expect(text).toBe(
      [
        '## Joined results from researcher, reviewer (wait_for_all, 2 of 2 received)',
        '',
        '### From researcher',
        'facts a | b',
        '',
        '### From reviewer',
        'ok | fine',
      ].join('\n'),
    );
  });

  test('delegation payloads; unparsable payloads are shown raw; nothing at all gives a neutral line', () => {
    expect(
      renderInput({ 'inbox.delegation.enabled': 'true', 'inbox.delegation.mode': 'quorum', 'inbox.delegation.sources': 'a', 'inbox.delegation.payloads': 'b:unknown source' }),
    ).toBe('## Delegation results from a (quorum)\nb:unknown source');
    expect(renderInput({ 'inbox.join.enabled': 'false', 'inbox.join.payloads': 'x:y' })).toBe('No input was given. Follow your instructions.');
  });
});

describe('limits and tokens', () => {
  test('max_steps reached with text is success ("max steps reached")', async () => {
    const model = srv.model().script(
      { json: openaiAnswer('Looking.', { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"1"}' }] }) },
      { json: openaiAnswer('Still looking.', { toolCalls: [{ id: 'c2', name: 'fetch', arguments: '{"q":"2"}' }] }) },
    );
    const tools = srv.tool((req) => Response.json({ status: 'ok', request_id: req.json.request_id, output: { result: `r${req.json.input.q}` } }));
    const result = await runAgent(
      agentInput({
        endpoints: [endpoints.openai(model)],
        spec: { model_ref: 'gpt', limits: { max_steps: 2 } },
        tools: ['lookup', 'fetch'].map((name) => ({ name, spec: { type: 'external', endpoint: tools.url } })),
      }),
    );
    expect(result.error).toBeUndefined();
    expect([result.output, result.steps, result.toolCalls]).toEqual(['Still looking.', 2, 2]);
    expect(result.trace.at(-2)).toEqual({ timestamp: T0, type: 'agent_worker_complete', agent: 'writer', step: 2, message: 'max steps reached' });
    expect(tools.received.map((r) => r.json.request_id)).toEqual([`${RUN}/s01/lookup/1`, `${RUN}/s02/fetch/1`]);
    // lookup succeeded at step 1, so under short_circuit step 2 offers only fetch.
    expect(model.requests.map((r) => r.body.tools.map((t: any) => t.function.name))).toEqual([['lookup', 'fetch'], ['fetch']]);
  });

  test('token budget: the call that overruns is recorded, then the run stops non-retryably', async () => {
    const model = srv.model().script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) },
      { json: openaiAnswer('never used') },
    );
    const tools = srv.tool(() => Response.json({ status: 'ok', output: { result: 'r' } }));
    const result = await runAgent(
      agentInput({ endpoints: [endpoints.openai(model)], tools: [{ name: 'lookup', spec: { type: 'external', endpoint: tools.url } }], tokenBudget: 10 }),
    );
    expect(result.error).toEqual({ code: 'token_budget_exceeded', reason: 'token_budget_exceeded', retryable: false, message: 'token budget exceeded: used 18 of 10' });
    expect(result.output).toBe('');
    expect(types(result)).toEqual(['agent_start', 'model_call', 'agent_end']);
    expect(result.trace.at(-1)).toEqual({
      timestamp: T0,
      type: 'agent_end',
      agent: 'writer',
      step: 1,
      tool_calls: 0,
      tokens: 18,
      input_tokens: 11,
      output_tokens: 7,
      token_usage_source: 'provider',
      latency_ms: 0,
      error_code: 'token_budget_exceeded',
      error_reason: 'token_budget_exceeded',
      retryable: false,
      message: 'token budget exceeded: used 18 of 10',
    });
    expect([model.requests.length, tools.received.length]).toEqual([1, 0]);
  });

  test('provider and estimated usage in one run: totals are mixed', async () => {
    const model = srv.model().script(
      { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }) },
      { json: openaiAnswer('abcdefgh', { usage: false }) },
    );
    const tools = srv.tool(() => Response.json({ status: 'ok', output: { result: 'r' } }));
    const result = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [{ name: 'lookup', spec: { type: 'external', endpoint: tools.url } }] }));
    expect(result.output).toBe('abcdefgh');
    expect(result.trace.filter((r) => r.type === 'model_call').map((r) => [r.token_usage_source, r.output_tokens])).toEqual([
      ['provider', 7],
      ['estimated', 2],
    ]);
    expect(result.tokens.source).toBe('mixed');
    expect(JSON.stringify(result)).not.toContain(KEY);
  });
});
