// The built-in memory tools: chunking, each tool's input and result JSON, bad input and backend
// failures as tool errors, and through the agent loop on the OpenAI wire: offered only with a
// Memory and memory.allow, exact schemas, denial of ops not granted, no governance, no short-circuit.
import { describe, expect, test } from 'bun:test';
import { runAgent } from '../../../src/runtime/agent';
import { chunkKey, chunkText, chunkWindow } from '../../../src/runtime/agent/memory-chunks';
import { invokeMemoryTool, memoryToolRefs, MEMORY_TOOL_SCHEMAS } from '../../../src/runtime/agent/memory-tools';
import type { AgentMemory } from '../../../src/runtime/engine/types';
import { MemoryError } from '../../../src/runtime/memory/types';
import { createToolNameMap } from '../../../src/runtime/models';
import { openaiAnswer } from '../models/fake-model-server';
import { agentInput, endpoints, rows, servers } from './helpers';
import { fakeMemory } from './memory-fake';

const srv = servers();
const REF = 'default/notes';
const ALL = ['read', 'write', 'search', 'list', 'ingest'];

function memoryOf(fake = fakeMemory()): AgentMemory & { fake: ReturnType<typeof fakeMemory> } {
  return { ref: REF, fake, backend: () => fake.backendFor({ metadata: { name: 'notes', namespace: 'default' }, spec: {} }) };
}

const spec = (allow: string[]) => ({ model_ref: 'gpt', prompt: 'You are a careful writer.', memory: { ref: 'notes', allow } });

/** Calls one memory tool directly, as the agent loop would. */
async function call(memory: AgentMemory, tool: string, input: string | Record<string, unknown>) {
  const ref = memoryToolRefs(spec(ALL), memory).find((t) => t.name === tool)!;
  return invokeMemoryTool(agentInput({ memory, spec: spec(ALL) }), ref, { requestId: 'r1', input }, new AbortController().signal);
}

