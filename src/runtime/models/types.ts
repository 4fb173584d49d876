// The provider-neutral model interface: request, response, endpoint config and the structured
// ModelError every provider raises. Providers translate these shapes to and from their wire formats.
import { Type as t, type Static } from '@sinclair/typebox';

export const ToolCall = t.Object({
  id: t.String(),
  name: t.String(),
  arguments: t.Record(t.String(), t.Unknown(), { description: 'Parsed JSON arguments.' }),
});
export type ToolCall = Static<typeof ToolCall>;

export const ChatMessage = t.Object({
  role: t.Union([t.Literal('system'), t.Literal('user'), t.Literal('assistant'), t.Literal('tool')]),
  content: t.String(),
  tool_calls: t.Optional(t.Array(ToolCall)),
  /** On a `tool` message: the id of the assistant tool call it answers. */
  tool_call_id: t.Optional(t.String()),
  /** On a `tool` message: the tool's name (some wire formats carry it). */
  name: t.Optional(t.String()),
});
export type ChatMessage = Static<typeof ChatMessage>;

export const ToolDefinition = t.Object({
  name: t.String(),
  description: t.Optional(t.String()),
  parameters: t.Record(t.String(), t.Unknown(), { description: 'JSON Schema of the arguments object.' }),
});
export type ToolDefinition = Static<typeof ToolDefinition>;

export const TokenUsage = t.Object({
  inputTokens: t.Integer(),
  outputTokens: t.Integer(),
  /** True when the provider reported nothing and the numbers are a chars/4 estimate. */
  estimated: t.Boolean(),
});
export type TokenUsage = Static<typeof TokenUsage>;

export interface ModelRequest {
  /** Model id; defaults to the endpoint's default_model (with fallback: first endpoint only). */
  model?: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Sent as the `Idempotency-Key` header on every provider request (same key for every fallback endpoint). */
  requestId?: string;
  /** JSON Schema the final text answer must match; each provider maps it to its structured-output form. */
  outputSchema?: Record<string, unknown>;
}

/** Normalised finish reasons; unknown provider values pass through unchanged. */
export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | (string & {});

export interface ModelResponse {
  content: string;
  toolCalls: ToolCall[];
  usage: TokenUsage;
  finishReason: FinishReason;
  model: string;
  /** Canonical provider name that answered, and the endpoint's name when known. */
  provider: string;
  endpoint?: string;
  latencyMs: number;
}

/** What a provider returns before the gateway fills in usage estimates and bookkeeping. */
export interface ProviderResult {
  content: string;
  toolCalls: ToolCall[];
  usage?: { inputTokens: number; outputTokens: number };
  finishReason: FinishReason;
  model: string;
}

/**
 * A ModelEndpoint's spec fields as the runtime uses them (src/resources/model-endpoint.ts holds the
 * schema; its `strict()` helper erases property types, so they are restated here), plus the key
 * resolved from auth.secretRef.
 */
export interface EndpointConfig {
  provider?: string;
  base_url?: string;
  default_model: string;
  /** Lower-cased keys, string values (api_version, anthropic_version, max_tokens, deployment, timeout, …). */
  options?: Record<string, string>;
  auth?: { secretRef?: string };
  allowPrivate?: boolean;
  /** `namespace/name` of the ModelEndpoint, for errors and traces. */
  name?: string;
  /** The key resolved from auth.secretRef; never logged, redacted from every error. */
  apiKey?: string;
}

export type ModelErrorCode =
  | 'rate_limited'
  | 'server_error'
  | 'bad_request'
  | 'not_found'
  | 'auth_failed'
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'invalid_response'
  | 'empty_response'
  | 'invalid_config'
  | 'unknown_provider'
  | 'egress_denied';

const RETRYABLE_CODES: ReadonlySet<ModelErrorCode> = new Set(['rate_limited', 'server_error', 'timeout', 'network', 'empty_response']);

export interface ModelErrorInit {
  code: ModelErrorCode;
  provider: string;
  message: string;
  status?: number;
  retryable?: boolean;
  endpoint?: string;
  /** From Retry-After on 429/503, in milliseconds. */
  retryAfterMs?: number;
}

/** A structured model failure. Messages are redacted before construction and never hold keys. */
export class ModelError extends Error {
  readonly code: ModelErrorCode;
  readonly provider: string;
  readonly status?: number;
  readonly retryable: boolean;
  endpoint?: string;
  readonly retryAfterMs?: number;

  constructor(init: ModelErrorInit) {
    super(init.message);
    this.name = 'ModelError';
    this.code = init.code;
    this.provider = init.provider;
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable ?? (init.status !== undefined ? isRetryableStatus(init.status) : RETRYABLE_CODES.has(init.code));
  }

  toJSON() {
    return {
      code: this.code,
      provider: this.provider,
      status: this.status,
      retryable: this.retryable,
      endpoint: this.endpoint,
      retryAfterMs: this.retryAfterMs,
      message: this.message,
    };
  }
}

/** 429, 408 and 5xx may succeed on another try or endpoint; other 4xx will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Everything a provider may use: the shared HTTP helper already bound to egress, timeout and redaction. */
export interface ProviderContext {
  postJson(req: { url: string; headers: Record<string, string>; body: unknown }): Promise<unknown>;
  /** Options map with lower-cased keys (empty when the endpoint has none). */
  options: Record<string, string>;
  /** The model id to send. */
  model: string;
}

export interface ModelProvider {
  /** Canonical name, e.g. "azure-openai". */
  name: string;
  /** Other spellings accepted in spec.provider, e.g. "azure", "azure_openai". */
  aliases?: string[];
  complete(endpoint: EndpointConfig, request: ModelRequest, ctx: ProviderContext): Promise<ProviderResult>;
}
