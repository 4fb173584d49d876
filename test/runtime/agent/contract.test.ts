// The contract execution profile: ordered tool_sequence, required output markers, reminders, the
// end-of-steps rules, and on_contract_violation observe vs non_retryable_error.
import { expect, test } from 'bun:test';
import { runAgent } from '../../../src/runtime/agent';
import { openaiAnswer, type FakeServer, type Reply } from '../models/fake-model-server';
import { agentInput, echoHandler, endpoints, rows, servers, tool, types } from './helpers';

const srv = servers();

const call = (id: string, name: string, args = '{}', text: string | null = null): Reply => ({ json: openaiAnswer(text, { toolCalls: [{ id, name, arguments: args }] }) });
const say = (text: string): Reply => ({ json: openaiAnswer(text) });

function setup(execution: Record<string, unknown>, ...replies: Reply[]) {
  const model: FakeServer = srv.model().script(...replies);
  const tools = srv.tool(echoHandler((_input, n) => `result ${n}`));
  const input = agentInput({
    endpoints: [endpoints.openai(model)],
    spec: { model_ref: 'gpt', limits: { max_steps: 4 }, execution: { profile: 'contract', tool_sequence: ['search', 'summarize'], ...execution } },
    tools: ['search', 'summarize', 'translate'].map((name) => tool(name, tools.url)),
  });
  return { model, tools, input };
}

test('sequence in order and markers present: completes with "contract satisfied"', async () => {
  const { input, tools } = setup({ required_output_markers: ['SOURCES'] }, call('c1', 'search'), call('c2', 'summarize'), say('Summary. Sources: [1]'));
  const res = await runAgent(input);
  expect([res.output, res.steps, res.toolCalls, res.error]).toEqual(['Summary. Sources: [1]', 3, 2, undefined]);
  expect(tools.received.map((r) => r.json.tool.name)).toEqual(['search', 'summarize']);
  expect(res.trace.at(-2)?.message).toBe('contract satisfied');
});

test('a sequence tool called ahead of its turn is a non-retryable contract violation', async () => {
  const { input, tools } = setup({}, call('c1', 'summarize'));
  const res = await runAgent(input);
  expect(res.error).toEqual({
    code: 'contract_violation',
    reason: 'agent_contract_violation',
    retryable: false,
    message: 'contract violation: tool summarize called out of order: search must come first',
  });
  expect(tools.received).toHaveLength(0);
  expect(types(res)).toEqual(['agent_start', 'model_call', 'agent_contract_violation', 'agent_end']);
});

test('a tool outside the sequence is a violation', async () => {
  const { input } = setup({}, call('c1', 'translate'));
  const res = await runAgent(input);
  expect(res.error?.message).toBe('contract violation: tool translate is not in execution.tool_sequence (search, summarize)');
});

test('observe: the violation is traced, the call still runs, and the run completes', async () => {
  const { input, tools } = setup({ on_contract_violation: 'observe' }, call('c1', 'translate'), call('c2', 'search'), call('c3', 'summarize'), say('All done.'));
  const res = await runAgent(input);
  expect([res.output, res.error, res.toolCalls]).toEqual(['All done.', undefined, 3]);
  expect(tools.received.map((r) => r.json.tool.name)).toEqual(['translate', 'search', 'summarize']);
  expect(rows(res)[2]).toEqual({
    type: 'agent_contract_violation',
    step: 1,
    tool: 'translate',
    error_code: 'runtime_policy_invalid',
    error_reason: 'agent_contract_violation',
    retryable: false,
    message: 'tool translate is not in execution.tool_sequence (search, summarize)',
  });
});

test('an answer before the sequence is done gets a reminder naming the next tool, then the run goes on', async () => {
  const { input, model } = setup({ required_output_markers: ['done'] }, say('Here is my guess.'), call('c1', 'search'), call('c2', 'summarize'), say('DONE: summary'));
  const res = await runAgent(input);
  expect([res.output, res.steps]).toEqual(['DONE: summary', 4]);
  expect(model.requests[1].body.messages.slice(1)).toEqual([
    { role: 'assistant', content: 'Here is my guess.' },
    {
      role: 'user',
      content: 'You have not finished the required tool sequence. Call search next (remaining, in order: search, summarize).\nYour final answer must contain: done.',
    },
  ]);
});

test('steps run out with sequence tools left: violation, or with observe a traced violation and success', async () => {
  const strict = setup({}, call('c1', 'search', '{}', 'Searching.'), say('a'), say('b'), say('c'));
  const failed = await runAgent(strict.input);
  expect(failed.error).toEqual({
    code: 'contract_violation',
    reason: 'agent_contract_violation',
    retryable: false,
    message: 'contract violation: run ended before the required tools were called: summarize',
  });
  expect(failed.steps).toBe(4);

  const observed = setup({ on_contract_violation: 'observe' }, call('c1', 'search', '{}', 'Searching.'), say('a'), say('b'), say('c'));
  const res = await runAgent(observed.input);
  expect([res.output, res.error]).toEqual(['c', undefined]);
  expect(types(res).slice(-3)).toEqual(['agent_contract_violation', 'agent_worker_complete', 'agent_end']);
  expect(res.trace.at(-2)?.message).toBe('max steps reached');
});

test('only markers missing when steps run out: a warning row and success with the last text', async () => {
  const { input } = setup({ tool_sequence: ['search'], required_output_markers: ['VERDICT', 'sources'] }, call('c1', 'search'), say('no marker'), say('Sources: x'), say('still Sources: x'));
  const res = await runAgent(input);
  expect([res.output, res.error, res.steps]).toEqual(['still Sources: x', undefined, 4]);
  expect(rows(res).slice(-3)).toEqual([
    { type: 'agent_contract_warning', step: 4, message: 'required output markers missing: VERDICT' },
    { type: 'agent_worker_complete', step: 4, message: 'max steps reached' },
    expect.objectContaining({ type: 'agent_end', message: 'completed' }),
  ]);
});

test('once the sequence is done, an answer with the markers completes even if it also asks for a tool', async () => {
  const { input, tools } = setup({ tool_sequence: ['search'], required_output_markers: ['final'] }, call('c1', 'search'), call('c2', 'translate', '{}', 'FINAL answer'));
  const res = await runAgent(input);
  expect([res.output, res.steps, res.error, tools.received.length]).toEqual(['FINAL answer', 2, undefined, 1]);
});
