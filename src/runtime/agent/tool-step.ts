// Running the tool calls of one model reply: permission, contract order, duplicates (short-circuit
// or deny), authorization, the journaled invocation, its trace row, and the tool message answering each call.
import type { ApprovalRequest } from '../engine/types';
import type { ToolDecision } from '../governance/tool-authorizer';
import type { ToolCall } from '../models';
import type { ToolRef } from '../tools';
import { toolErrorMessage, toolResultMessage } from './conversation';
import { journaledToolCall, type ToolCallRecord } from './journal';
import { isMemoryTool, memoryWrites } from './memory-tools';
import type { Completion, RunState } from './state';
import { callKey, toolInput } from './tool-calls';

function permissionDenied(run: RunState, step: number, tool: string, detail: string, extra: Record<string, unknown> = {}): never {
  run.trace.add(
    {
      type: 'tool_permission_denied',
      step,
      tool,
      error_code: 'permission_denied',
      error_reason: 'tool_permission_denied',
      retryable: false,
      ...extra,
      message: detail,
    },
    run.at,
  );
  return run.fail({
    code: 'permission_denied',
    reason: 'tool_permission_denied',
    retryable: false,
    message: `tool permission denied: agent=${run.input.agent} step=${step} tool=${tool}: ${detail}`,
  });
}

/**
 * Waiting for a human is not something the model can fix: stop, carrying the call, so the engine
 * pauses the task for a ToolApproval. Without `approval` (already approved) it is a plain failure.
 */
function approvalRequired(run: RunState, step: number, tool: string, reason: string, detail = '', approval?: ApprovalRequest): never {
  const message = `tool approval required: agent=${run.input.agent} step=${step} tool=${tool}${detail}`;
  return run.fail({ code: 'tool_approval_required', reason, retryable: false, message, ...(approval ? { approval } : {}) });
}

/** Stops the run unless the agent's roles and the ToolPermissions allow this call, or a person approved it. */
async function authorize(run: RunState, step: number, tool: ToolRef, input: string | Record<string, unknown>): Promise<void> {
  const decision: ToolDecision | undefined = run.input.authorize?.(tool);
  if (!decision || decision.verdict === 'allow') return;
  if (decision.verdict === 'deny') permissionDenied(run, step, tool.name, decision.reason);
  if (await run.input.approved?.(tool.name)) {
    run.trace.add({ type: 'tool_approval_granted', step, tool: tool.name, message: `approved: ${decision.reason}` }, run.at);
    return;
  }
  const reason = 'tool_approval_pending';
  run.trace.add(
    { type: 'tool_error', step, tool: tool.name, error_code: 'approval_pending', error_reason: reason, retryable: false, message: `approval required: ${decision.reason}` },
    run.at,
  );
  const rule = decision.rule && decision.operationClass ? `rule=${decision.rule} operation_class=${decision.operationClass} verdict=approval_required` : decision.reason;
  approvalRequired(run, step, tool.name, reason, `: ${decision.reason}`, { tool: tool.name, operationClass: decision.operationClass, reason: rule, input });
}

function succeeded(run: RunState, call: ToolCall, text: string): Completion | undefined {
  run.toolCalls++;
  run.pendingToolError = undefined;
  run.messages.push(toolResultMessage(call, text));
  return run.settings.stopOnFirstTool ? { output: text, reason: 'stop_on_first_tool' } : undefined;
}

async function recordOutcome(run: RunState, step: number, call: ToolCall, key: string, record: ToolCallRecord, input: string | Record<string, unknown>, memory: boolean): Promise<Completion | undefined> {
  const r = record.result;
  run.at = record.at;
  const row = { step, tool: call.name, ...r.trace, latency_ms: r.latencyMs };
  if (r.status === 'ok') {
    run.trace.add({ type: 'tool_call', ...row, message: 'success' }, record.at);
    if (memory) {
      // Memory calls are neither withdrawn nor short-circuited: a read after a write must see it.
      run.memoryWrites += memoryWrites(call.name, r.text);
    } else {
      run.succeeded.add(call.name);
      run.cache.set(key, { text: r.text, requestId: r.requestId });
    }
    run.contract.succeeded(call.name);
    return succeeded(run, call, r.text);
  }
  if (r.status === 'denied' || r.error?.code === 'permission_denied') permissionDenied(run, step, call.name, r.text, { ...r.trace, latency_ms: r.latencyMs });
  run.trace.add({ type: 'tool_error', ...row, message: r.text }, record.at);
  if (r.error?.code === 'approval_pending') {
    // The tool itself asks for a person. Once approved, a tool that still asks fails the run.
    const approval = (await run.input.approved?.(call.name)) ? undefined : { tool: call.name, reason: r.error.reason || 'tool_approval_pending', input };
    approvalRequired(run, step, call.name, r.error.reason, '', approval);
  }
  run.messages.push(toolErrorMessage(call, r.text));
  run.pendingToolError = {
    code: 'tool_error',
    reason: r.error?.reason ?? r.trace.error_reason ?? 'tool_backend_failure',
    retryable: r.error?.retryable ?? r.trace.retryable ?? false,
    message: r.text,
  };
  return undefined;
}

async function runCall(run: RunState, step: number, n: number, call: ToolCall): Promise<Completion | undefined> {
  const tool: ToolRef | undefined = run.toolsByName.get(call.name);
  if (!tool) permissionDenied(run, step, call.name, `the agent has no tool named ${call.name}`);

  const order = run.contract.checkCall(call.name);
  if (!order.ok) run.violation(step, order.reason, call.name);
  const duplicate = run.contract.checkDuplicate(call.name, run.succeeded.has(call.name));
  if (!duplicate.ok) run.violation(step, duplicate.reason, call.name);

  const key = callKey(call.name, call.arguments);
  const cached = run.cache.get(key);
  if (cached) {
    run.trace.add({ type: 'tool_call', step, tool: call.name, tool_request_id: cached.requestId, message: 'short_circuit' }, run.at);
    return succeeded(run, call, cached.text);
  }
  const input = toolInput(call.arguments);
  // Built-in memory tools bypass roles and ToolPermissions: spec.memory.allow is their grant.
  const memory = isMemoryTool(tool!);
  if (!memory) await authorize(run, step, tool!, input);
  const record = await journaledToolCall(run.input, step, n, tool!, input, run.signal);
  return await recordOutcome(run, step, call, key, record, input, memory);
}

/** Runs the calls in order; every call gets a tool message unless the run stops first. */
export async function runToolCalls(run: RunState, step: number, calls: ToolCall[]): Promise<Completion | undefined> {
  for (let i = 0; i < calls.length; i++) {
    const done = await runCall(run, step, i + 1, calls[i]);
    if (done) return done;
  }
  return undefined;
}
