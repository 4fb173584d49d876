// Follows the change log and the event log of a PostgreSQL database shared by several servers:
// every committed change and event, made by this server or another, is handed on once, in
// revision (event id) order, to the process's listeners (watches, controllers, workers).
// LISTEN/NOTIFY only wakes the follower; what it hands on is read from the logs, which are the
// truth: a lost notification, a dropped listen connection or a slow reader delays delivery but
// never skips or reorders anything. Writers allocate revisions under a row lock held to COMMIT,
// so reading "after the last one handed on" never passes over a change that commits later.
import type { SQL } from 'bun';
import type { OrreryEvent } from '../../events/event';
import type { LoggedChange } from '../change-log';
import type { PgChangeLog } from './change-log';
import type { PgEventLog } from './event-log';
import { CHANGES_CHANNEL } from './resource-store';

export interface ChangeFeedSink {
  change(c: LoggedChange): void;
  event(e: OrreryEvent): void;
}

const PAGE = 500;

export class PgChangeFeed {
  private lastRevision = 0;
  private lastEvent = 0;
  private running?: Promise<void>;
  private again = false;
  private timer?: ReturnType<typeof setInterval>;
  private subscription?: SQL.ListenSubscription;
  private stopped = false;

  constructor(
    private readonly pool: SQL,
    private readonly changes: PgChangeLog,
    private readonly events: PgEventLog,
    private readonly sink: ChangeFeedSink,
    /** A safety net under NOTIFY: how often the logs are read anyway. */
    private readonly pollMs = 1000,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /** Starts after what is committed now: earlier changes are the replay's business, not the feed's. */
  async start(): Promise<void> {
    this.lastRevision = await this.changes.lastRevision();
    this.lastEvent = await this.events.lastId();
    // After a reconnect of the listen connection, read whatever was committed meanwhile.
    this.subscription = await this.pool.listen(CHANGES_CHANNEL, () => this.wake(), () => this.wake());
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref?.();
  }

  /** The newest revision handed on. */
  get revision(): number {
    return this.lastRevision;
  }

  /** Reads and hands on what is new; resolves once everything committed before the call is handed on. */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pump()
      .catch((e) => this.onError(e))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.wake();
        }
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.unlisten().catch(() => {});
    await this.running;
  }

  private async pump(): Promise<void> {
    for (;;) {
      const rows = await this.changes.readAfter(this.lastRevision, Number.MAX_SAFE_INTEGER, PAGE);
      for (const c of rows) {
        this.lastRevision = c.revision;
        this.sink.change(c);
      }
      const events = await this.events.readAfter(this.lastEvent, Number.MAX_SAFE_INTEGER, PAGE);
      for (const e of events) {
        this.lastEvent = e.id;
        this.sink.event(e);
      }
      if (rows.length < PAGE && events.length < PAGE) return;
    }
  }
}
