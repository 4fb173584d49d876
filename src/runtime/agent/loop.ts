// runAgent: the step loop (model call → answer or tool calls), its deadline and cancellation, the
// end-of-steps rules and the mapping of every outcome to an AgentRunResult. Never throws for run failures.
import { ModelError, type ModelRequest } from '../models';
import type { AgentRunInput, AgentRunResult, RunError } from '../engine/types';
import { formatDuration } from '../../util/duration';
import { assistantMessage, contractReminder, schemaCorrection } from './conversation';
import { journaledModelCall, modelRequestId, pause, RunAborted, stepTag, type ModelCallRecord } from './journal';
import { checkAnswer } from './output-schema';
import { readSettings } from './settings';
import { RunState, StopRun, type Completion } from './state';
import { requestedCalls, toolDefinition } from './tool-calls';
import { runToolCalls } from './tool-step';

/** Longest wait honoured from a provider's Retry-After before the next step. */
const MAX_RETRY_WAIT_MS = 10_000;

function modelFailure(e: ModelError | undefined, clean: (s: string) => string): RunError {
  return {
    code: 'model_error',
    reason: e?.code ?? 'model_error',
    retryable: e?.retryable ?? false,
    message: clean(`model execution failed: ${e?.message ?? 'no model call succeeded'}`),
  };
}

async function onModelError(run: RunState, step: number, e: ModelError): Promise<void> {
  run.trace.add({ type: 'model_error', step, model: run.input.endpoints[0]?.default_model, error_code: e.code, retryable: e.retryable, message: e.message }, run.now());
  run.lastModelError = e;
  // The same request would fail the same way (bad request, auth, config): stop now.
  if (!e.retryable) run.fail(modelFailure(e, (s) => s));
  if (e.retryAfterMs && step < run.settings.maxSteps) await pause(Math.min(e.retryAfterMs, MAX_RETRY_WAIT_MS), run.signal);
}

/** Rows for one answered model call: fallbacks that failed on the way, then model_call with tokens. */
function recordModelCall(run: RunState, step: number, record: ModelCallRecord): void {
  const res = record.response;
  run.at = record.at;
  for (const f of res.failedAttempts ?? []) {
    run.trace.add(
      { type: 'model_fallback', step, error_code: f.code, retryable: f.retryable, message: `endpoint ${f.endpoint ?? f.provider} failed, trying the next one: ${f.message}` },
      record.at,
    );
  }
  const tokens = run.tokens.add(res.usage);
  const calls = res.toolCalls.length ? `tool_calls=${res.toolCalls.map((c) => c.name).join(',')}` : '';
  const message = [res.content.trim(), calls].filter(Boolean).join('\n');
  run.trace.add({ type: 'model_call', step, model: res.model, ...tokens, latency_ms: res.latencyMs, ...(message ? { message } : {}) }, record.at);
  run.modelSucceeded = true;
  run.lastModelError = undefined;
  const budget = run.input.tokenBudget;
  if (run.tokens.exceeds(budget)) {
    run.fail({ code: 'token_budget_exceeded', reason: 'token_budget_exceeded', retryable: false, message: `token budget exceeded: used ${run.tokens.total} of ${budget}` });
  }
}

/** A reply without tool calls: the final answer, unless output_schema or the contract sends it back. */
function onAnswer(run: RunState, step: number, text: string): Completion | undefined {
  run.messages.push(assistantMessage(text, []));
  run.pendingToolError = undefined;
  let output = text;
  const schema = run.settings.outputSchema;
  if (schema) {
    const check = checkAnswer(schema, text);
    if (!check.ok) {
      run.schemaProblems = check.problems;
      run.trace.add({ type: 'output_schema_invalid', step, message: check.problems.join('; ') }, run.at);
      run.messages.push(schemaCorrection(check.problems));
      return undefined;
    }
    run.schemaProblems = undefined;
    run.validAnswer = output = check.json;
  }
  const remaining = run.contract.remaining();
  const missing = run.contract.missingMarkers(text);
  if (remaining.length && !remaining.some((t) => run.toolsByName.has(t))) {
    run.violation(step, `required tools can never be called (not tools of this agent): ${remaining.join(', ')}`);
  } else if (remaining.length || missing.length) {
    run.messages.push(contractReminder(remaining, missing));
    return undefined;
  }
  return { output, reason: run.contract.active ? 'contract satisfied' : 'completed' };
}

