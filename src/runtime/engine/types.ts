// Shapes shared by the engine, the agent loop and the observability endpoints: the message and
// trace records kept in Task.status, the structured run error, and the step journal port.
import type { Clock } from '../../util/time';
import type { ToolAuthorizer } from '../governance/tool-authorizer';
import type { MemoryBackend } from '../memory/types';
import type { EndpointConfig, ModelGateway } from '../models';
import type { SecretLookup, ToolRef, ToolRuntime } from '../tools';

export type MessagePhase = 'Queued' | 'Running' | 'RetryPending' | 'WaitingApproval' | 'Succeeded' | 'DeadLetter';
export const TERMINAL_MESSAGE_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'DeadLetter']);

/** One agent-to-agent hop, kept in Task.status.messages (Orloj's TaskMessage fields). */
export interface TaskMessage {
  timestamp: string;
  message_id: string;
  idempotency_key: string;
  task_id: string;
  attempt: number;
  system: string;
  from_agent: string;
  to_agent: string;
  branch_id: string;
  parent_branch_id?: string;
  type: 'task_start' | 'task_handoff' | 'delegation_return' | (string & {});
  content: string;
  trace_id: string;
  parent_id?: string;
  phase: MessagePhase;
  attempts: number;
  max_attempts: number;
  last_error?: string;
  worker?: string;
  processed_at?: string;
  next_attempt_at?: string;
  delegate_of?: string;
  /** Loop iteration of the target node (joins keep one state per round). */
  round?: number;
  /** Times this attempt was resumed after the run holding it stopped. */
  resumes?: number;
  /** Set when a reviewer requested changes: the message runs again with this feedback. */
  review?: ReviewRequest;
}

/** A reviewer's request-changes on a TaskApproval, carried by the message that runs again. */
export interface ReviewRequest {
  feedback: string;
  previous_output: string;
  checkpoint_id: string;
  /** The review cycle the re-run's output is reviewed in (the refused one's plus one). */
  cycle: number;
  requested_by?: string;
  /** The TaskApproval the next one supersedes. */
  supersedes: string;
}

/** One row of Task.status.trace. Only the fields that apply are set. */
export interface TraceRow {
  timestamp: string;
  step_id?: string;
  attempt?: number;
  step?: number;
  branch_id?: string;
  message_id?: string;
  type: string;
  agent?: string;
  tool?: string;
  model?: string;
  tool_contract_version?: string;
  tool_request_id?: string;
  tool_attempt?: number;
  error_code?: string;
  error_reason?: string;
  retryable?: boolean;
  message?: string;
  latency_ms?: number;
  tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  token_usage_source?: 'provider' | 'estimated' | 'mixed';
  tool_calls?: number;
  memory_writes?: number;
  tool_auth_profile?: string;
  tool_auth_secret_ref?: string;
}

/**
 * Why an agent run (or a whole message) failed. `retryable` is decided where the error is born
 * (provider status, tool taxonomy, policy) and never re-derived from the text.
 */
export interface RunError {
  code:
    | 'model_error'
    | 'tool_error'
    | 'permission_denied'
    | 'contract_violation'
    | 'output_schema_violation'
    | 'policy_violation'
    | 'token_budget_exceeded'
    | 'timeout'
    | 'cancelled'
    | 'validation'
    | (string & {});
  message: string;
  retryable: boolean;
  /** Finer cause: a ModelError code, a tool error reason, … */
  reason?: string;
  /** Set on `tool_approval_required`: the call a person must approve before the run goes on. */
  approval?: ApprovalRequest;
}

/** A tool call stopped for a human decision (a ToolApproval is made from it). */
export interface ApprovalRequest {
  tool: string;
  /** The Tool's operation class whose rule asked for approval (unset when the tool itself asked). */
  operationClass?: string;
  /** Which rule asked: `rule=<ToolPermission> operation_class=<class> verdict=approval_required`, or the tool's reason. */
  reason: string;
  /** The arguments of the call, as the tool would receive them. */
  input: string | Record<string, unknown>;
}

/**
 * Write-once record of completed model and tool calls. `once` returns the recorded value for a
 * key, or runs `fn`, records its JSON result and returns what is stored (the first writer wins,
 * so two workers that raced on the same step both continue with the same result). A rejected
 * `fn` records nothing.
 */
export interface StepJournal {
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface TokenTotals {
  input: number;
  output: number;
  total: number;
  source: 'provider' | 'estimated' | 'mixed';
}

/** The Memory an agent's spec.memory.ref names, for its built-in memory tools. */
export interface AgentMemory {
  /** `namespace/name` of the Memory. */
  ref: string;
  /** Its backend in this process, built on first use (rejects with MemoryError). */
  backend(): Promise<MemoryBackend>;
}

export interface AgentRunInput {
  namespace: string;
  agent: string;
  /** The Agent's normalized spec. */
  spec: Record<string, any>;
  /** Primary endpoint first, then the fallbacks, each with its API key resolved. */
  endpoints: EndpointConfig[];
  /** Tools offered to the model, resolved from spec.tools. */
  tools: ToolRef[];
  /** Set when the agent has spec.memory.ref: the memory tools spec.memory.allow grants are offered too. */
  memory?: AgentMemory;
  /** Decides each tool call (roles and ToolPermissions); without one every offered tool may run. */
  authorize?: ToolAuthorizer;
  /** Whether a person approved calling this tool for this message (an Approved ToolApproval). */
  approved?: (tool: string) => Promise<boolean>;
  /** Task input plus inbox.* / join.* / delegation.* keys. */
  input: Record<string, string>;
  gateway: ModelGateway;
  toolRuntime: ToolRuntime;
  secrets: SecretLookup;
  journal: StepJournal;
  /** Prefix of every journal key and model/tool request id for this run, e.g. `<message_id>/m01`. */
  runId: string;
  taskId: string;
  traceId: string;
  signal: AbortSignal;
  clock: Clock;
  /** Tokens this run may still use (task and agent budgets); undefined = unlimited. */
  tokenBudget?: number;
  /** Sees each trace row as it is recorded (live progress); rows are still returned at the end. */
  onRow?: (row: TraceRow) => void;
}

export interface AgentRunResult {
  /** Final text: the hand-off content and, for the last agent, output.result. */
  output: string;
  steps: number;
  toolCalls: number;
  tokens: TokenTotals;
  trace: TraceRow[];
  durationMs: number;
  /** Entries written to the agent's Memory (memory.write calls and memory.ingest chunks). */
  memoryWrites?: number;
  error?: RunError;
}
