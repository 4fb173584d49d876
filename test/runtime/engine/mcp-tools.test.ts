// An agent calls a Tool generated from an MCP server: the controller discovers the stdio fixture's
// tools, the model asks for one, the engine calls it through its own session pool (as a worker
// process does), and the tool's text reaches the model and the task's answer.
import { afterEach, expect, test } from 'bun:test';
import { McpServerController } from '../../../src/controllers/mcp-servers';
import { silentLogger } from '../../../src/log';
import { createMcpSessions } from '../../../src/runtime/engine/mcp-sessions';
import type { McpSessions } from '../../../src/runtime/tools/mcp/sessions';
import { systemClock } from '../../../src/util/time';
import { FIXTURE_SCRIPT } from '../../fixtures/mcp/server';
import { agentSpec, fakeModel, startHarness, type Harness, type ModelCall } from './harness';

let current: { h: Harness; model: ReturnType<typeof fakeModel>; controller: McpServerController; sessions: McpSessions } | undefined;
afterEach(async () => {
  current?.controller.stop();
  await current?.sessions.close();
  await current?.h.close();
  await current?.model.stop();
  current = undefined;
});

const toolMessage = (call: ModelCall) => call.body.messages.find((m: any) => m.role === 'tool');

test('a generated MCP tool runs in a task and its text is in the trace and the answer', async () => {
  const model = fakeModel((call) => {
    const result = toolMessage(call);
    return result ? `the server said: ${result.content}` : { toolCalls: [{ name: 'fx--echo', arguments: { text: 'hello from the model' } }] };
  });
  const h = await startHarness();
  const sessions = createMcpSessions(h.r.registry, { egressPrivate: 'allow' }, silentLogger);
  const controller = new McpServerController({ registry: h.r.registry, events: h.r.core.events, clock: systemClock, sessions }, silentLogger);
  current = { h, model, controller, sessions };
  await h.r.registry.apply(h.r.kind('mcp-servers'), { metadata: { name: 'fx' }, spec: { transport: 'stdio', command: process.execPath, args: [FIXTURE_SCRIPT], env: [{ name: 'MCP_FIXTURE_TOOLS', value: 'echo,add' }] } }, {});
  await controller.start();
  await controller.idle();
  expect((await h.r.registry.getDecoded(h.r.kind('mcp-servers'), 'default', 'fx')).status?.generatedTools).toEqual(['fx--echo', 'fx--add']);

  await h.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
  await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['fx--echo'] }));
  await h.apply('AgentSystem', 'solo', { agents: ['a'] });
  await h.apply('Task', 't', { system: 'solo' });
  const t = await h.settled('t');
  expect(t.status?.phase).toBe('Succeeded');
  expect(t.status?.output.result).toBe('the server said: <tool_result>hello from the model</tool_result>');
  // The model was offered the tool with the MCP server's description and input schema.
  const offered = model.calls[0].body.tools.map((x: any) => x.function);
  expect(offered).toEqual([{ name: 'fx--echo', description: 'Echoes its text.', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }]);
  expect(toolMessage(model.calls[1]).content).toBe('<tool_result>hello from the model</tool_result>');
  const calls = (t.status?.trace as any[]).filter((r) => r.type === 'tool_call');
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ tool: 'fx--echo', message: 'success' });
});
