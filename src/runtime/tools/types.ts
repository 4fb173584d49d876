// The ToolRuntime port the agent loop calls, the result it records in trace rows, and the
// Transport interface each tool type (one file per type) implements.
import type { Spec } from '../../registry/kind';
import type { ToolError, ToolErrorBody, ToolOutput, ToolRequestEnvelope } from './contract';

/** A normalized Tool spec as stored (see src/resources/tool.ts for its schema and defaults). */
export type ToolSpec = Spec;

export interface ToolRef {
  name: string;
  namespace?: string;
  spec: ToolSpec;
}

/** Where the call comes from; copied into the request envelope. */
export interface ToolCallContext {
  taskId?: string;
  namespace?: string;
  agent?: string;
  traceId?: string;
  spanId?: string;
}

export interface ToolCall {
  /** Stable across retries of the same call so that tool servers can deduplicate. */
  requestId: string;
  /** The model's arguments: a JSON string as written by the model, or an object. */
  input?: string | Record<string, unknown>;
  context?: ToolCallContext;
}

/** Resolves a Secret reference ("name" or "ns/name") to its decoded key → value map. */
export type SecretLookup = (ref: string) => Promise<Record<string, string> | undefined>;

export interface InvokeOptions {
  /** Aborts the call (task cancelled): the result is a non-retryable `canceled` error. */
  signal?: AbortSignal;
  secrets: SecretLookup;
}

/** The tool columns of a task trace row. */
export interface ToolTraceFields {
  tool_contract_version: string;
  tool_request_id: string;
  tool_attempt: number;
  error_code?: string;
  error_reason?: string;
  retryable?: boolean;
  tool_auth_profile?: string;
  tool_auth_secret_ref?: string;
}

export interface ToolResult {
  status: 'ok' | 'error' | 'denied';
  output?: Record<string, unknown>;
  /** What goes back to the model: the result text, or the canonical error text. */
  text: string;
  error?: ToolErrorBody & { reason: string; retryable: boolean; message: string; httpStatus?: number };
  /** Attempts made (1 when the first one settled the call). */
  attempts: number;
  latencyMs: number;
  contractVersion: string;
  requestId: string;
  trace: ToolTraceFields;
}

export interface ToolRuntime {
  /** Never throws: every failure comes back as an error result. */
  invoke(tool: ToolRef, call: ToolCall, opts: InvokeOptions): Promise<ToolResult>;
  /** Adds (or replaces) the transport of a tool type, the way the model gateway registers providers. */
  register(type: string, transport: Transport): void;
  /** Tool types with a transport, sorted. */
  types(): string[];
  /** Closes every transport that holds something open (processes, sessions, threads). */
  close(): Promise<void>;
}

/** Everything a transport needs for one attempt; auth headers are resolved already. */
export interface AttemptContext {
  tool: ToolRef;
  envelope: ToolRequestEnvelope;
  /** The arguments as a JSON text (plain `http` tools receive only this). */
  inputJson: string;
  /** The arguments as an object: a JSON object as given, anything else as {"input": …}. */
  input: Record<string, unknown>;
  /** The namespace the call runs in (the task's, else the tool's, else `default`). */
  namespace: string;
  /** Secret lookup in that namespace, for transports that read credentials themselves (cli env_from, MCP). */
  secrets: SecretLookup;
  headers: Record<string, string>;
  /** Aborted when the attempt times out or the caller cancels. */
  signal: AbortSignal;
  timeoutMs: number;
  fetch: typeof fetch;
  /** Egress check for any further URL the transport contacts. */
  guard: (url: URL) => Promise<void>;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Transport {
  /** One attempt. Throw a ToolError for a failure; other errors become retryable execution_failed. */
  call(ctx: AttemptContext): Promise<ToolOutput>;
  /**
   * Isolation modes the transport provides by itself (wasm runs in its own sandbox). `none` is
   * always accepted; any other mode not listed fails closed with isolation_unavailable.
   */
  isolation?: readonly string[];
  /** Spec problems found before any attempt (missing endpoint, command not allowed): non-retryable. */
  check?(tool: ToolRef): ToolError | undefined;
  /** Releases what the transport holds open; called once when the process stops. */
  close?(): Promise<void> | void;
}