async function runStep(run: RunState, step: number): Promise<Completion | undefined> {
  const { input, settings } = run;
  const offered = run.offeredTools();
  const request: ModelRequest = {
    messages: [...run.messages],
    ...(offered.length ? { tools: offered.map(toolDefinition) } : {}),
    signal: run.signal,
    requestId: modelRequestId(input.runId, step),
    ...(settings.outputSchema ? { outputSchema: settings.outputSchema } : {}),
  };
  let record: ModelCallRecord;
  try {
    record = await journaledModelCall(input, step, request, run.signal);
  } catch (e) {
    if (run.signal.aborted || e instanceof RunAborted) throw new RunAborted();
    if (!(e instanceof ModelError)) throw e;
    await onModelError(run, step, e);
    return undefined;
  }
  recordModelCall(run, step, record);

  const text = record.response.content.trim() ? record.response.content : '';
  if (text) run.lastText = text;
  let calls = requestedCalls(record.response.toolCalls, text, offered, stepTag(step));
  // JSON that matches the output schema is the answer, even if it looks like a tool call.
  if (calls.length && !record.response.toolCalls.length && settings.outputSchema && checkAnswer(settings.outputSchema, text).ok) calls = [];
  // A contract whose work is done ends on the first answer carrying the markers (extra calls are ignored).
  if (!calls.length || (text && run.contract.satisfiedBy(text))) return text ? onAnswer(run, step, text) : undefined;

  run.messages.push(assistantMessage(record.response.content, calls));
  return runToolCalls(run, step, calls);
}

/** max_steps reached without a final answer. */
function exhausted(run: RunState): Completion {
  if (!run.modelSucceeded) run.fail(modelFailure(run.lastModelError, (s) => run.trace.clean(s)));
  // The steps ran out on a provider failure that may pass (429, 5xx): the message is retried, not
  // finished with whatever half-way text came before.
  if (run.lastModelError?.retryable) run.fail(modelFailure(run.lastModelError, (s) => run.trace.clean(s)));
  if (run.settings.outputSchema && run.validAnswer === undefined) {
    const problems = run.schemaProblems ?? ['no answer matching the output schema was given'];
    run.fail({ code: 'output_schema_violation', reason: 'output_schema_violation', retryable: false, message: `output does not match execution.output_schema: ${problems.join('; ')}` });
  }
  const remaining = run.contract.remaining();
  if (remaining.length) run.violation(run.steps, `run ended before the required tools were called: ${remaining.join(', ')}`);
  if (run.pendingToolError) run.fail(run.pendingToolError);
  const missing = run.contract.missingMarkers(run.lastText);
  if (missing.length && run.lastText) {
    run.trace.add({ type: 'agent_contract_warning', step: run.steps, message: `required output markers missing: ${missing.join(', ')}` }, run.at);
  }
  if (run.lastText) return { output: run.validAnswer ?? run.lastText, reason: 'max steps reached' };
  return run.fail({ code: 'max_steps_exhausted', reason: 'max_steps_exhausted', retryable: false, message: `no answer after ${run.settings.maxSteps} steps` });
}

async function steps(run: RunState): Promise<Completion> {
  for (let step = 1; step <= run.settings.maxSteps; step++) {
    if (run.signal.aborted) throw new RunAborted();
    run.steps = step;
    const done = await runStep(run, step);
    if (done) return done;
  }
  return exhausted(run);
}

export async function runAgent(input: AgentRunInput): Promise<AgentRunResult> {
  const settings = readSettings(input.spec);
  const started = input.clock.now().getTime();
  const deadline = new AbortController();
  const timer = settings.timeoutMs !== undefined ? setTimeout(() => deadline.abort(), settings.timeoutMs) : undefined;
  const run = new RunState(input, settings, AbortSignal.any([input.signal, deadline.signal]));
  const toolNames = run.tools.map((t) => t.name).join(',');
  run.trace.add(
    { type: 'agent_start', model: input.endpoints[0]?.default_model, message: `max_steps=${settings.maxSteps}${toolNames ? ` tools=${toolNames}` : ''}` },
    run.now(),
  );

  let outcome: Completion | RunError;
  try {
    outcome = await steps(run);
  } catch (e) {
    if (e instanceof StopRun) outcome = e.error;
    else if (e instanceof RunAborted || run.signal.aborted) {
      outcome = input.signal.aborted
        ? { code: 'cancelled', reason: 'task_cancelled', retryable: false, message: 'agent run cancelled' }
        : { code: 'timeout', reason: 'deadline_exceeded', retryable: true, message: `agent run timed out after ${formatDuration(settings.timeoutMs ?? 0)} (limits.timeout)` };
    } else throw e;
  } finally {
    clearTimeout(timer);
  }

  const error = 'code' in outcome ? outcome : undefined;
  if (!error) run.trace.add({ type: 'agent_worker_complete', step: run.steps, message: (outcome as Completion).reason }, run.at);
  const durationMs = Math.max(0, input.clock.now().getTime() - started);
  const tokens = run.tokens.totals();
  run.trace.end(
    {
      type: 'agent_end',
      step: run.steps,
      tool_calls: run.toolCalls,
      ...(input.memory ? { memory_writes: run.memoryWrites } : {}),
      tokens: tokens.total,
      input_tokens: tokens.input,
      output_tokens: tokens.output,
      token_usage_source: tokens.source,
      latency_ms: durationMs,
      ...(error ? { error_code: error.code, error_reason: error.reason, retryable: error.retryable, message: error.message } : { message: 'completed' }),
    },
    run.now(),
  );
  return {
    output: error ? '' : (outcome as Completion).output,
    steps: run.steps,
    toolCalls: run.toolCalls,
    tokens,
    trace: run.trace.rows,
    durationMs,
    ...(input.memory ? { memoryWrites: run.memoryWrites } : {}),
    ...(error ? { error } : {}),
  };
}
