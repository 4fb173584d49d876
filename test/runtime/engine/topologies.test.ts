// The engine end to end on every graph shape: pipeline, fan-out/fan-in (wait_for_all, quorum),
// loops bounded by max_turns (also through delegation cycles and trimmed records), conditional
// routing and delegation (branches with several ends, tolerant delegate joins), against a fake
// model over HTTP.
import { afterEach, describe, expect, test } from 'bun:test';
import { CAPS } from '../../../src/runtime/engine/records';
import { agentSpec, fakeModel, startHarness, worldPerTest, type Harness } from './harness';

let h: Harness | undefined;
let model: ReturnType<typeof fakeModel> | undefined;
afterEach(async () => {
  await h?.close();
  await model?.stop();
  h = model = undefined;
});

async function setup(answer: Parameters<typeof fakeModel>[0], agents: string[], graph: Record<string, unknown>, task: Record<string, unknown> = {}): Promise<Harness> {
  model = fakeModel(answer);
  const started = (h = await startHarness());
  await started.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
  for (const a of agents) await started.apply('Agent', a, agentSpec(a, 'fake'));
  await started.apply('AgentSystem', 'sys', { agents, graph });
  await started.apply('Task', 't', { system: 'sys', input: { topic: 'the moon' }, ...task });
  return started;
}

const { world: plainWorld } = worldPerTest();
/** Agents limited to one model or tool step per turn. */
const world = (answer: Parameters<typeof plainWorld>[0], agents: string[], graph: Record<string, unknown> = {}) => plainWorld(answer, agents, graph, { limits: { max_steps: 1 } });

const phases = (t: any) => (t.status.messages as any[]).map((m) => `${m.from_agent}->${m.to_agent}:${m.phase}`);

