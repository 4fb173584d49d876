// Engine test harness: the real core on in-memory SQLite with the real engine started on it, and a
// fake OpenAI-compatible model server (Bun.serve, port 0) whose answers a test computes per request.
import { afterEach } from 'bun:test';
import { createApp } from '../../../src/api/app';
import { AuthService } from '../../../src/auth/service';
import { ApprovalController } from '../../../src/controllers/approvals';
import { TASK_APPROVALS } from '../../../src/runtime/engine/reviews';
import { startEngine, type RunningEngine } from '../../../src/runtime/engine';
import { processMemoryBackends } from '../../../src/cli/memory-backends';
import { storeChecks } from '../../../src/store/health';
import type { EngineConfig } from '../../../src/runtime/engine/settings';
import { createLogger, silentLogger } from '../../../src/log';
import type { StoredObject } from '../../../src/registry/kind';
import type { Logs } from '../../../src/store/backend';
import { systemClock } from '../../../src/util/time';
import { caller, OPEN_AUTH } from '../../support/app';
import { testRegistry } from '../../support/registry';
import { testUsers } from '../../support/backend';

export interface ModelCall {
  agent: string;
  system: string;
  user: string;
  body: any;
  key: string;
  aborted: boolean;
}

/** A reply: text, a JSON body with a status (errors), or `hang` (answers only when aborted). */
export type ModelReply = string | { status: number; json?: unknown } | { toolCalls: { name: string; arguments: unknown }[] } | 'hang';

