// Per-tool runtime policy: the per-attempt timeout (runtime.timeout) and retries of retryable
// errors with exponential backoff, a cap and jitter; sleep and random are injectable for tests.
import { formatDuration, parseDuration } from '../../util/duration';
import { ToolError } from './contract';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** The doubling stops after 2^10, as in Orloj; max_backoff caps the result anyway. */
const MAX_EXPONENT = 10;

export type Jitter = 'none' | 'full' | 'equal';
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: Jitter;
  /** The backoff as written in the spec, echoed in the request envelope. */
  backoff: string;
}

function durationField(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined || ms < 0) {
    throw new ToolError('runtime_policy_invalid', `spec.runtime.${field} ${JSON.stringify(value)} is not a valid duration`, { details: { field: `spec.runtime.${field}` } });
  }
  return ms;
}

/** Reads spec.runtime with the Tool defaults; a malformed value is a non-retryable policy error. */
export function retryPolicy(runtime: Record<string, any> | undefined): RetryPolicy {
  const retry = runtime?.retry ?? {};
  // A zero timeout would mean "unbounded"; a tool call always gets a deadline, so 0 means the default.
  const timeoutMs = durationField(runtime?.timeout, 'timeout', DEFAULT_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const attempts = Number(retry.max_attempts);
  const jitter = retry.jitter ?? 'none';
  if (jitter !== 'none' && jitter !== 'full' && jitter !== 'equal') {
    throw new ToolError('runtime_policy_invalid', `spec.runtime.retry.jitter ${JSON.stringify(jitter)} must be none, full or equal`);
  }
  return {
    timeoutMs,
    maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 1,
    backoffMs: durationField(retry.backoff, 'retry.backoff', 0),
    maxBackoffMs: durationField(retry.max_backoff, 'retry.max_backoff', DEFAULT_MAX_BACKOFF_MS),
    jitter,
    backoff: typeof retry.backoff === 'string' && retry.backoff ? retry.backoff : '0s',
  };
}

/**
 * The wait after failed attempt `attempt` (1-based): backoff × 2^(attempt−1), capped at
 * max_backoff, then jitter with r ∈ [0,1): full → d·r, equal → d/2 + d/2·r, none → d.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  if (policy.backoffMs <= 0) return 0;
  const exp = Math.min(Math.max(attempt - 1, 0), MAX_EXPONENT);
  const d = Math.min(policy.backoffMs * 2 ** exp, policy.maxBackoffMs);
  if (policy.jitter === 'full') return Math.floor(d * random());
  if (policy.jitter === 'equal') return Math.floor(d / 2 + (d / 2) * random());
  return d;
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const canceled = () => new ToolError('canceled', 'tool call canceled');

/** Any thrown value as a ToolError: unknown failures (network errors) are retryable backend failures. */
export function asToolError(e: unknown): ToolError {
  if (e instanceof ToolError) return e;
  if (e instanceof Error && e.name === 'AbortError') return canceled();
  const message = e instanceof Error ? e.message : String(e);
  return new ToolError('execution_failed', `tool request failed: ${message}`);
}

/**
 * Runs one attempt under its own deadline. The attempt is abandoned (not awaited) when the
 * deadline passes or the caller cancels, so a transport that ignores its signal cannot hang us.
 */
export async function runAttempt<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs: number, outer?: AbortSignal): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(
    () => ctl.abort(new ToolError('timeout', `tool call exceeded its ${formatDuration(timeoutMs)} timeout`, { details: { timeout_ms: timeoutMs } })),
    timeoutMs,
  );
  const onOuter = () => ctl.abort(canceled());
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    if (ctl.signal.aborted) reject(ctl.signal.reason);
    else ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true });
  });
  try {
    return await Promise.race([fn(ctl.signal), aborted]);
  } catch (e) {
    throw ctl.signal.aborted ? asToolError(ctl.signal.reason) : asToolError(e);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

export interface RetryDeps {
  sleep: Sleep;
  random: () => number;
  signal?: AbortSignal;
}

export type RetryOutcome<T> = { ok: true; value: T; attempts: number } | { ok: false; error: ToolError; attempts: number };

/** Attempts `fn` up to max_attempts times, retrying only retryable errors, waiting between tries. */
export async function withRetry<T>(policy: RetryPolicy, deps: RetryDeps, fn: (attempt: number, signal: AbortSignal) => Promise<T>): Promise<RetryOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await runAttempt((signal) => fn(attempt, signal), policy.timeoutMs, deps.signal);
      return { ok: true, value, attempts: attempt };
    } catch (e) {
      const error = asToolError(e);
      if (!error.retryable || attempt >= policy.maxAttempts) return { ok: false, error, attempts: attempt };
      if (deps.signal?.aborted) return { ok: false, error: canceled(), attempts: attempt };
      const wait = backoffDelay(policy, attempt, deps.random);
      if (wait > 0) {
        try {
          await deps.sleep(wait, deps.signal);
        } catch {
          return { ok: false, error: canceled(), attempts: attempt };
        }
      }
    }
  }
}
