// Durability: completed model and tool calls are journaled under fixed keys; a run repeated with
// the same journal replays them (same output and trace, no new requests), and a cancelled run
// resumes where it stopped.
import { expect, test } from 'bun:test';
import { runAgent } from '../../../src/runtime/agent';
import { openaiAnswer } from '../models/fake-model-server';
import { agentInput, echoHandler, endpoints, memoryJournal, RUN, servers, T0, tool } from './helpers';

const srv = servers();
const later = { now: () => new Date('2025-03-01T11:00:00.000Z') };

test('replay: a second run on the same journal gives the same result without a single request', async () => {
  const journal = memoryJournal();
  const model = srv.model().script(
    { status: 429, json: { error: { message: 'busy' } } },
    { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"a"}' }] }) },
    { json: openaiAnswer('Answer from a.') },
  );
  const tools = srv.tool(echoHandler((input) => `found ${input.q}`));
  const first = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)], journal }));
  expect([first.output, first.steps, first.toolCalls]).toEqual(['Answer from a.', 3, 1]);
  // The failed step 1 is not recorded; steps 2 and 3 are.
  expect(journal.keys()).toEqual([`${RUN}/s02/model`, `${RUN}/s02/tool/1`, `${RUN}/s03/model`]);
  expect(JSON.parse(journal.entries.get(`${RUN}/s02/tool/1`)!)).toEqual({
    at: T0,
    result: {
      status: 'ok',
      text: 'found a',
      attempts: 1,
      latencyMs: 0,
      contractVersion: 'v1',
      requestId: `${RUN}/s02/lookup/1`,
      trace: { tool_contract_version: 'v1', tool_request_id: `${RUN}/s02/lookup/1`, tool_attempt: 1 },
    },
  });

  // Servers that would fail every request: nothing may reach them.
  const deadModel = srv.model();
  const deadTools = srv.tool(() => new Response('down', { status: 500 }));
  const second = await runAgent(
    agentInput({ endpoints: [endpoints.openai(deadModel)], tools: [tool('lookup', deadTools.url)], journal, clock: later }),
  );
  expect([deadModel.requests.length, deadTools.received.length]).toEqual([1, 0]);
  // Step 1 failed the first time and was not recorded, so it is asked again (and fails again, 599).
  expect(second.trace[1]).toEqual(expect.objectContaining({ type: 'model_error', step: 1, error_code: 'server_error' }));
  const withoutStep1 = (rows: typeof first.trace) => rows.filter((r) => r.step !== 1);
  expect(second.output).toBe(first.output);
  expect([second.steps, second.toolCalls, second.tokens]).toEqual([first.steps, first.toolCalls, first.tokens]);
  // Rows from journaled calls keep their recorded times; only agent_start/agent_end are new.
  expect(withoutStep1(second.trace).slice(1, -1)).toEqual(withoutStep1(first.trace).slice(1, -1));
  expect([second.trace[0].timestamp, second.trace.at(-1)?.timestamp]).toEqual(['2025-03-01T11:00:00.000Z', '2025-03-01T11:00:00.000Z']);
});

test('replay of a fully journaled run: zero requests and an identical result', async () => {
  const journal = memoryJournal();
  const model = srv.model().script(
    { json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"b"}' }] }) },
    { json: openaiAnswer('Answer from b.') },
  );
  const tools = srv.tool(echoHandler((input) => `found ${input.q}`));
  const first = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)], journal }));
  const deadModel = srv.model();
  const deadTools = srv.tool(() => new Response('down', { status: 500 }));
  const second = await runAgent(agentInput({ endpoints: [endpoints.openai(deadModel)], tools: [tool('lookup', deadTools.url)], journal }));
  expect(second).toEqual(first);
  expect([deadModel.requests.length, deadTools.received.length]).toEqual([0, 0]);
});

test('resume: a run cancelled during step 2 continues from there with the recorded step 1', async () => {
  const journal = memoryJournal();
  const model = srv.model().script({ json: openaiAnswer(null, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"c"}' }] }) }, 'hang');
  const tools = srv.tool(echoHandler((input) => `found ${input.q}`));
  const controller = new AbortController();
  const pending = runAgent(agentInput({ endpoints: [endpoints.openai(model)], tools: [tool('lookup', tools.url)], journal, signal: controller.signal }));
  await model.received(2);
  controller.abort();
  expect((await pending).error?.code).toBe('cancelled');
  expect(journal.keys()).toEqual([`${RUN}/s01/model`, `${RUN}/s01/tool/1`]);

  const resumed = srv.model().script({ json: openaiAnswer('Answer from c.') });
  const res = await runAgent(agentInput({ endpoints: [endpoints.openai(resumed)], tools: [tool('lookup', tools.url)], journal }));
  expect([res.output, res.steps, res.toolCalls, res.error]).toEqual(['Answer from c.', 2, 1, undefined]);
  expect(resumed.requests.map((r) => r.headers['idempotency-key'])).toEqual([`${RUN}/s02`]);
  expect(resumed.requests[0].body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: '<tool_result>found c</tool_result>' });
  expect(tools.received).toHaveLength(1);
});
