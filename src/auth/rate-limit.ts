// Per-client token buckets for the setup, login and password endpoints: 10 per minute sustained,
// bursts of 20; over that, 429 with Retry-After.
import { TooManyRequests } from '../errors';
import type { Clock } from '../util/time';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perMinute = 10,
    private readonly burst = 20,
  ) {}

  /** Takes one token for `key` or throws 429. */
  take(key: string): void {
    const now = this.clock.now().getTime();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      throw new TooManyRequests('too many attempts from this address; wait and try again', Math.ceil((1 - b.tokens) / rate / 1000));
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > 10 * 60_000) this.buckets.delete(k);
  }
}

/** IPv6 clients usually hold a whole /64: limit per /64, or one client gets 2^64 buckets. */
export function rateKey(ip: string): string {
  if (!ip.includes(':') || /^::ffff:\d/i.test(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