describe('chunking', () => {
  test('window and overlap rules: defaults, negative overlap, overlap not below the window', () => {
    expect(chunkWindow()).toEqual({ size: 1000, overlap: 0 });
    expect(chunkWindow(0, undefined)).toEqual({ size: 1000, overlap: 0 });
    expect(chunkWindow(-5, 10)).toEqual({ size: 1000, overlap: 10 });
    expect(chunkWindow(500, -1)).toEqual({ size: 500, overlap: 200 });
    expect(chunkWindow(100, -1)).toEqual({ size: 100, overlap: 20 });
    expect(chunkWindow(10, 10)).toEqual({ size: 10, overlap: 2 });
    expect(chunkWindow(10, 99)).toEqual({ size: 10, overlap: 2 });
    expect(chunkWindow(1, 5)).toEqual({ size: 1, overlap: 0 });
  });

  test('windows advance by size − overlap and stop at the one reaching the end', () => {
    expect(chunkText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(chunkText('abcdefghij', 4, 1)).toEqual(['abcd', 'defg', 'ghij']);
    expect(chunkText('abcdefghij', 4, 2)).toEqual(['abcd', 'cdef', 'efgh', 'ghij']);
    expect(chunkText('abc', 10)).toEqual(['abc']);
    expect(chunkText('', 10)).toEqual([]);
    const long = 'x'.repeat(2500);
    expect(chunkText(long).map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunkText(long, undefined, -1).map((c) => c.length)).toEqual([1000, 1000, 900]);
  });

  test('sizes count code points: astral characters are never split', () => {
    expect(chunkText('😀😀😀😀😀', 2)).toEqual(['😀😀', '😀😀', '😀']);
    expect(chunkText('漢字😀é🎉', 2, 1)).toEqual(['漢字', '字😀', '😀é', 'é🎉']);
  });

  test('keys are <source>/chunk-<NNNN>, 0-based', () => {
    expect([chunkKey('doc', 0), chunkKey('doc', 7), chunkKey('a/b', 123), chunkKey('doc', 12345)]).toEqual(['doc/chunk-0000', 'doc/chunk-0007', 'a/b/chunk-0123', 'doc/chunk-12345']);
  });
});

describe('tool results', () => {
  test('write then read: exact JSON, keys trimmed, a missing key is found:false', async () => {
    const m = memoryOf();
    const w = await call(m, 'memory.write', { key: ' plan ', value: 'ship on friday' });
    expect([w.status, w.text, w.output]).toEqual(['ok', '{"status":"ok","key":"plan"}', { status: 'ok', key: 'plan' }]);
    expect(w.trace).toEqual({ tool_contract_version: 'v1', tool_request_id: 'r1', tool_attempt: 1 });
    expect((await call(m, 'memory.read', { key: 'plan' })).text).toBe('{"found":true,"key":"plan","value":"ship on friday"}');
    expect((await call(m, 'memory.read', '{"key":"nope"}')).text).toBe('{"found":false,"key":"nope"}');
    expect((await call(m, 'memory.write', { key: 'empty' })).text).toBe('{"status":"ok","key":"empty"}');
    expect([...m.fake.data(REF).entries()]).toEqual([['plan', 'ship on friday'], ['empty', '']]);
  });

  test('list: sorted by key, filtered by prefix', async () => {
    const m = memoryOf();
    for (const k of ['b/2', 'a/1', 'b/1']) await call(m, 'memory.write', { key: k, value: k.toUpperCase() });
    expect((await call(m, 'memory.list', { prefix: 'b/' })).text).toBe('{"entries":[{"key":"b/1","value":"B/1"},{"key":"b/2","value":"B/2"}],"count":2}');
    expect(JSON.parse((await call(m, 'memory.list', {})).text)).toEqual({ entries: ['a/1', 'b/1', 'b/2'].map((k) => ({ key: k, value: k.toUpperCase() })), count: 3 });
  });

  test('search: results with scores, top_k defaulting to 10', async () => {
    const m = memoryOf();
    for (let i = 0; i < 12; i++) await call(m, 'memory.write', { key: `fact-${String(i).padStart(2, '0')}`, value: `lease fact ${i}` });
    await call(m, 'memory.write', { key: 'other', value: 'unrelated' });
    const all = JSON.parse((await call(m, 'memory.search', { query: 'LEASE' })).text);
    expect(all.count).toBe(10);
    expect(all.results[0]).toEqual({ key: 'fact-00', value: 'lease fact 0', score: 1 });
    expect((await call(m, 'memory.search', { query: 'unrelated', top_k: 5 })).text).toBe('{"results":[{"key":"other","value":"unrelated","score":1}],"count":1}');
    expect(JSON.parse((await call(m, 'memory.search', { query: 'fact', top_k: 0 })).text).count).toBe(10);
    expect(JSON.parse((await call(m, 'memory.search', { query: 'fact', top_k: 3 })).text).count).toBe(3);
  });

  test('ingest: chunks stored under <source>/chunk-<NNNN>', async () => {
    const m = memoryOf();
    const r = await call(m, 'memory.ingest', { source: ' handbook ', content: 'abcdefghij', chunk_size: 4, overlap: 1 });
    expect(r.text).toBe('{"status":"ok","source":"handbook","chunks_stored":3}');
    expect([...m.fake.data(REF).entries()]).toEqual([['handbook/chunk-0000', 'abcd'], ['handbook/chunk-0001', 'defg'], ['handbook/chunk-0002', 'ghij']]);
    const big = await call(m, 'memory.ingest', { source: 'big', content: 'y'.repeat(2001) });
    expect(big.text).toBe('{"status":"ok","source":"big","chunks_stored":3}');
  });

  const bad: Array<[string, string | Record<string, unknown>, string]> = [
    ['memory.read', {}, 'memory.read: key is required'],
    ['memory.read', { key: '  ' }, 'memory.read: key is required'],
    ['memory.read', { key: 5 }, 'memory.read: key must be a string'],
    ['memory.read', 'plan', 'memory.read: input must be a JSON object with the fields key'],
    ['memory.read', '[1]', 'memory.read: input must be a JSON object with the fields key'],
    ['memory.write', { value: 'x' }, 'memory.write: key is required'],
    ['memory.write', { key: 'k', value: { nested: true } }, 'memory.write: value must be a string'],
    ['memory.search', { query: '' }, 'memory.search: query is required'],
    ['memory.search', { query: 'x', top_k: '3' }, 'memory.search: top_k must be an integer'],
    ['memory.search', { query: 'x', top_k: 1.5 }, 'memory.search: top_k must be an integer'],
    ['memory.list', { prefix: 3 }, 'memory.list: prefix must be a string'],
    ['memory.ingest', { source: 's' }, 'memory.ingest: content is required'],
    ['memory.ingest', { source: 's', content: ' \n ' }, 'memory.ingest: content is required'],
    ['memory.ingest', { content: 'text' }, 'memory.ingest: source is required'],
    ['memory.ingest', { source: 's', content: 'text', chunk_size: 'big' }, 'memory.ingest: chunk_size must be an integer'],
    ['memory.ingest', { source: 's', content: 'text', overlap: 0.5 }, 'memory.ingest: overlap must be an integer'],
    ['memory.write', { key: 'k'.repeat(1025), value: 'v' }, 'memory.write: key must be at most 1024 bytes of UTF-8'],
    ['memory.write', { key: 'a\u0007b', value: 'v' }, 'memory.write: key must not contain control characters'],
    ['memory.write', { key: 'k', value: 'v'.repeat(1024 * 1024 + 1) }, 'memory.write: value must be at most 1048576 bytes of UTF-8'],
    ['memory.write', { key: 'k', value: 'bad \ud800' }, 'memory.write: value must be valid UTF-8 (it contains a lone surrogate)'],
    ['memory.ingest', { source: 's'.repeat(1014), content: 'text' }, 'memory.ingest: source must be at most 1024 bytes of UTF-8 (with its /chunk-NNNN suffix)'],
    ['memory.ingest', { source: 's', content: 'x'.repeat(1024 * 1024 + 1), chunk_size: 2_000_000 }, 'memory.ingest: chunk 0 must be at most 1048576 bytes of UTF-8'],
  ];
  for (const [tool, input, message] of bad) {
    test(`bad input is a tool error: ${tool} ${JSON.stringify(input).slice(0, 60)}`, async () => {
      const m = memoryOf();
      const r = await call(m, tool, input);
      expect(r.status).toBe('error');
      expect(r.error).toEqual({ code: 'invalid_input', reason: 'tool_invalid_input', retryable: false, message, details: {} });
      expect(r.text).toBe(`tool "${tool}" failed: tool_status=error tool_code=invalid_input tool_reason=tool_invalid_input retryable=false message=${JSON.stringify(message)}`);
      expect(r.trace).toEqual({ tool_contract_version: 'v1', tool_request_id: 'r1', tool_attempt: 1, error_code: 'invalid_input', error_reason: 'tool_invalid_input', retryable: false });
      expect(m.fake.puts).toEqual([]);
    });
  }

  test('a chunk that cannot be stored refuses the whole document', async () => {
    const m = memoryOf();
    const r = await call(m, 'memory.ingest', { source: 's', content: `ok${'\ud800'}`, chunk_size: 2 });
    expect(r.error?.message).toBe('memory.ingest: chunk 1 must be valid UTF-8 (it contains a lone surrogate)');
    expect(m.fake.puts).toEqual([]);
  });

  test('content over 10 MiB is refused before anything is stored', async () => {
    const m = memoryOf();
    const r = await call(m, 'memory.ingest', { source: 's', content: 'z'.repeat(10 * 1024 * 1024 + 1) });
    expect(r.error?.message).toBe('memory.ingest: content must be at most 10485760 bytes');
    expect(m.fake.puts).toEqual([]);
  });

  test('backend failures are tool errors, retryable as the MemoryError says', async () => {
    const m = memoryOf();
    m.fake.failWith = new MemoryError('connection refused', true);
    const w = await call(m, 'memory.write', { key: 'k', value: 'v' });
    expect(w.error).toEqual({ code: 'execution_failed', reason: 'tool_backend_failure', retryable: true, message: 'memory.write: connection refused', details: {} });
    expect(w.trace.retryable).toBe(true);
    m.fake.failWith = new MemoryError('table is read-only', false);
    const i = await call(m, 'memory.ingest', { source: 's', content: 'abc' });
    expect(i.error).toEqual({ code: 'execution_failed', reason: 'tool_backend_failure', retryable: false, message: 'memory.ingest: failed writing chunk 0 of 1: table is read-only', details: {} });
    const unbuilt: AgentMemory = { ref: REF, backend: () => Promise.reject(new MemoryError('spec.endpoint: http://x is unreachable', true, 'spec.endpoint')) };
    const r = await call(unbuilt, 'memory.read', { key: 'k' });
    expect([r.status, r.error?.retryable, r.error?.message]).toEqual(['error', true, 'memory.read: spec.endpoint: http://x is unreachable']);
  });
});

const alias = (name: string) => createToolNameMap([name]).toAlias(name);
const toolCall = (id: string, name: string, args: unknown) => ({ json: openaiAnswer(null, { toolCalls: [{ id, name, arguments: JSON.stringify(args) }] }) });

describe('through the agent loop', () => {
  test('offered only with a Memory and memory.allow: names, descriptions and schemas on the wire', async () => {
    const model = srv.model().script({ json: openaiAnswer('a') }, { json: openaiAnswer('b') }, { json: openaiAnswer('c') });
    const ep = [endpoints.openai(model)];
    await runAgent(agentInput({ endpoints: ep, spec: spec(['search', 'read']), memory: memoryOf() }));
    await runAgent(agentInput({ endpoints: ep, spec: spec(['search', 'read']) }));
    await runAgent(agentInput({ endpoints: ep, spec: spec([]), memory: memoryOf() }));
    const [first, noMemory, noAllow] = model.requests.map((r) => r.body);
    expect(first.tools).toEqual(
      (['read', 'search'] as const).map((op) => ({ type: 'function', function: { name: alias(`memory.${op}`), description: MEMORY_TOOL_SCHEMAS[op].description, parameters: MEMORY_TOOL_SCHEMAS[op].parameters } })),
    );
    expect(first.tools[0].function.parameters).toEqual({ type: 'object', properties: { key: { type: 'string', description: 'The exact memory key to read.' } }, required: ['key'], additionalProperties: false });
    expect([noMemory.tools, noAllow.tools]).toEqual([undefined, undefined]);
  });

  test('write, then read and search see it; results go back as tool messages; memory_writes counted', async () => {
    const m = memoryOf();
    const model = srv.model().script(
      toolCall('c1', alias('memory.read'), { key: 'plan' }),
      toolCall('c2', alias('memory.write'), { key: 'plan', value: 'ship friday' }),
      toolCall('c3', alias('memory.read'), { key: 'plan' }),
      toolCall('c4', alias('memory.ingest'), { source: 'doc', content: 'abcdef', chunk_size: 3 }),
      { json: openaiAnswer('Shipping friday.') },
    );
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: spec(ALL), memory: m }));
    expect([res.output, res.toolCalls, res.memoryWrites, res.error]).toEqual(['Shipping friday.', 4, 3, undefined]);
    const answers = model.requests[4].body.messages.filter((x: any) => x.role === 'tool').map((x: any) => x.content);
    expect(answers).toEqual([
      '<tool_result>{"found":false,"key":"plan"}</tool_result>',
      '<tool_result>{"status":"ok","key":"plan"}</tool_result>',
      '<tool_result>{"found":true,"key":"plan","value":"ship friday"}</tool_result>',
      '<tool_result>{"status":"ok","source":"doc","chunks_stored":2}</tool_result>',
    ]);
    // Each memory tool stays offered after it succeeded (short_circuit withdraws only other tools).
    expect(model.requests[4].body.tools.map((t: any) => t.function.name)).toEqual(['read', 'write', 'search', 'list', 'ingest'].map((op) => alias(`memory.${op}`)));
    const r = rows(res);
    expect(r[0]).toEqual({ type: 'agent_start', model: 'gpt-test', message: 'max_steps=10 tools=memory.read,memory.write,memory.search,memory.list,memory.ingest' });
    expect(r.filter((x) => x.type === 'tool_call').map((x) => [x.step, x.tool, x.tool_request_id, x.message])).toEqual([
      [1, 'memory.read', 'msg-1/m01/s01/memory.read/1', 'success'],
      [2, 'memory.write', 'msg-1/m01/s02/memory.write/1', 'success'],
      [3, 'memory.read', 'msg-1/m01/s03/memory.read/1', 'success'],
      [4, 'memory.ingest', 'msg-1/m01/s04/memory.ingest/1', 'success'],
    ]);
    expect(r.at(-1)).toMatchObject({ type: 'agent_end', tool_calls: 4, memory_writes: 3 });
    expect(m.fake.puts).toEqual(['default/notes:plan', 'default/notes:doc/chunk-0000', 'default/notes:doc/chunk-0001']);
  });

  test('an operation not in memory.allow is denied like an unknown tool', async () => {
    const m = memoryOf();
    const model = srv.model().script(toolCall('c1', 'memory.write', { key: 'k', value: 'v' }));
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: spec(['read']), memory: m }));
    expect(res.error).toEqual({ code: 'permission_denied', reason: 'tool_permission_denied', retryable: false, message: 'tool permission denied: agent=writer step=1 tool=memory.write: the agent has no tool named memory.write' });
    expect(m.fake.puts).toEqual([]);
  });

  test('memory tools bypass roles and ToolPermissions', async () => {
    const m = memoryOf();
    const model = srv.model().script(toolCall('c1', alias('memory.write'), { key: 'k', value: 'v' }), { json: openaiAnswer('done') });
    const authorize = () => ({ verdict: 'deny' as const, branch: 'missing_roles' as const, reason: 'missing_roles=ops' });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: spec(['write']), memory: m, authorize }));
    expect([res.output, res.error]).toEqual(['done', undefined]);
    expect(m.fake.puts).toEqual(['default/notes:k']);
  });

  test('bad input goes back to the model as a tool error, and the run goes on', async () => {
    const m = memoryOf();
    const model = srv.model().script(toolCall('c1', alias('memory.write'), { value: 'v' }), { json: openaiAnswer('I could not save it.') });
    const res = await runAgent(agentInput({ endpoints: [endpoints.openai(model)], spec: spec(['write']), memory: m }));
    expect([res.output, res.error, res.memoryWrites]).toEqual(['I could not save it.', undefined, 0]);
    const tool = model.requests[1].body.messages.find((x: any) => x.role === 'tool');
    expect(tool.content).toBe('<tool_error>tool "memory.write" failed: tool_status=error tool_code=invalid_input tool_reason=tool_invalid_input retryable=false message="memory.write: key is required"</tool_error>');
    expect(rows(res).find((x) => x.type === 'tool_error')).toMatchObject({ step: 1, tool: 'memory.write', error_code: 'invalid_input', retryable: false, message: tool.content.slice(12, -13) });
  });
});
