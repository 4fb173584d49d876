// Trims the change log and the event log: a row goes once it is both beyond the newest N and
// older than the age limit, so whichever rule keeps more wins. Runs in small steps so a large
// backlog never holds the write lock for long.
import { nanoTimestamp } from '../events/event';
import type { Logger } from '../log';
import type { Clock } from '../util/time';
import type { Changes, Events, Resources } from '../store/backend';

const STEP = 5000;

/** How much of each log to keep: the newest N rows, and rows younger than the age limit. */
export interface RetentionConfig {
  changes: number;
  changesAgeMs: number;
  events: number;
  eventsAgeMs: number;
}

export class LogRetention {
  private timer?: ReturnType<typeof setInterval>;
  private lastRunOk = true;

  constructor(
    /** Whose unit of work each trim runs in. */
    private readonly store: Pick<Resources, 'write'>,
    private readonly changes: Changes,
    private readonly events: Events,
    private readonly config: RetentionConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 60_000): void {
    // runOnce never rejects: it logs its failures and reports them through `healthy`.
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get healthy(): boolean {
    return this.timer !== undefined && this.lastRunOk;
  }

  /** One pass: trims up to STEP rows per log and reports how many went. */
  async runOnce(): Promise<{ changes: number; events: number }> {
    try {
      const now = this.clock.now();
      // One write each, one after the other: neither log holds the write lock for the other.
      const changes = await this.store.write(() => this.changes.trim(this.config.changes, this.config.changesAgeMs, now, STEP));
      const events = await this.store.write(() => this.events.trim(this.config.events, this.config.eventsAgeMs, now, nanoTimestamp, STEP));
      if (changes || events) this.log.debug('trimmed logs', { changes, events });
      this.lastRunOk = true;
      return { changes, events };
    } catch (e) {
      this.lastRunOk = false;
      this.log.error('log retention failed', { error: (e as Error).message });
      return { changes: 0, events: 0 };
    }
  }
}
