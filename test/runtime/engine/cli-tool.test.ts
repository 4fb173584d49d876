// A cli tool through the engine: the agent's tool call runs an allow-listed script on the host with
// the model's arguments as argv, and its output comes back to the model and into the answer; without
// the allow-list the model is told why the call was refused.
import { afterAll, afterEach, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_TOOL_TYPES } from '../../../src/runtime/tools/unsupported';
import { agentSpec, fakeModel, startHarness, type Harness, type ModelCall } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'orrery-cli-engine-'));
const greet = join(dir, 'greet.sh');
writeFileSync(greet, '#!/bin/sh\nprintf "hello, %s (%s args)" "$1" "$#"\n');
chmodSync(greet, 0o755);

const toolReply = (call: ModelCall) => call.body.messages.find((m: any) => m.role === 'tool')?.content as string | undefined;
const model = fakeModel((call) => {
  const reply = toolReply(call);
  return reply === undefined ? { toolCalls: [{ name: 'greet', arguments: { name: 'Ada; rm -rf ~' } }] } : `The tool said: ${reply}`;
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  model.calls.length = 0;
});
afterAll(async () => {
  await model.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function world(cliAllow: string[]): Promise<Harness> {
  h = await startHarness({ cliAllow });
  await h.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
  await h.apply('Tool', 'greet', {
    type: 'cli',
    description: 'Greets someone',
    cli: { command: greet, args: ['{{ .name }}'] },
    runtime: { isolation_mode: 'none', timeout: '20s' },
  });
  await h.apply('Agent', 'a', agentSpec('a', 'fake', { tools: ['greet'] }));
  await h.apply('AgentSystem', 'solo', { agents: ['a'] });
  await h.apply('Task', 't', { system: 'solo' });
  return h;
}

const toolCalls = (t: any) => (t.status.trace as any[]).filter((r) => r.type === 'tool_call');

test('the engine registers every supported tool type', async () => {
  const running = await startHarness();
  try {
    expect(running.engine.deps.tools.types()).toEqual(expect.arrayContaining([...SUPPORTED_TOOL_TYPES]));
  } finally {
    await running.close();
  }
});

test('an allow-listed cli tool runs and its output reaches the model and the answer', async () => {
  const t: any = await (await world([greet])).settled('t');
  expect(t.status.phase).toBe('Succeeded');
  expect(toolReply(model.calls[1])).toBe('<tool_result>hello, Ada; rm -rf ~ (1 args)</tool_result>');
  expect(t.status.output.result).toBe('The tool said: <tool_result>hello, Ada; rm -rf ~ (1 args)</tool_result>');
  expect(toolCalls(t)).toHaveLength(1);
  expect(toolCalls(t)[0]).toMatchObject({ tool: 'greet', tool_contract_version: 'v1', tool_attempt: 1 });
});

test('without --tool-cli-allow the call is refused, naming the flag, and the model is told', async () => {
  const t: any = await (await world([])).settled('t');
  expect(toolCalls(t)).toEqual([]);
  const [row] = (t.status.trace as any[]).filter((r) => r.type === 'tool_error');
  expect(row).toMatchObject({ tool: 'greet', error_code: 'runtime_policy_invalid', retryable: false, tool_attempt: 0 });
  expect(row.message).toContain('--tool-cli-allow is empty');
  expect(toolReply(model.calls[1])).toContain('--tool-cli-allow is empty');
});
