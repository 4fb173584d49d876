// Memory tools in a real engine: a two-agent pipeline where the first agent writes and the second
// finds it by search (on a counting fake and on the default sqlite backend); a missing Memory, a process without memory backends and a blocked memory
// tool stop the run with clear errors; a message resumed after its write was journaled writes once.
import { afterEach, describe, expect, test } from 'bun:test';
import { startEngine, type RunningEngine } from '../../../src/runtime/engine';
import { createLogger } from '../../../src/log';
import type { StoredObject } from '../../../src/registry/kind';
import { createMemoryBackends } from '../../../src/runtime/memory/backends';
import type { MemoryBackends } from '../../../src/runtime/memory/types';
import { systemClock } from '../../../src/util/time';
import { testRegistry } from '../../support/registry';
import { fakeMemory, type FakeMemory } from '../agent/memory-fake';
import { fakeModel, TERMINAL, type ModelCall, type ModelReply } from './harness';

interface World {
  r: ReturnType<typeof testRegistry>;
  /** The process's memory backends: the fake below, or the server's own. */
  memory: MemoryBackends;
  fake: FakeMemory;
  model: ReturnType<typeof fakeModel>;
  engines: RunningEngine[];
  start(workerId: string, withMemory?: boolean): Promise<RunningEngine>;
  apply(plural: string, name: string, spec: Record<string, unknown>): Promise<StoredObject>;
  settled(name: string): Promise<StoredObject>;
}