describe('engine topologies', () => {
  test('mock pipeline: each agent once, in order, the last answer in output.result', async () => {
    h = await startHarness();
    await h.apply('ModelEndpoint', 'mock', { provider: 'mock', default_model: 'mock-1' });
    for (const a of ['planner', 'writer']) await h.apply('Agent', a, agentSpec(a, 'mock'));
    await h.apply('AgentSystem', 'sys', { agents: ['planner', 'writer'], graph: { planner: { edges: [{ to: 'writer' }] } } });
    await h.apply('Task', 't', { system: 'sys', input: { topic: 'tides' } });
    const t = await h.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(phases(t)).toEqual(['system->planner:Succeeded', 'planner->writer:Succeeded']);
    expect(t.status!.messages[1].message_id).toBe('default/t/a001/b001/h002/planner/writer');
    expect(t.status!.output.result_agent).toBe('writer');
    expect(t.status!.output.result).toStartWith('[mock:mock-1]');
    expect(t.status!.output.result).toBe(t.status!.output.last_output);
    expect(Number(t.status!.output.tokens_used_total)).toBeGreaterThan(0);
    expect(t.status!.history.map((x: any) => x.type)).toEqual(['claim', 'runtime_kickoff', 'succeeded']);
    expect(t.status!.claimedBy).toBeUndefined();
    const types = new Set((t.status!.trace as any[]).map((r) => r.type));
    for (const ty of ['task_runtime_kickoff', 'agent_message_received', 'model_call', 'agent_message_processed', 'agent_message', 'task_summary']) expect(types.has(ty)).toBe(true);
    await h.published('task.succeeded');
    expect((await h.logs.read('Task', 'default', 't')).some((l) => l.includes('agent end: writer'))).toBe(true);
    expect((await h.logs.read('Agent', 'default', 'planner')).length).toBe(1);
    const all = await h.r.core.eventLog.readAfter(0, await h.r.core.eventLog.lastId(), 1000);
    const events = all.map((e) => e.type);
    // Status events of a task say what changed and how many records it holds, not the records.
    const last: any = all.filter((e) => e.type === 'resource.status' && e.kind === 'Task').at(-1)!.data;
    expect(last.status.phase).toBe('Succeeded');
    expect(last.status.trace).toBeUndefined();
    expect(last.status.record_counts).toEqual({ trace: t.status!.trace.length, history: 3, messages: 2, message_idempotency: 2, join_states: 0, delegation_states: 0 });
    expect(events).toContain('task.claimed');
    expect(events).toContain('task.runtime_kickoff');
    expect(events).toContain('task.succeeded');
    // Live progress while agents run: one step event and log line per model call.
    expect(events.filter((e) => e === 'task.agent_step')).toHaveLength(2);
    expect((await h.logs.read('Task', 'default', 't')).filter((l) => /agent step: (planner|writer) step=1 model_call tokens=\d+ latency_ms=\d+$/.test(l))).toHaveLength(2);
  });

  test('fan-out then wait_for_all: the join runs once with every payload', async () => {
    await setup((c) => (c.agent === 'judge' ? `verdict from ${[...new Set(c.user.match(/finding of probe-\d/g))].sort().join('+')}` : `finding of ${c.agent}`), ['splitter', 'probe-1', 'probe-2', 'probe-3', 'judge'], {
      splitter: { edges: [{ to: 'probe-1' }, { to: 'probe-2' }, { to: 'probe-3' }] },
      'probe-1': { next: 'judge' },
      'probe-2': { next: 'judge' },
      'probe-3': { next: 'judge' },
    });
    const t = await h!.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(model!.byAgent('judge').length).toBe(1);
    expect(t.status!.output.result).toBe('verdict from finding of probe-1+finding of probe-2+finding of probe-3');
    const branches = (t.status!.messages as any[]).filter((m) => m.from_agent === 'splitter').map((m) => m.branch_id).sort();
    expect(branches).toEqual(['b001.001', 'b001.002', 'b001.003']);
    expect(t.status!.join_states).toHaveLength(1);
    expect(t.status!.join_states[0]).toMatchObject({ node: 'judge', mode: 'wait_for_all', expected: 3, quorum_required: 3, activated: true, closed: true });
    expect(t.status!.join_states[0].sources).toHaveLength(3);
  });

  test('quorum: the join fires at the quorum and later arrivals do not run it again', async () => {
    await setup((c) => `${c.agent} ok`, ['splitter', 'p1', 'p2', 'p3', 'judge'], {
      splitter: { edges: [{ to: 'p1' }, { to: 'p2' }, { to: 'p3' }] },
      p1: { next: 'judge' },
      p2: { next: 'judge' },
      p3: { next: 'judge' },
      judge: { join: { mode: 'quorum', quorum_percent: 60 } },
    });
    const t = await h!.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(model!.byAgent('judge').length).toBe(1);
    expect(t.status!.join_states[0]).toMatchObject({ mode: 'quorum', expected: 3, quorum_required: 2, activated: true });
    const late = (t.status!.trace as any[]).filter((r) => r.message?.includes('join_already_activated'));
    expect(late).toHaveLength(1);
  });

  test('a loop stops at max_turns', async () => {
    await setup((c) => `${c.agent} turn`, ['planner', 'critic'], { planner: { edges: [{ to: 'critic' }] }, critic: { edges: [{ to: 'planner' }] } }, { max_turns: 5 });
    const t = await h!.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(phases(t)).toEqual(['system->planner:Succeeded', 'planner->critic:Succeeded', 'critic->planner:Succeeded', 'planner->critic:Succeeded', 'critic->planner:Succeeded']);
    expect(model!.calls.length).toBe(5);
    expect((t.status!.trace as any[]).filter((r) => r.type === 'agent_message_turn_limit')).toHaveLength(1);
  });

  test('conditional edges: JSON path, substring and the default edge', async () => {
    await setup((c) => (c.agent === 'triage' ? '{"queue":"billing","score":7}' : `${c.agent} handled`), ['triage', 'billing', 'tech', 'general', 'vip'], {
      triage: {
        edges: [
          { to: 'billing', condition: { output_json_path: '$.queue', equals: 'billing' } },
          { to: 'tech', condition: { output_contains: 'TECH' } },
          { to: 'vip', condition: { output_json_path: '$.score', greater_than: '5' } },
          { to: 'general', condition: { default: true } },
        ],
      },
    });
    const t = await h!.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(model!.calls.map((c) => c.agent).sort()).toEqual(['billing', 'triage', 'vip']);
  });

  test('delegation: delegates run, the delegator reviews their work, then its edges fire', async () => {
    await setup((c) => (c.agent === 'editor' && c.user.includes('fact-checker') ? 'approved draft' : `${c.agent} work`), ['editor', 'fact-checker', 'copy-editor', 'publisher'], {
      editor: { delegates: [{ to: 'fact-checker' }, { to: 'copy-editor' }], delegate_join: { mode: 'wait_for_all' }, edges: [{ to: 'publisher' }] },
    });
    const t = await h!.settled('t');
    expect(t.status!.phase).toBe('Succeeded');
    expect(model!.calls.map((c) => c.agent)).toEqual(['editor', expect.any(String), expect.any(String), 'editor', 'publisher']);
    expect(model!.byAgent('publisher')[0].user).toContain('approved draft');
    const returns = (t.status!.messages as any[]).filter((m) => m.type === 'delegation_return');
    expect(returns.map((m) => m.from_agent).sort()).toEqual(['copy-editor', 'fact-checker']);
    expect(t.status!.delegation_states[0]).toMatchObject({ node: 'editor', expected: 2, activated: true });
    expect(t.status!.output.result_agent).toBe('publisher');
  });
});

