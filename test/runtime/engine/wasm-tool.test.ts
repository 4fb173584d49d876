// A wasm tool through the engine: a high-risk tool (sandboxed by default) runs the echo module in a
// worker thread, and what the module wrote reaches the model and the answer.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { buildFixtures } from '../../fixtures/wasm/build';
import { agentSpec, fakeModel, startHarness, type ModelCall } from './harness';

let fx: Awaited<ReturnType<typeof buildFixtures>>;
const toolReply = (call: ModelCall) => call.body.messages.find((m: any) => m.role === 'tool')?.content as string | undefined;
const model = fakeModel((call) => {
  const reply = toolReply(call);
  return reply === undefined ? { toolCalls: [{ name: 'echo', arguments: { text: 'hi' } }] } : `The tool said: ${reply}`;
});

beforeAll(async () => {
  fx = await buildFixtures();
});
afterAll(async () => {
  await model.stop();
  fx.remove();
});

test('a high-risk wasm tool runs in its sandbox and its output reaches the model', async () => {
  const h = await startHarness();
  try {
    await h.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
    await h.apply('Tool', 'echo', { type: 'wasm', risk_level: 'high', description: 'Echoes its request', wasm: { module: fx.path('echo'), max_memory_bytes: 1048576 } });
    await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['echo'] }));
    await h.apply('AgentSystem', 'solo', { agents: ['a'] });
    await h.apply('Task', 't', { system: 'solo' });
    const t: any = await h.settled('t');
    expect(t.status.phase).toBe('Succeeded');
    const reply = toolReply(model.calls[1])!;
    const echoed = JSON.parse(reply.replace(/^<tool_result>|<\/tool_result>$/g, ''));
    expect(echoed.request).toMatchObject({ contract_version: 'v1', namespace: 'default', tool: 'echo', input: { text: 'hi' }, risk_level: 'high' });
    expect(t.status.output.result).toBe(`The tool said: ${reply}`);
  } finally {
    await h.close();
  }
});
