// Tool contract v1: the request/response envelopes exchanged with tool servers, the canonical error
// taxonomy (code, reason, retryability) and ToolError, the structured error every layer throws.
import { Type as t, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const CONTRACT_VERSION = 'v1';

const Trace = t.Object({ trace_id: t.Optional(t.String()), span_id: t.Optional(t.String()) });

export const ToolRequestEnvelope = t.Object(
  {
    tool_contract_version: t.Literal(CONTRACT_VERSION),
    request_id: t.String({ minLength: 1 }),
    task_id: t.Optional(t.String()),
    namespace: t.Optional(t.String()),
    agent: t.Optional(t.String()),
    tool: t.Object({
      name: t.String({ minLength: 1 }),
      operation: t.String({ description: 'Always "invoke" in v1.' }),
      capabilities: t.Optional(t.Array(t.String())),
      risk_level: t.Optional(t.String()),
    }),
    input: t.Record(t.String(), t.Unknown(), { description: 'Arguments as a JSON object.' }),
    input_raw: t.Optional(t.String({ description: 'The arguments exactly as the model wrote them.' })),
    runtime: t.Optional(
      t.Object({
        mode: t.String(),
        timeout_ms: t.Integer(),
        max_attempts: t.Integer(),
        backoff: t.String(),
        max_backoff_ms: t.Integer(),
        jitter: t.Boolean({ description: 'True when the tool retries with jitter (full or equal).' }),
      }),
    ),
    auth: t.Optional(t.Object({ profile: t.String(), secret_ref: t.String(), scopes: t.Optional(t.Array(t.String())) })),
    trace: t.Optional(Trace),
    attempt: t.Integer({ minimum: 1 }),
    callback_url: t.Optional(t.String({ description: 'webhook-callback only: where to POST the response.' })),
    callback_token: t.Optional(t.String({ description: 'webhook-callback only: bearer token for the callback.' })),
  },
  { $id: 'ToolRequestEnvelope', description: 'Tool contract v1 request.' },
);
export type ToolRequestEnvelope = Static<typeof ToolRequestEnvelope>;

export const ToolErrorBody = t.Object({
  code: t.String(),
  reason: t.Optional(t.String()),
  retryable: t.Optional(t.Boolean()),
  message: t.Optional(t.String()),
  details: t.Optional(t.Record(t.String(), t.Unknown())),
});
export type ToolErrorBody = Static<typeof ToolErrorBody>;

export const ToolResponseEnvelope = t.Object(
  {
    tool_contract_version: t.Optional(t.String()),
    request_id: t.Optional(t.String()),
    status: t.Optional(t.Union([t.Literal(''), t.Literal('ok'), t.Literal('error'), t.Literal('denied')])),
    output: t.Optional(t.Record(t.String(), t.Unknown())),
    usage: t.Optional(t.Object({ duration_ms: t.Optional(t.Number()), attempt: t.Optional(t.Integer()) })),
    trace: t.Optional(Trace),
    error: t.Optional(ToolErrorBody),
  },
  { $id: 'ToolResponseEnvelope', description: 'Tool contract v1 response.' },
);
export type ToolResponseEnvelope = Static<typeof ToolResponseEnvelope>;

/** Canonical error codes with their reason and default retryability. */
export const ERROR_TAXONOMY = {
  invalid_input: { reason: 'tool_invalid_input', retryable: false },
  unsupported_tool: { reason: 'tool_unsupported', retryable: false },
  runtime_policy_invalid: { reason: 'tool_runtime_policy_invalid', retryable: false },
  isolation_unavailable: { reason: 'tool_isolation_unavailable', retryable: false },
  permission_denied: { reason: 'tool_permission_denied', retryable: false },
  secret_resolution_failed: { reason: 'tool_secret_resolution_failed', retryable: false },
  timeout: { reason: 'tool_execution_timeout', retryable: true },
  canceled: { reason: 'tool_execution_canceled', retryable: false },
  execution_failed: { reason: 'tool_backend_failure', retryable: true },
  auth_invalid: { reason: 'tool_auth_invalid', retryable: false },
  auth_forbidden: { reason: 'tool_auth_forbidden', retryable: false },
  auth_expired: { reason: 'tool_auth_expired', retryable: false },
  approval_pending: { reason: 'tool_approval_pending', retryable: false },
  approval_denied: { reason: 'tool_approval_denied', retryable: false },
  approval_timeout: { reason: 'tool_approval_timeout', retryable: false },
} as const;
export type ToolErrorCode = keyof typeof ERROR_TAXONOMY;

export interface ToolErrorInit {
  reason?: string;
  retryable?: boolean;
  /** HTTP status of the tool's reply, when the error came from one. */
  status?: number;
  details?: Record<string, unknown>;
  /** "denied" for governance denials; "error" otherwise. */
  toolStatus?: 'error' | 'denied';
}

/** A tool failure with its canonical code, reason and retryability; never carries secret values. */
export class ToolError extends Error {
  readonly reason: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly details?: Record<string, unknown>;
  readonly toolStatus: 'error' | 'denied';

  constructor(
    readonly code: string,
    message: string,
    init: ToolErrorInit = {},
  ) {
    super(message);
    this.name = 'ToolError';
    const known = ERROR_TAXONOMY[code as ToolErrorCode];
    this.reason = init.reason ?? known?.reason ?? `tool_${code}`;
    this.retryable = init.retryable ?? known?.retryable ?? false;
    this.status = init.status;
    this.details = init.details;
    this.toolStatus = init.toolStatus ?? (code === 'permission_denied' ? 'denied' : 'error');
  }

  /** The error object of a v1 response envelope. */
  toBody(): ToolErrorBody {
    return { code: this.code, reason: this.reason, retryable: this.retryable, message: this.message, details: this.details ?? {} };
  }

  /**
   * Orloj's canonical error text (`tool_status=… tool_code=… tool_reason=… retryable=… message=…`),
   * which text-based classifiers and existing UIs parse; values with spaces are JSON-quoted.
   */
  canonicalText(): string {
    const q = (v: unknown) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
    };
    const parts = [`tool_status=${this.toolStatus}`, `tool_code=${this.code}`, `tool_reason=${this.reason}`, `retryable=${this.retryable}`, `message=${q(this.message)}`];
    for (const k of Object.keys(this.details ?? {}).sort()) parts.push(`${k}=${q(this.details![k])}`);
    return parts.join(' ');
  }
}

