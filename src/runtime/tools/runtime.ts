// The ToolRuntime: dispatches on spec.type to its registered transport and wraps it with the
// fail-closed type and isolation check, auth injection, per-attempt timeouts and retries; it never throws.
import { systemClock, type Clock } from '../../util/time';
import { isObj } from '../../registry/normalize';
import { CONTRACT_VERSION, ToolError, type ToolOutput, type ToolRequestEnvelope } from './contract';
import { OAuth2TokenCache, bindAuth, type AuthBinding } from './auth';
import { externalTransport } from './external';
import { httpTransport } from './http';
import { realSleep, withRetry, type RetryPolicy, retryPolicy, type Sleep } from './retry';
import { checkEgress, type Lookup } from './ssrf';
import { unsupportedError } from './unsupported';
import { webhookCallbackTransport, type WebhookCallbackOptions } from './webhook-callback';
import type { ToolCall, ToolRef, ToolResult, ToolRuntime, Transport } from './types';

export interface ToolRuntimeOptions {
  fetch?: typeof fetch;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
  egress?: { denyPrivate?: boolean; lookup?: Lookup };
  callbacks?: WebhookCallbackOptions;
}

interface Input {
  object: Record<string, unknown>;
  raw: string;
  json: string;
}

/** The model's arguments in the three forms transports need. */
function normalizeInput(input: ToolCall['input']): Input {
  if (isObj(input)) {
    const json = JSON.stringify(input);
    return { object: input, raw: json, json };
  }
  const raw = typeof input === 'string' ? input : '';
  if (!raw.trim()) return { object: {}, raw, json: '{}' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    const object = { input: raw };
    return { object, raw, json: JSON.stringify(object) };
  }
  return { object: isObj(parsed) ? parsed : { input: parsed }, raw, json: raw };
}

function envelopeFor(tool: ToolRef, call: ToolCall, input: Input, policy: RetryPolicy, attempt: number): ToolRequestEnvelope {
  const ctx = call.context ?? {};
  const spec = tool.spec;
  const env: ToolRequestEnvelope = {
    tool_contract_version: CONTRACT_VERSION,
    request_id: call.requestId,
    ...(ctx.taskId ? { task_id: ctx.taskId } : {}),
    ...(ctx.namespace ?? tool.namespace ? { namespace: ctx.namespace ?? tool.namespace } : {}),
    ...(ctx.agent ? { agent: ctx.agent } : {}),
    tool: { name: tool.name, operation: 'invoke', capabilities: spec.capabilities ?? [], risk_level: spec.risk_level ?? 'low' },
    input: input.object,
    input_raw: input.raw,
    runtime: {
      mode: spec.type || 'http',
      timeout_ms: policy.timeoutMs,
      max_attempts: policy.maxAttempts,
      backoff: policy.backoff,
      max_backoff_ms: policy.maxBackoffMs,
      jitter: policy.jitter !== 'none',
    },
    attempt,
  };
  if (spec.auth?.secretRef) env.auth = { profile: spec.auth.profile || 'bearer', secret_ref: spec.auth.secretRef, scopes: spec.auth.scopes ?? [] };
  if (ctx.traceId || ctx.spanId) env.trace = { trace_id: ctx.traceId, span_id: ctx.spanId ?? call.requestId };
  return env;
}

function redact(text: string, secrets: Set<string> | undefined): string {
  let out = text;
  for (const s of secrets ?? []) if (s) out = out.split(s).join('***');
  return out;
}

export function createToolRuntime(opts: ToolRuntimeOptions = {}): ToolRuntime {
  const fetchFn = opts.fetch ?? fetch;
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const guard = (url: URL) => checkEgress(url, opts.egress);
  // One token cache per runtime (per process in the server), shared by every tool.
  const tokens = new OAuth2TokenCache({ fetch: fetchFn, clock, guard });
  const transports = new Map<string, Transport>([
    ['http', httpTransport],
    ['external', externalTransport],
    ['webhook-callback', webhookCallbackTransport(opts.callbacks)],
  ]);

  async function invoke(tool: ToolRef, call: ToolCall, o: Parameters<ToolRuntime['invoke']>[2]): Promise<ToolResult> {
    const started = clock.now().getTime();
    let attempts = 0;
    let binding: AuthBinding | undefined;
    const base = () => ({
      attempts,
      latencyMs: Math.max(0, clock.now().getTime() - started),
      contractVersion: CONTRACT_VERSION,
      requestId: call.requestId,
    });
    const traceBase = () => ({
      tool_contract_version: CONTRACT_VERSION,
      tool_request_id: call.requestId,
      tool_attempt: attempts,
      ...(binding?.profile ? { tool_auth_profile: binding.profile, tool_auth_secret_ref: binding.secretRef } : {}),
    });
    const failed = (err: ToolError): ToolResult => {
      const message = redact(err.message, binding?.secrets);
      const clean = new ToolError(err.code, message, { reason: err.reason, retryable: err.retryable, status: err.status, details: err.details, toolStatus: err.toolStatus });
      const prefix = attempts ? `tool "${tool.name}" failed after ${attempts} attempt(s)` : `tool "${tool.name}" failed`;
      return {
        status: clean.toolStatus,
        text: `${prefix}: ${clean.canonicalText()}`,
        error: { ...clean.toBody(), reason: clean.reason, retryable: clean.retryable, message, ...(clean.status ? { httpStatus: clean.status } : {}) },
        ...base(),
        trace: { ...traceBase(), error_code: clean.code, error_reason: clean.reason, retryable: clean.retryable },
      };
    };

    try {
      const blocked = unsupportedError(tool.spec, transports);
      if (blocked) throw blocked;
      const transport = transports.get((tool.spec.type || 'http').toLowerCase())!;
      const invalid = transport.check?.(tool);
      if (invalid) throw invalid;
      const policy = retryPolicy(tool.spec.runtime);
      const input = normalizeInput(call.input);
      binding = await bindAuth(tool.spec.auth, o.secrets, tokens);
      const auth = binding;
      const namespace = call.context?.namespace || tool.namespace || 'default';
      const outcome = await withRetry<ToolOutput>(policy, { sleep, random, signal: o.signal }, async (attempt, signal) => {
        attempts = attempt;
        const once = async () =>
          transport.call({
            tool,
            envelope: envelopeFor(tool, call, input, policy, attempt),
            inputJson: input.json,
            input: input.object,
            namespace,
            secrets: o.secrets,
            headers: await auth.headers(),
            signal,
            timeoutMs: policy.timeoutMs,
            fetch: fetchFn,
            guard,
            sleep,
          });
        try {
          return await once();
        } catch (e) {
          // A rejected OAuth2 token may have been revoked early: fetch a fresh one and try once more.
          if (e instanceof ToolError && e.code === 'auth_invalid' && auth.invalidate()) return await once();
          throw e;
        }
      });
      attempts = outcome.attempts;
      if (!outcome.ok) return failed(outcome.error);
      return { status: 'ok', output: outcome.value.output, text: outcome.value.text, ...base(), trace: traceBase() };
    } catch (e) {
      return failed(e instanceof ToolError ? e : new ToolError('execution_failed', e instanceof Error ? e.message : String(e)));
    }
  }

  return {
    invoke,
    register(type, transport) {
      transports.set(type.toLowerCase(), transport);
    },
    types: () => [...transports.keys()].sort(),
    async close() {
      await Promise.allSettled([...transports.values()].map(async (t) => t.close?.()));
    },
  };
}