describe('engine over every provider wire', () => {
  test('an Anthropic agent with a tool hands off to an Ollama agent; usage comes from the providers', async () => {
    const { startFakeServer, anthropicAnswer, ollamaAnswer } = await import('../models/fake-model-server');
    const anthropic = startFakeServer().script(
      { json: anthropicAnswer([{ type: 'tool_use', id: 'tu_1', name: 'lookup', input: { q: 'tides' } }]) },
      { json: anthropicAnswer([{ type: 'text', text: 'The tide follows the moon.' }]) },
    );
    const ollama = startFakeServer().script({ json: ollamaAnswer('Summary: the moon pulls the sea.') });
    const tool = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ facts: ['lunar'] }) });
    h = await startHarness({}, { ORLOJ_SECRET_ANTHROPIC_KEY: 'sk-ant-test' });
    try {
      await h.apply('ModelEndpoint', 'claude', { provider: 'anthropic', base_url: anthropic.url, default_model: 'claude-test', auth: { secretRef: 'anthropic-key' } });
      await h.apply('ModelEndpoint', 'local', { provider: 'ollama', base_url: ollama.url, default_model: 'llama-test' });
      await h.apply('Tool', 'lookup', { type: 'http', endpoint: `http://127.0.0.1:${tool.port}/lookup` });
      await h.apply('Agent', 'researcher', { model_ref: 'claude', prompt: 'Research.', tools: ['lookup'] });
      await h.apply('Agent', 'writer', { model_ref: 'local', prompt: 'Write.' });
      await h.apply('AgentSystem', 'sys', { agents: ['researcher', 'writer'], graph: { researcher: { next: 'writer' } } });
      await h.apply('Task', 't', { system: 'sys', input: { topic: 'tides' } });
      const t: any = await h.settled('t');
      expect(t.status.phase).toBe('Succeeded');
      expect(t.status.output.result).toBe('Summary: the moon pulls the sea.');
      expect(anthropic.requests.map((r) => [r.path, r.headers['x-api-key']])).toEqual([
        ['/messages', 'sk-ant-test'],
        ['/messages', 'sk-ant-test'],
      ]);
      expect(anthropic.requests[1].body.messages.at(-1).content[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'tu_1' });
      expect(ollama.requests[0].path).toBe('/api/chat');
      expect(JSON.stringify(ollama.requests[0].body.messages)).toContain('The tide follows the moon.');
      const calls = (t.status.trace as any[]).filter((r) => r.type === 'tool_call');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ tool: 'lookup', tool_contract_version: 'v1', tool_attempt: 1 });
      expect((t.status.trace as any[]).filter((r) => r.type === 'model_call').map((r) => r.token_usage_source)).toEqual(['provider', 'provider', 'provider']);
    } finally {
      anthropic.stop();
      ollama.stop();
      await tool.stop(true);
    }
  });
});

