// A token bucket per webhook endpoint: N deliveries per minute sustained, bursts of N, so a flood
// of deliveries cannot fill the disk with tasks. Over it: 429 with Retry-After.
import { TooManyRequests } from '../../errors';
import type { Clock } from '../../util/time';

export class EndpointRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number,
  ) {}

  take(endpoint: string): void {
    if (this.perMinute <= 0) return;
    const now = this.clock.now().getTime();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(endpoint) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + Math.max(0, now - b.at) * rate);
    b.at = now;
    this.buckets.set(endpoint, b);
    if (b.tokens < 1) {
      throw new TooManyRequests(`more than ${this.perMinute} deliveries per minute to this endpoint; wait and retry`, Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)));
    }
    b.tokens -= 1;
    if (this.buckets.size > 10_000) for (const [k, v] of this.buckets) if (now - v.at > 10 * 60_000) this.buckets.delete(k);
  }
}