/** Error body from a remote envelope, normalized: missing reason/retryable come from the taxonomy. */
export function errorFromBody(body: ToolErrorBody, toolStatus: 'error' | 'denied', httpStatus?: number): ToolError {
  return new ToolError(body.code || 'execution_failed', body.message || `tool reported ${body.code || 'an error'}`, {
    reason: body.reason || undefined,
    retryable: body.retryable,
    details: body.details,
    status: httpStatus,
    toolStatus,
  });
}

/** True when the value looks like a v1 response (an object with a string `status`). */
export function isResponseEnvelope(v: unknown): v is ToolResponseEnvelope {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as any).status === 'string' && Value.Check(ToolResponseEnvelope, v);
}

export interface ToolOutput {
  output: Record<string, unknown>;
  /** What the model sees: output.result when it is a string, else the output as JSON. */
  text: string;
}

export function outputOf(output: Record<string, unknown> | undefined): ToolOutput {
  const o = output ?? {};
  return { output: o, text: typeof o.result === 'string' ? o.result : JSON.stringify(o) };
}

/**
 * Reads a v1 response: an ok status gives the output; error/denied give a ToolError (a non-ok
 * status without an error object is a non-retryable execution_failed, as in Orloj).
 */
export function readResponse(body: unknown): ToolOutput {
  if (!isResponseEnvelope(body)) {
    throw new ToolError('execution_failed', 'tool reply is not a v1 response envelope', { details: { cause: 'invalid_response' } });
  }
  if (body.tool_contract_version && body.tool_contract_version !== CONTRACT_VERSION) {
    throw new ToolError('execution_failed', `tool replied with unsupported contract version ${JSON.stringify(body.tool_contract_version)}`, {
      retryable: false,
      details: { cause: 'invalid_response' },
    });
  }
  if (body.status === '' || body.status === 'ok') return outputOf(body.output);
  if (!body.error) {
    throw new ToolError('execution_failed', `tool replied status ${body.status} without an error`, { retryable: false });
  }
  throw errorFromBody(body.error, body.status === 'denied' ? 'denied' : 'error');
}
