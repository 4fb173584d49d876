// API keys never reach anything the engine records: not the task status (trace, messages,
// output, lastError), not the task and agent logs, not the event stream.
import { afterEach, expect, test } from 'bun:test';
import { agentSpec, fakeModel, startHarness, type Harness } from './harness';

let h: Harness | undefined;
let model: ReturnType<typeof fakeModel> | undefined;
afterEach(async () => {
  await h?.close();
  await model?.stop();
});

const KEY = 'sk-live-ORRERY-TEST-KEY-0123456789';

test('a key echoed back by the provider is redacted everywhere', async () => {
  // First call: the provider "helpfully" repeats the key in its answer; second: in a 401 error.
  model = fakeModel((c) => (c.agent === 'a' ? `your key is ${c.body && KEY}` : { status: 401, json: { error: { message: `invalid key ${KEY} (Authorization: Bearer ${KEY})` } } }));
  h = await startHarness({}, {});
  await h.apply('Secret', 'llm-key', { stringData: { value: KEY } });
  await h.apply('ModelEndpoint', 'fake', { provider: 'openai', base_url: model.url, default_model: 'gpt-x', auth: { secretRef: 'llm-key' } });
  for (const a of ['a', 'b']) await h.apply('Agent', a, agentSpec(a, 'fake'));
  await h.apply('AgentSystem', 'sys', { agents: ['a', 'b'], graph: { a: { next: 'b' } } });
  await h.apply('Task', 't', { system: 'sys' });
  const t = await h.settled('t');
  expect(t.status!.phase).toBe('Failed');
  // The key did go out, to the provider, as the bearer credential.
  expect(model.calls[0].key).toBeTruthy();
  await h.published('task.failed');
  const recorded: Record<string, string> = {
    status: JSON.stringify(t),
    taskLogs: (await h.logs.read('Task', 'default', 't')).join('\n'),
    agentLogs: [...(await h.logs.read('Agent', 'default', 'a')), ...(await h.logs.read('Agent', 'default', 'b'))].join('\n'),
    events: JSON.stringify(await h.r.core.eventLog.readAfter(0, await h.r.core.eventLog.lastId(), 10_000)),
  };
  const leaks = Object.entries(recorded).filter(([, text]) => text.includes('0123456789')).map(([where]) => where);
  expect(leaks).toEqual([]);
  expect(t.status!.messages[1].content).toBe('your key is [REDACTED]');
  expect(t.status!.lastError).toContain('invalid key');
});
