// Durable calls: every model and tool call runs through the step journal under a fixed key, so a
// resumed run replays completed calls; also the key/request-id formats and abort-aware waiting.
import type { ModelRequest, ModelResponse } from '../models';
import type { ToolRef, ToolResult } from '../tools';
import type { AgentRunInput } from '../engine/types';
import { invokeMemoryTool, isMemoryTool } from './memory-tools';

/** `s01`, `s02`, … `s10`, `s100`: the step part of every key and request id. */
export const stepTag = (step: number) => `s${String(step).padStart(2, '0')}`;
export const modelJournalKey = (runId: string, step: number) => `${runId}/${stepTag(step)}/model`;
export const toolJournalKey = (runId: string, step: number, n: number) => `${runId}/${stepTag(step)}/tool/${n}`;
/** Idempotency-Key of the step's model request (the same for every fallback endpoint). */
export const modelRequestId = (runId: string, step: number) => `${runId}/${stepTag(step)}`;
/** request_id of the tool contract envelope (stable across the tool runtime's retries). */
export const toolRequestId = (runId: string, step: number, tool: string, n: number) => `${runId}/${stepTag(step)}/${tool}/${n}`;

/** A fallback endpoint's failure, kept as plain data (ModelError.toJSON()). */
export interface FailedAttempt {
  code: string;
  provider: string;
  status?: number;
  retryable: boolean;
  endpoint?: string;
  message: string;
}

/** What the journal stores for a model call: plain JSON only, with the time the call finished. */
export interface ModelCallRecord {
  at: string;
  response: ModelResponse & { failedAttempts?: FailedAttempt[] };
}

/** What the journal stores for a tool call; `output` is dropped (the model only ever sees `text`). */
export interface ToolCallRecord {
  at: string;
  result: Omit<ToolResult, 'output'>;
}

/** Thrown when the run's signal (deadline or cancellation) fires while waiting. */
export class RunAborted extends Error {
  constructor() {
    super('agent run aborted');
    this.name = 'RunAborted';
  }
}

/** Settles with `p`, or rejects with RunAborted as soon as the signal fires. */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  // The abandoned promise may still reject later; that must not become an unhandled rejection.
  void p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new RunAborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RunAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits `ms`, returning early when the signal fires. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function plainResponse(res: ModelResponse & { failedAttempts?: Array<{ toJSON(): FailedAttempt }> }): ModelCallRecord['response'] {
  return {
    content: res.content,
    toolCalls: res.toolCalls,
    usage: res.usage,
    finishReason: res.finishReason,
    model: res.model,
    provider: res.provider,
    ...(res.endpoint ? { endpoint: res.endpoint } : {}),
    latencyMs: res.latencyMs,
    ...(res.failedAttempts?.length ? { failedAttempts: res.failedAttempts.map((e) => e.toJSON()) } : {}),
  };
}

/** The step's model call, replayed from the journal when recorded; a thrown ModelError records nothing. */
export function journaledModelCall(input: AgentRunInput, step: number, request: ModelRequest, signal: AbortSignal): Promise<ModelCallRecord> {
  const call = input.journal.once<ModelCallRecord>(modelJournalKey(input.runId, step), async () => {
    const res = await input.gateway.completeWithFallback(input.endpoints, request);
    return { at: input.clock.now().toISOString(), response: plainResponse(res) };
  });
  return untilAborted(call, signal);
}

/**
 * The n-th tool call of a step. The tool runtime never throws, but a result produced because the
 * run was aborted is not a real outcome: it is not recorded, so a resumed run calls the tool again.
 */
export function journaledToolCall(
  input: AgentRunInput,
  step: number,
  n: number,
  tool: ToolRef,
  callInput: string | Record<string, unknown>,
  signal: AbortSignal,
): Promise<ToolCallRecord> {
  const requestId = toolRequestId(input.runId, step, tool.name, n);
  const call = input.journal
    .once<ToolCallRecord>(toolJournalKey(input.runId, step, n), async () => {
      const context = { taskId: input.taskId, namespace: input.namespace, agent: input.agent, traceId: input.traceId };
      const call = { requestId, input: callInput, context };
      // Memory tools run in-process against the agent's Memory; every other tool through the runtime.
      const result = isMemoryTool(tool) ? await invokeMemoryTool(input, tool, call, signal) : await input.toolRuntime.invoke(tool, call, { signal, secrets: input.secrets });
      if (signal.aborted) throw new RunAborted();
      const { output: _output, ...kept } = result;
      const record = { at: input.clock.now().toISOString(), result: kept };
      // A tool waiting for a person is asked again once the task resumes: not recorded.
      if (kept.error?.code === 'approval_pending') throw new NotRecorded(record);
      return record;
    })
    .catch((e) => {
      if (e instanceof NotRecorded) return e.record;
      throw e;
    });
  return untilAborted(call, signal);
}

/** Carries a tool outcome out of the journal without recording it. */
class NotRecorded extends Error {
  constructor(readonly record: ToolCallRecord) {
    super('not recorded');
  }
}