describe('max_turns on delegation cycles', () => {
  // d delegates to e and e delegates to d: findCycle sees the cycle and requires max_turns, but
  // route() dispatches delegates before it checks max_turns, so the loop never stops.
  test('mutual delegation stops at max_turns', async () => {
    const { h, model } = await world((c) => `${c.agent} says hi`, ['d', 'e'], { d: { delegates: [{ to: 'e' }] }, e: { delegates: [{ to: 'd' }] } });
    await h.apply('Task', 't', { system: 'sys', max_turns: 4 });
    try {
      const t = await h.settled('t', 3_000);
      expect(t.status!.phase).not.toBe('Running');
    } finally {
      // Bounded by max_turns, a handful of calls; the defect makes hundreds.
      expect(model.calls.length).toBeLessThan(20);
    }
  });
});

describe('max_turns counted from capped records', () => {
  // turnsOnPath counts retained message records; addMessages drops the oldest finished ones beyond
  // CAPS.messages, so a max_turns above what the cap keeps is never reached (shown with a small cap).
  test('a two-node loop stops at max_turns even when old messages are trimmed', async () => {
    const saved = CAPS.messages;
    CAPS.messages = 8;
    try {
      const { h, model } = await world((c) => `${c.agent} turn`, ['a', 'b'], { a: { next: 'b' }, b: { next: 'a' } });
      await h.apply('Task', 't', { system: 'sys', max_turns: 12 });
      try {
        const t = await h.settled('t', 3_000);
        expect(t.status!.phase).toBe('Succeeded');
      } finally {
        expect(model.calls.length).toBeLessThanOrEqual(12);
      }
    } finally {
      CAPS.messages = saved;
    }
  });
});

describe('delegate branch with more than one terminal point', () => {
  // d delegates to x; x fans out to y and z (both terminal), so two delegation_returns come back to
  // a gate that expects one: the second opens a new round and d reviews (and forwards) twice.
  test('the delegator reviews once and its edges fire once', async () => {
    const { h, model } = await world((c) => `${c.agent} ok`, ['d', 'x', 'y', 'z', 'p'], {
      d: { delegates: [{ to: 'x' }], edges: [{ to: 'p' }] },
      x: { edges: [{ to: 'y' }, { to: 'z' }] },
    });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('d').length).toBe(2); // dispatch + one review
    expect(model.byAgent('p').length).toBe(1);
  });
});

describe('delegation edge cases', () => {
  // delegate_join.on_failure is validated but fail() only looks at edge joins downstream of the
  // failed node, so a failing delegate always ends the task.
  test('delegate_join on_failure skip: the delegator reviews the delegates that succeeded', async () => {
    const { h, model } = await world((c) => (c.agent === 'y' ? { status: 400 } : `${c.agent} ok`), ['d', 'x', 'y'], {
      d: { delegates: [{ to: 'x' }, { to: 'y' }], delegate_join: { mode: 'wait_for_all', on_failure: 'skip' } },
    });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('d').length).toBe(2);
  });

  // Inside a delegate branch, a join released at quiescence runs from a join_release message that
  // carries no delegate_of, so the branch never returns to its delegator: the delegator never
  // reviews and its edges never fire, yet the task ends Succeeded.
  test('a released join inside a delegate branch still returns to the delegator', async () => {
    const { h, model } = await world((c) => (c.agent === 'a' ? 'route B' : `${c.agent} ok`), ['d', 'a', 'b', 'c', 'j', 'p'], {
      d: { delegates: [{ to: 'a' }], edges: [{ to: 'p' }] },
      a: { edges: [{ to: 'b', condition: { output_contains: 'B' } }, { to: 'c', condition: { output_contains: 'C' } }] },
      b: { next: 'j' },
      c: { next: 'j' },
    });
    await h.apply('Task', 't', { system: 'sys' });
    const t = await h.settled('t', 5_000);
    expect(t.status!.phase).toBe('Succeeded');
    expect(model.byAgent('p').length).toBe(1);
  });
});
