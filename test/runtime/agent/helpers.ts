// Test helpers for the agent loop: an in-memory JSON step journal, a fixed clock, endpoints for the
// fake model server per wire format, real tool servers, and a builder for AgentRunInput.
import { afterEach, expect } from 'bun:test';
import { createModelGateway, type EndpointConfig } from '../../../src/runtime/models';
import { createToolRuntime } from '../../../src/runtime/tools';
import type { ToolRef } from '../../../src/runtime/tools';
import type { AgentRunInput, AgentRunResult, StepJournal, TraceRow } from '../../../src/runtime/engine/types';
import type { Clock } from '../../../src/util/time';
import { startFakeServer, type FakeServer } from '../models/fake-model-server';
import { json, noSecrets, okEnvelope, toolServer, type Handler } from '../tools/helpers';

export const T0 = '2025-03-01T10:00:00.000Z';
export const fixedClock: Clock = { now: () => new Date(T0) };
export const KEY = 'sk-agent-test-key-0123456789';
export const RUN = 'msg-1/m01';

/** A StepJournal over a Map that stores JSON text, as a database-backed journal would. */
export function memoryJournal(): StepJournal & { entries: Map<string, string>; keys(): string[] } {
  const entries = new Map<string, string>();
  return {
    entries,
    keys: () => [...entries.keys()],
    async once<T>(key: string, fn: () => Promise<T>): Promise<T> {
      if (!entries.has(key)) entries.set(key, JSON.stringify(await fn()));
      return JSON.parse(entries.get(key)!) as T;
    },
  };
}

/** Fake model servers and tool servers created by a test file, stopped after each test. */
export function servers() {
  const started: Array<{ stop(): void }> = [];
  afterEach(() => {
    for (const s of started.splice(0)) s.stop();
  });
  return {
    model(): FakeServer {
      const s = startFakeServer();
      started.push(s);
      return s;
    },
    tool(handler: Handler) {
      const s = toolServer(handler);
      started.push(s);
      return s;
    },
  };
}

export const endpoints = {
  openai: (s: FakeServer, name = 'default/gpt'): EndpointConfig => ({ provider: 'openai', base_url: `${s.url}/v1`, default_model: 'gpt-test', apiKey: KEY, name }),
  anthropic: (s: FakeServer): EndpointConfig => ({ provider: 'anthropic', base_url: `${s.url}/v1`, default_model: 'claude-test', apiKey: KEY, name: 'default/claude' }),
  ollama: (s: FakeServer): EndpointConfig => ({ provider: 'ollama', base_url: s.url, default_model: 'llama-test', name: 'default/llama' }),
  mock: (): EndpointConfig => ({ provider: 'mock', default_model: 'mock-1', name: 'default/mock' }),
};

/** A tool server answering v1 envelopes with `result(input, n)` as output.result. */
export function echoHandler(result: (input: any, n: number) => string): Handler {
  return (req, n) => json(okEnvelope(req.json.request_id, { result: result(req.json.input, n) }));
}

export function tool(name: string, url: string, spec: Record<string, unknown> = {}): ToolRef {
  return { name, namespace: 'default', spec: { type: 'external', endpoint: url, ...spec } };
}

export function agentInput(over: Partial<AgentRunInput> & { spec?: Record<string, any> } = {}): AgentRunInput {
  return {
    namespace: 'default',
    agent: 'writer',
    spec: { model_ref: 'gpt', prompt: 'You are a careful writer.' },
    endpoints: [],
    tools: [],
    input: { topic: 'leases' },
    gateway: createModelGateway({ clock: fixedClock }),
    toolRuntime: createToolRuntime({ clock: fixedClock }),
    secrets: noSecrets,
    journal: memoryJournal(),
    runId: RUN,
    taskId: 'default/task-1',
    traceId: 'trace-1',
    signal: new AbortController().signal,
    clock: fixedClock,
    ...over,
  };
}

/** Trace rows without the timestamp and agent columns, after checking those are the fixed ones. */
export function rows(result: AgentRunResult, agent = 'writer'): Array<Omit<TraceRow, 'timestamp' | 'agent'>> {
  for (const r of result.trace) expect([r.timestamp, r.agent]).toEqual([T0, agent]);
  return result.trace.map(({ timestamp: _t, agent: _a, ...rest }) => rest);
}

/** The trace row types in order. */
export const types = (result: AgentRunResult) => result.trace.map((r) => r.type);
