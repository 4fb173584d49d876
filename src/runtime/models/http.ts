// The one HTTP path every provider uses: egress check, JSON POST with a timeout joined to the
// caller's abort signal, and mapping of failures to redacted, structured ModelErrors.
import type { Clock } from '../../util/time';
import { checkEgress, type EgressOptions } from './egress';
import { redactSecrets } from './redact';
import { ModelError, type ModelErrorCode } from './types';

export interface HttpSettings {
  provider: string;
  endpoint?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key` so a provider (or a proxy) can drop a repeated request. */
  requestId?: string;
  /** Values that must never appear in an error (the API key). */
  secrets: string[];
  egress: EgressOptions;
  allowPrivate: boolean;
  fetch: typeof fetch;
  clock: Clock;
}

const MAX_ERROR_TEXT = 500;

function codeForStatus(status: number): ModelErrorCode {
  if (status === 401 || status === 403) return 'auth_failed';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

/** The human part of a provider's error body: OpenAI/Anthropic `error.message`, Ollama `error`, or raw text. */
function errorText(raw: string): string {
  try {
    const body = JSON.parse(raw) as any;
    const msg = body?.error?.message ?? (typeof body?.error === 'string' ? body.error : undefined) ?? body?.message ?? body?.detail;
    if (typeof msg === 'string' && msg.trim()) return msg.trim();
  } catch {
    // not JSON: use the text itself
  }
  return raw.trim() || 'no error body';
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | null, clock: Clock): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - clock.now().getTime());
}

/** Header values must be printable ASCII; anything else is percent-encoded rather than rejected by fetch. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export function createPostJson(s: HttpSettings) {
  const fail = (code: ModelErrorCode, message: string, extra: { status?: number; retryAfterMs?: number; retryable?: boolean } = {}) =>
    new ModelError({
      code,
      provider: s.provider,
      endpoint: s.endpoint,
      message: `${s.provider}: ${redactSecrets(message, s.secrets).slice(0, MAX_ERROR_TEXT)}`,
      ...extra,
    });

  return async function postJson(req: { url: string; headers: Record<string, string>; body: unknown }): Promise<unknown> {
    if (s.signal?.aborted) throw fail('aborted', 'model request aborted');
    let decision;
    try {
      decision = await checkEgress(req.url, s.allowPrivate, s.egress);
    } catch (e) {
      throw fail('network', `cannot resolve model endpoint host: ${(e as Error).message}`);
    }
    if (!decision.allowed) throw fail('egress_denied', `egress refused: ${decision.reason}`, { retryable: false });

    const timeout = AbortSignal.timeout(s.timeoutMs);
    const signal = s.signal ? AbortSignal.any([s.signal, timeout]) : timeout;
    let status = 0;
    let raw: string;
    let res: Response;
    try {
      res = await s.fetch(req.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(s.requestId ? { 'idempotency-key': headerSafe(s.requestId) } : {}),
          ...req.headers,
        },
        body: JSON.stringify(req.body),
        signal,
        // A redirect could point anywhere, including a metadata address: never follow one.
        redirect: 'manual',
      });
      status = res.status;
      raw = await res.text();
    } catch (e) {
      if (s.signal?.aborted) throw fail('aborted', 'model request aborted');
      if (timeout.aborted) throw fail('timeout', `model request timed out after ${s.timeoutMs}ms`);
      throw fail('network', `model request failed: ${(e as Error).message}`);
    }
    if (status >= 300 && status < 400) throw fail('invalid_response', `model endpoint answered a redirect (status=${status})`, { retryable: false });
    if (status >= 400) {
      throw fail(codeForStatus(status), `model request failed status=${status}: ${errorText(raw)}`, {
        status,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after'), s.clock),
      });
    }
    try {
      return JSON.parse(raw);
    } catch {
      throw fail('invalid_response', `model endpoint returned non-JSON (status=${status})`, { retryable: false });
    }
  };
}
