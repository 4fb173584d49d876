// Publishes events from controllers and the runtime: persisted first (so replay survives a
// restart), then handed to the live feed.
import type { EventLog } from '../store/event-log';
import type { Clock } from '../util/time';
import { nanoTimestamp, type NewEvent, type OrreryEvent } from './event';

export class EventPublisher {
  constructor(
    private readonly log: EventLog,
    private readonly clock: Clock,
    private readonly live: (e: OrreryEvent) => void,
  ) {}

  publish(e: NewEvent): OrreryEvent {
    const stored = this.log.handle.sqlite.transaction(() => this.log.append(e, this.clock.now(), nanoTimestamp)).immediate();
    this.live(stored);
    return stored;
  }
}
