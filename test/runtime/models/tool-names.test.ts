// Tool-name aliasing: safe names kept, unsafe ones aliased deterministically and reversibly, and the
// gateway's round trip through a real provider wire.
import { afterEach, expect, test } from 'bun:test';
import { createModelGateway, createToolNameMap } from '../../../src/runtime/models';
import { openaiAnswer, startFakeServer, type FakeServer } from './fake-model-server';

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

test('safe names are unchanged; others become safe, distinct and reversible', () => {
  const names = ['search', 'memory.read', 'memory/read', 'memory_read', 'ns/tools/web.fetch', 'x'.repeat(100), 'é', '...'];
  const map = createToolNameMap(names);
  const aliases = names.map((n) => map.toAlias(n));
  expect(map.toAlias('search')).toBe('search');
  expect(map.toAlias('memory_read')).toBe('memory_read');
  for (const a of aliases) expect(a).toMatch(SAFE);
  expect(new Set(aliases).size).toBe(names.length);
  for (const n of names) expect(map.toName(map.toAlias(n))).toBe(n);
  expect(map.toAlias('memory.read')).toMatch(/^memory_read_[0-9a-f]{8}$/);
  expect(map.toAlias('é')).toMatch(/^tool_[0-9a-f]{8}$/);
  expect(map.toAlias('x'.repeat(100))).toHaveLength(64);
  expect(map.toName('not_a_known_alias')).toBe('not_a_known_alias');
});

test('deterministic: the same names in any order give the same aliases', () => {
  const a = createToolNameMap(['b.c', 'a.b', 'a_b']);
  const b = createToolNameMap(['a_b', 'a.b', 'b.c']);
  for (const n of ['b.c', 'a.b', 'a_b']) expect(a.toAlias(n)).toBe(b.toAlias(n));
});

test('a safe name that happens to equal a generated alias forces a suffix instead of a clash', () => {
  const generated = createToolNameMap(['a.b']).toAlias('a.b');
  const map = createToolNameMap(['a.b', generated]);
  expect(map.toAlias(generated)).toBe(generated);
  expect(map.toAlias('a.b')).toBe(`${generated}_2`);
  expect(map.toName(`${generated}_2`)).toBe('a.b');
});

let server: FakeServer | undefined;
afterEach(() => server?.stop());

test('round trip through the gateway: aliases on the wire, original names back to the caller', async () => {
  server = startFakeServer();
  const alias = createToolNameMap(['web.search']).toAlias('web.search');
  server.script({ json: openaiAnswer(null, { toolCalls: [{ id: 'call_9', name: alias, arguments: '{"q":"bun"}' }] }) }, { json: openaiAnswer('done') });
  const gateway = createModelGateway();
  const endpoint = { provider: 'openai', base_url: `${server.url}/v1`, default_model: 'gpt', apiKey: 'k-123456' };
  const tools = [{ name: 'web.search', parameters: { type: 'object' } }];
  const first = await gateway.complete(endpoint, { messages: [{ role: 'user', content: 'find bun' }], tools });
  expect(first.toolCalls).toEqual([{ id: 'call_9', name: 'web.search', arguments: { q: 'bun' } }]);
  expect(server.requests[0].body.tools[0].function.name).toBe(alias);

  await gateway.complete(endpoint, {
    messages: [
      { role: 'user', content: 'find bun' },
      { role: 'assistant', content: '', tool_calls: first.toolCalls },
      { role: 'tool', tool_call_id: 'call_9', name: 'web.search', content: 'bun.sh' },
    ],
    tools,
  });
  expect(server.requests[1].body.messages[1].tool_calls[0].function.name).toBe(alias);
  expect(JSON.stringify(server.requests[1].body)).not.toContain('web.search');
});
