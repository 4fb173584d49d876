// Trims the change log and the event log: a row goes once it is both beyond the newest N and
// older than the age limit, so whichever rule keeps more wins. Runs in small steps so a large
// backlog never holds the write lock for long.
import { nanoTimestamp } from '../events/event';
import type { Logger } from '../log';
import type { ChangeLog } from '../store/change-log';
import type { EventLog } from '../store/event-log';
import type { Clock } from '../util/time';

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
    private readonly changes: ChangeLog,
    private readonly events: EventLog,
    private readonly config: RetentionConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(intervalMs = 60_000): void {
    this.timer = setInterval(() => this.runOnce(), intervalMs);
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
  runOnce(): { changes: number; events: number } {
    try {
      const now = this.clock.now();
      const sqlite = this.changes.handle.sqlite;
      const changes = sqlite.transaction(() => this.changes.trim(this.config.changes, this.config.changesAgeMs, now, STEP)).immediate();
      const events = sqlite.transaction(() => this.events.trim(this.config.events, this.config.eventsAgeMs, now, nanoTimestamp, STEP)).immediate();
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
