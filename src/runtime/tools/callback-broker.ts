// In-process registry of webhook-callback calls waiting for their result: the transport expects a
// request id and the callback route (wired by the HTTP layer) delivers the body with its token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { formatDuration } from '../../util/duration';
import { ToolError } from './contract';

/** What the callback route should answer: 202, 404, 401 and 400 respectively. */
export type DeliverOutcome = 'accepted' | 'unknown' | 'forbidden' | 'invalid';

export interface Expectation {
  /** Single-use secret the tool must present with its callback. */
  token: string;
  /** Settles with the delivered body, or rejects with a `timeout` ToolError. */
  result: Promise<unknown>;
  /** Stops waiting (the call finished another way); a later delivery is `unknown`. */
  cancel(): void;
}

interface Waiter {
  token: string;
  resolve(body: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CallbackBroker {
  private waiters = new Map<string, Waiter>();

  /**
   * Registers a wait for `requestId`; call it before sending the request so no callback is lost.
   * An abort of `signal` ends the wait at once (the call gave up).
   */
  expect(requestId: string, timeoutMs: number, signal?: AbortSignal): Expectation {
    const previous = this.waiters.get(requestId);
    if (previous) {
      this.drop(requestId, previous);
      previous.reject(new ToolError('canceled', `callback wait for ${requestId} superseded by a newer wait`));
    }
    const token = randomBytes(32).toString('base64url');
    let waiter!: Waiter;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(requestId, waiter);
        reject(new ToolError('timeout', `no callback for request ${requestId} within ${formatDuration(timeoutMs)}`, { details: { timeout_ms: timeoutMs } }));
      }, timeoutMs);
      waiter = { token, resolve, reject, timer };
    });
    void result.catch(() => {}); // observed by the transport when it waits; never an unhandled rejection
    this.waiters.set(requestId, waiter);
    const cancel = () => {
      signal?.removeEventListener('abort', onAbort);
      this.drop(requestId, waiter);
    };
    const onAbort = () => {
      cancel();
      waiter.reject(signal!.reason);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return { token, result, cancel };
  }

  /** Hands a callback body to the waiting call when the token matches. */
  deliver(requestId: string, token: string, body: unknown): DeliverOutcome {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return 'unknown';
    if (typeof token !== 'string' || !sameToken(token, waiter.token)) return 'forbidden';
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'invalid';
    this.drop(requestId, waiter);
    waiter.resolve(body);
    return 'accepted';
  }

  /** Number of calls currently waiting for a callback. */
  get pending(): number {
    return this.waiters.size;
  }

  private drop(requestId: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (this.waiters.get(requestId) === waiter) this.waiters.delete(requestId);
  }
}
