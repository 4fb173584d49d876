// The mutable state of one agent run (conversation, tool bookkeeping, tokens, trace) and the two
// ways a run stops early: StopRun carrying a RunError, and contract violations that may only be observed.
import type { ChatMessage, ModelError } from '../models';
import type { ToolRef } from '../tools';
import type { AgentRunInput, RunError } from '../engine/types';
import { ContractState } from './contract';
import { openingMessages } from './conversation';
import { memoryToolRefs } from './memory-tools';
import type { AgentSettings } from './settings';
import { TokenMeter } from './tokens';
import { TraceRecorder } from './trace';

/** Ends the run with a failure; caught once, in runAgent. */
export class StopRun extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
    this.name = 'StopRun';
  }
}

export interface Completion {
  output: string;
  /** Why the run ended well; the message of the agent_worker_complete row. */
  reason: string;
}

export class RunState {
  readonly trace: TraceRecorder;
  readonly tokens = new TokenMeter();
  readonly contract: ContractState;
  /** The agent's tools plus the memory tools it is granted (a built-in wins over a Tool of the same name). */
  readonly tools: ToolRef[];
  readonly toolsByName: Map<string, ToolRef>;
  readonly messages: ChatMessage[];
  /** Tools that succeeded at least once. */
  readonly succeeded = new Set<string>();
  /** callKey(tool, arguments) → the successful result, for short-circuiting identical calls. */
  readonly cache = new Map<string, { text: string; requestId: string }>();
  toolCalls = 0;
  /** Entries written to the agent's Memory. */
  memoryWrites = 0;
  steps = 0;
  /** The latest non-empty model text. */
  lastText = '';
  /** The latest answer that passed output_schema, as compact JSON. */
  validAnswer?: string;
  /** Problems of the latest answer that failed output_schema. */
  schemaProblems?: string[];
  modelSucceeded = false;
  lastModelError?: ModelError;
  /** A tool failure not yet followed by a successful tool call or a text answer. */
  pendingToolError?: RunError;
  /**
   * Time of the latest journaled event. Rows that follow from a journaled call carry its time, so a
   * replayed run writes the same rows.
   */
  at: string;

  constructor(
    readonly input: AgentRunInput,
    readonly settings: AgentSettings,
    readonly signal: AbortSignal,
  ) {
    const secrets = input.endpoints.map((e) => e.apiKey).filter((k): k is string => !!k);
    this.trace = new TraceRecorder(input.agent, secrets, input.onRow);
    this.contract = new ContractState(settings);
    const builtin = memoryToolRefs(input.spec, input.memory);
    const builtinNames = new Set(builtin.map((t) => t.name));
    this.tools = [...input.tools.filter((t) => !builtinNames.has(t.name)), ...builtin];
    this.toolsByName = new Map(this.tools.map((t) => [t.name, t]));
    this.messages = openingMessages(settings.prompt, input.input);
    this.at = this.now();
  }

  now(): string {
    return this.input.clock.now().toISOString();
  }

  /**
   * Tools offered this step: all of them, minus those that already succeeded under short_circuit
   * (memory tools never count as succeeded: each call reads or writes different data).
   */
  offeredTools(): ToolRef[] {
    if (this.settings.duplicatePolicy !== 'short_circuit') return this.tools;
    return this.tools.filter((t) => !this.succeeded.has(t.name));
  }

  fail(error: RunError): never {
    throw new StopRun({ ...error, message: this.trace.clean(error.message) });
  }

  /** Records a contract violation; unless on_contract_violation is observe, the run fails with it. */
  violation(step: number | undefined, reason: string, tool?: string): void {
    this.trace.add(
      { type: 'agent_contract_violation', step, tool, error_code: 'runtime_policy_invalid', error_reason: 'agent_contract_violation', retryable: false, message: reason },
      this.at,
    );
    if (this.settings.onViolation === 'observe') return;
    this.fail({ code: 'contract_violation', reason: 'agent_contract_violation', retryable: false, message: `contract violation: ${reason}` });
  }
}
