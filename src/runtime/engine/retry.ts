// Message- and task-level retry: the effective policies from the Task spec, the decision from a
// structured RunError (never from its text, except the user's own non_retryable substrings), and
// delays with deterministic jitter so a replayed decision lands on the same time.
import { parseDuration } from '../../util/duration';
import type { RunError } from './types';

export interface MessageRetryPolicy {
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: 'none' | 'full' | 'equal';
  nonRetryable: string[];
}

const DAY = 86_400_000;

export function messageRetryPolicy(taskSpec: Record<string, any>): MessageRetryPolicy {
  const retry = taskSpec.retry ?? {};
  const mr = taskSpec.message_retry ?? {};
  const attempts = Number(mr.max_attempts) > 0 ? Number(mr.max_attempts) : Number(retry.max_attempts) > 0 ? Number(retry.max_attempts) : 1;
  return {
    maxAttempts: attempts,
    backoffMs: parseDuration(mr.backoff ?? retry.backoff ?? '0s') ?? 0,
    maxBackoffMs: parseDuration(mr.max_backoff ?? '24h') ?? DAY,
    jitter: mr.jitter === 'none' || mr.jitter === 'equal' ? mr.jitter : 'full',
    nonRetryable: Array.isArray(mr.non_retryable) ? mr.non_retryable.map((x: string) => x.toLowerCase()) : [],
  };
}

/** Whether the error may be tried again, and the reason recorded in the trace. */
export function classify(error: RunError, policy: MessageRetryPolicy): { retryable: boolean; reason: string } {
  if (!error.retryable) return { retryable: false, reason: error.reason ?? error.code };
  const text = `${error.code} ${error.reason ?? ''} ${error.message}`.toLowerCase();
  if (policy.nonRetryable.some((needle) => needle && text.includes(needle))) return { retryable: false, reason: 'configured_non_retryable' };
  return { retryable: true, reason: error.reason ?? error.code };
}

/** FNV-1a 64-bit of a string as a unit value in [0, 1). */
export function unitHash(text: string): number {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return Number(h % 1_000_000n) / 1_000_000;
}

/** base × 2^(attempts−1), capped, then jittered by a unit derived from the idempotency key. */
export function messageRetryDelay(policy: MessageRetryPolicy, attempts: number, key: string): number {
  if (policy.backoffMs <= 0) return 0;
  const exp = Math.min(Math.max(attempts - 1, 0), 20);
  let delay = Math.min(policy.backoffMs * 2 ** exp, policy.maxBackoffMs);
  const u = unitHash(`${key.toLowerCase()}|${attempts}`);
  if (policy.jitter === 'full') delay = delay * u;
  else if (policy.jitter === 'equal') delay = delay / 2 + (delay / 2) * u;
  return Math.max(1, Math.round(delay));
}

export interface TaskRetryPolicy {
  maxAttempts: number;
  backoffMs: number;
}

export function taskRetryPolicy(taskSpec: Record<string, any>): TaskRetryPolicy {
  const retry = taskSpec.retry ?? {};
  return {
    maxAttempts: Number(retry.max_attempts) > 0 ? Number(retry.max_attempts) : 1,
    backoffMs: parseDuration(retry.backoff ?? '0s') ?? 0,
  };
}

/** backoff × 2^(attempt−1), exponent capped at 10, delay at 24h. */
export function taskRetryDelay(policy: TaskRetryPolicy, attempt: number): number {
  return Math.min(policy.backoffMs * 2 ** Math.min(Math.max(attempt - 1, 0), 10), DAY);
}