let current: World | undefined;
afterEach(async () => {
  for (const e of current?.engines ?? []) await e.stop();
  await current?.model.stop();
  current?.memory.close();
  current?.r.close();
  current = undefined;
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function world(answer: (call: ModelCall) => ModelReply | Promise<ModelReply>, real = false): Promise<World> {
  const r = testRegistry(systemClock, { pollMs: 50 });
  const logs = r.backend.logs(systemClock);
  const fake = fakeMemory();
  // The server's own backends: the default sqlite provider over the same database.
  const memory = real ? createMemoryBackends({ entries: r.backend.memory(), endpoint: () => undefined, secret: () => undefined, clock: systemClock, log: createLogger('error') }) : fake;
  const model = fakeModel(answer);
  const engines: RunningEngine[] = [];
  const config = { gpu: false, models: [], maxConcurrentTasks: 4, leaseMs: 30_000, heartbeatMs: 10_000, egressPrivate: 'allow' as const };
  const w: World = {
    r,
    memory,
    fake,
    model,
    engines,
    async start(workerId, withMemory = true) {
      const e = await startEngine({ core: r.core, clock: systemClock, log: createLogger('error'), logs, env: {}, config: { ...config, workerId }, ...(withMemory ? { memory } : {}) });
      engines.push(e);
      return e;
    },
    apply: async (plural, name, spec) => (await r.registry.apply(r.kind(plural), { metadata: { name }, spec }, {})).object,
    async settled(name) {
      const get = () => r.registry.getDecoded(r.kind('tasks'), 'default', name);
      await until(async () => TERMINAL.has((await get()).status?.phase), `task ${name} to finish`);
      return await get();
    },
  };
  await w.apply('model-endpoints', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
  await w.apply('memories', 'notes', {});
  current = w;
  return w;
}

const agent = (name: string, memory: Record<string, unknown>) => ({ model_ref: 'fake', prompt: `agent:${name} You are ${name}.`, memory });
/** The wire name the model was given for a memory tool (providers forbid dots). */
const wireName = (call: ModelCall, tool: string) => (call.body.tools ?? []).map((t: any) => t.function.name).find((n: string) => n.startsWith(tool.replace('.', '_')));
const toolAnswers = (call: ModelCall): string[] => (call.body.messages ?? []).filter((m: any) => m.role === 'tool').map((m: any) => m.content);
const rowsOf = (t: StoredObject, type: string) => (t.status!.trace as any[]).filter((x) => x.type === type);

/** writer saves a finding; reader searches for it and answers with what it found. */
function pipeline(call: ModelCall): ModelReply {
  const answered = toolAnswers(call);
  if (call.agent === 'writer') {
    if (!answered.length) return { toolCalls: [{ name: wireName(call, 'memory.write'), arguments: { key: 'finding', value: 'leases last 30s' } }] };
    return 'saved';
  }
  if (!answered.length) return { toolCalls: [{ name: wireName(call, 'memory.search'), arguments: { query: 'LEASES' } }] };
  const found = JSON.parse(answered[0].replace(/^<tool_result>|<\/tool_result>$/g, ''));
  return `found: ${found.results.map((e: any) => `${e.key}=${e.value}`).join(', ')}`;
}

async function applyPipeline(w: World, writerMemory: Record<string, unknown> = { ref: 'notes', allow: ['write'] }) {
  await w.apply('agents', 'writer', agent('writer', writerMemory));
  await w.apply('agents', 'reader', agent('reader', { ref: 'default/notes', allow: ['memory.search'] }));
  await w.apply('agent-systems', 'sys', { agents: ['writer', 'reader'], graph: { writer: { next: 'reader' } } });
}

describe('memory tools in a pipeline', () => {
  test('the first agent writes, the second finds it by search and answers with it', async () => {
    const w = await world(pipeline);
    await applyPipeline(w);
    await w.start('w1');
    await w.apply('tasks', 't', { system: 'sys' });
    const t = await w.settled('t');
    expect([t.status!.phase, t.status!.output.result]).toEqual(['Succeeded', 'found: finding=leases last 30s']);
    expect(w.fake.puts).toEqual(['default/notes:finding']);
    expect(w.fake.asked).toEqual(['default/notes', 'default/notes']);
    expect(rowsOf(t, 'tool_call').map((x) => [x.agent, x.step, x.tool, x.message])).toEqual([
      ['writer', 1, 'memory.write', 'success'],
      ['reader', 1, 'memory.search', 'success'],
    ]);
    expect(rowsOf(t, 'agent_end').map((x) => [x.agent, x.tool_calls, x.memory_writes])).toEqual([
      ['writer', 1, 1],
      ['reader', 1, 0],
    ]);
    // Each agent is offered exactly what it was granted.
    expect(w.model.calls.map((c) => [c.agent, (c.body.tools ?? []).map((x: any) => x.function.name.replace(/_[0-9a-f]{8}$/, ''))])).toEqual([
      ['writer', ['memory_write']],
      ['writer', ['memory_write']],
      ['reader', ['memory_search']],
      ['reader', ['memory_search']],
    ]);
  });

  test('on the default sqlite backend: the entry is stored in the database and found by keyword search', async () => {
    const w = await world(pipeline, true);
    await applyPipeline(w);
    await w.start('w1');
    await w.apply('tasks', 't', { system: 'sys' });
    const t = await w.settled('t');
    expect([t.status!.phase, t.status!.output.result]).toEqual(['Succeeded', 'found: finding=leases last 30s']);
    const stored = await (await w.memory.backendFor(await w.r.registry.getDecoded(w.r.kind('memories'), 'default', 'notes'))).list('', 10);
    expect(stored.map((e) => [e.key, e.value])).toEqual([['finding', 'leases last 30s']]);
  });

  test('a spec.memory.ref naming no Memory fails the task before any model call', async () => {
    const w = await world(pipeline);
    await applyPipeline(w, { ref: 'missing', allow: ['write'] });
    await w.start('w1');
    await w.apply('tasks', 't', { system: 'sys' });
    const t = await w.settled('t');
    expect([t.status!.phase, t.status!.lastError]).toEqual(['Failed', 'invalid task: agent writer: spec.memory.ref missing does not name a Memory']);
    expect(w.model.calls).toEqual([]);
  });

  test('a process without memory backends refuses the agent with a non-retryable error', async () => {
    const w = await world(pipeline);
    await applyPipeline(w);
    await w.start('w1', false);
    await w.apply('tasks', 't', { system: 'sys', message_retry: { max_attempts: 3 } });
    const t = await w.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(t.status!.lastError).toContain('validation: agent writer: spec.memory.ref notes: this process has no memory backends');
    expect(rowsOf(t, 'agent_message_non_retryable')).toHaveLength(1);
    expect(w.model.calls).toEqual([]);
  });

  test('AgentPolicy blocked_tools blocks a granted memory tool', async () => {
    const w = await world(pipeline);
    await applyPipeline(w);
    await w.apply('agent-policies', 'no-writes', { apply_mode: 'global', blocked_tools: ['memory.write'] });
    await w.start('w1');
    await w.apply('tasks', 't', { system: 'sys' });
    const t = await w.settled('t');
    expect(t.status!.phase).toBe('Failed');
    expect(t.status!.lastError).toContain('policy_violation: policy no-writes blocks tool memory.write for agent writer');
    expect(w.fake.puts).toEqual([]);
  });
});

describe('durability', () => {
  test('a message resumed after its memory.write was journaled does not write again', async () => {
    let hold = true;
    const w = await world((call) => (call.agent === 'writer' && toolAnswers(call).length && hold ? 'hang' : pipeline(call)));
    await applyPipeline(w);
    const first = await w.start('w1');
    await w.apply('tasks', 't', { system: 'sys' });
    // The write is done and journaled; the writer's next model call never answers: the worker stops.
    await until(() => w.model.calls.some((c) => c.aborted === false && c.agent === 'writer' && toolAnswers(c).length > 0), 'the writer to call the model after its write');
    expect(w.fake.puts).toEqual(['default/notes:finding']);
    await first.stop();
    hold = false;
    await w.start('w2');
    const t = await w.settled('t');
    expect([t.status!.phase, t.status!.output.result]).toEqual(['Succeeded', 'found: finding=leases last 30s']);
    expect(w.fake.puts).toEqual(['default/notes:finding']);
    expect(rowsOf(t, 'agent_message_resumed').map((x) => x.message)).toEqual(['resumed by w2 (was w1); resume 1 of 3']);
    // The writer's first model call was replayed from the journal too: asked once, by w1.
    expect(w.model.calls.filter((c) => c.agent === 'writer' && !toolAnswers(c).length)).toHaveLength(1);
    expect(rowsOf(t, 'agent_end').map((x) => [x.agent, x.memory_writes])).toEqual([
      ['writer', 1],
      ['reader', 0],
    ]);
  });
});