export function fakeModel(answer: (call: ModelCall) => ModelReply | Promise<ModelReply>) {
  const calls: ModelCall[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as any;
      const messages: any[] = body.messages ?? [];
      const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
      const call: ModelCall = {
        agent: /agent:(\S+)/.exec(system)?.[1] ?? '',
        system,
        user: messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n'),
        body,
        key: req.headers.get('idempotency-key') ?? '',
        aborted: false,
      };
      calls.push(call);
      const reply = await answer(call);
      if (reply === 'hang') {
        return new Promise<Response>((resolve) => {
          req.signal.addEventListener('abort', () => {
            call.aborted = true;
            resolve(new Response('gone', { status: 499 }));
          });
        });
      }
      if (typeof reply === 'object' && 'status' in reply) return Response.json(reply.json ?? { error: { message: `scripted ${reply.status}` } }, { status: reply.status });
      const message =
        typeof reply === 'string'
          ? { role: 'assistant', content: reply }
          : {
              role: 'assistant',
              content: null,
              tool_calls: reply.toolCalls.map((c, i) => ({ id: `call_${i + 1}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
            };
      return Response.json({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        model: body.model,
        choices: [{ index: 0, message, finish_reason: typeof reply === 'string' ? 'stop' : 'tool_calls' }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1`, calls, stop: () => server.stop(true), byAgent: (a: string) => calls.filter((c) => c.agent === a) };
}

/** A tool server speaking the tool contract that answers every call ok with `result`, keeping each request body. */
export function recordingTool(result: string) {
  const received: any[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = (await req.json()) as any;
      received.push(body);
      return Response.json({ tool_contract_version: 'v1', request_id: body.request_id, status: 'ok', output: { result } });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) };
}

export interface Harness {
  r: ReturnType<typeof testRegistry>;
  engine: RunningEngine;
  logs: Logs;
  /** Turn ToolApproval and TaskApproval decisions into task transitions, as the server does. */
  approvals: ApprovalController;
  reviews: ApprovalController;
  /** The real HTTP app over the same registry. */
  call: ReturnType<typeof caller>;
  apply(kind: string, name: string, spec: Record<string, unknown>): Promise<StoredObject>;
  task(name: string): Promise<StoredObject>;
  /** Waits (bounded) until the task reaches a terminal phase and returns it. */
  settled(name: string, timeoutMs?: number): Promise<StoredObject>;
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /**
   * Waits (bounded) until an event of this type is in the event log. An event is committed in a
   * write of its own after the status write it reports, so a terminal phase may be seen first.
   */
  published(type: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const TERMINAL = new Set(['Succeeded', 'Failed', 'DeadLetter']);

export async function startHarness(config: Partial<EngineConfig> = {}, env: Record<string, string> = {}): Promise<Harness> {
  const r = testRegistry(systemClock, { pollMs: 50 });
  const logs = r.backend.logs(systemClock);
  // Memory backends as the server has them (sqlite default on the same database).
  const memory = processMemoryBackends({ entries: r.backend.memory(), registry: r.registry, clock: systemClock, log: createLogger('error'), env });
  const engine = await startEngine({
    memory,
    core: r.core,
    clock: systemClock,
    log: createLogger('error'),
    logs,
    env,
    config: { workerId: 'w1', gpu: false, models: [], maxConcurrentTasks: 4, leaseMs: 30_000, heartbeatMs: 10_000, egressPrivate: 'allow', ...config },
  });
  const approvalDeps = { registry: r.registry, events: r.core.events, clock: systemClock };
  const approvals = new ApprovalController(approvalDeps, createLogger('error'));
  const reviews = new ApprovalController(approvalDeps, createLogger('error'), TASK_APPROVALS);
  await approvals.start();
  await reviews.start();
  const auth = new AuthService(testUsers(r.backend), OPEN_AUTH, systemClock);
  const app = createApp({ registry: r.registry, watch: r.core.watch, auth, storeChecks: () => r.backend.checks(), log: silentLogger, clock: systemClock, events: r.core.events, logs });
  const plural: Record<string, string> = { Agent: 'agents', AgentSystem: 'agent-systems', ModelEndpoint: 'model-endpoints', Task: 'tasks', Tool: 'tools', AgentPolicy: 'agent-policies', Secret: 'secrets' };
  const task = (name: string) => r.registry.getDecoded(r.kind('tasks'), 'default', name);
  const waitFor = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(5);
    }
  };
  return {
    r,
    engine,
    logs,
    approvals,
    reviews,
    call: caller(app),
    apply: async (kind, name, spec) => (await r.registry.apply(r.kind(plural[kind]), { metadata: { name }, spec }, {})).object,
    task,
    waitFor,
    async published(type, timeoutMs) {
      const log = r.core.eventLog;
      await waitFor(async () => (await log.readAfter(0, await log.lastId(), 10_000)).some((e) => e.type === type), `the ${type} event`, timeoutMs);
    },
    async settled(name, timeoutMs) {
      await waitFor(async () => TERMINAL.has((await task(name)).status?.phase), `task ${name} to finish`, timeoutMs);
      return await task(name);
    },
    async close() {
      approvals.stop();
      reviews.stop();
      await engine.stop();
      memory.close();
      r.close();
    },
  };
}

/** An agent whose prompt names it, so the fake model can tell agents apart. */
export const agentSpec = (name: string, endpoint: string, extra: Record<string, unknown> = {}) => ({ model_ref: endpoint, prompt: `agent:${name} You are ${name}.`, ...extra });

/**
 * A harness with a fake openai-compatible model per test, torn down after each: `world` applies
 * the endpoint, one agent per name and the system `sys`; `extraModel` starts another fake model.
 */
export function worldPerTest() {
  let current: Harness | undefined;
  let models: ReturnType<typeof fakeModel>[] = [];
  afterEach(async () => {
    await current?.close();
    for (const m of models) await m.stop();
    current = undefined;
    models = [];
  });
  const extraModel = (answer: Parameters<typeof fakeModel>[0]) => {
    const m = fakeModel(answer);
    models.push(m);
    return m;
  };
  const world = async (answer: Parameters<typeof fakeModel>[0], agents: string[], graph: Record<string, unknown> = {}, agentExtra: Record<string, unknown> = {}) => {
    const model = extraModel(answer);
    const h = (current = await startHarness());
    await h.apply('ModelEndpoint', 'fake', { provider: 'openai-compatible', base_url: model.url, default_model: 'fake-1' });
    for (const a of agents) await h.apply('Agent', a, agentSpec(a, 'fake', agentExtra));
    await h.apply('AgentSystem', 'sys', { agents, graph });
    return { h, model };
  };
  return { world, extraModel };
}
