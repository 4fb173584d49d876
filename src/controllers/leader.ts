// Controllers that must run once per control plane (unsealing, approvals, MCP discovery, memory
// readiness, retention, worker health) run on the server that holds a leader lease. Every server
// on a shared database competes for it; the holder renews it, and when it dies (or cannot reach
// the database long enough to lose the lease) another server takes it over after the lease's ttl
// and starts its own, fresh set of controllers.
import type { Logger } from '../log';
import type { Lease } from '../store/backend';

export interface LedController {
  readonly healthy: boolean;
  stop(): void | Promise<void>;
}

export class LeaderGate {
  private running?: Record<string, LedController>;
  private timer?: ReturnType<typeof setInterval>;
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly lease: Lease,
    /** Builds and starts the controllers, named as /readyz lists them. */
    private readonly start: () => Promise<Record<string, LedController>>,
    private readonly log: Logger,
    private readonly renewMs = Math.max(1000, Math.floor(lease.ttlMs / 3)),
  ) {}

  /** Tries for the lease now and at every renewal. */
  async begin(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.renewMs);
  }

  get leading(): boolean {
    return !!this.running;
  }

  /** Health of the controllers while leading; a standby server reports them healthy (not running is fine). */
  health(names: string[]): Record<string, boolean> {
    return Object.fromEntries(names.map((n) => [n, this.running?.[n]?.healthy ?? true]));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.stepDown();
    await this.lease.release().catch(() => {});
  }

  private tick(): Promise<void> {
    this.ticking ??= this.once().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async once(): Promise<void> {
    if (this.stopped) return;
    let leading: boolean;
    try {
      leading = await this.lease.acquire();
    } catch (e) {
      this.log.warn('leader lease: the database did not answer', { error: (e as Error).message });
      leading = false;
    }
    if (leading && !this.running && !this.stopped) {
      this.log.info('leading: starting the controllers that run once per control plane', { holder: this.lease.holder });
      try {
        this.running = await this.start();
      } catch (e) {
        this.log.error('leading: a controller failed to start; giving the lease up', { error: (e as Error).message });
        await this.lease.release().catch(() => {});
      }
    } else if (!leading && this.running) {
      this.log.warn('lost the leader lease: stopping the controllers; another server runs them now');
      await this.stepDown();
    }
  }

  private async stepDown(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    for (const c of Object.values(running ?? {})) await c.stop();
  }
}
