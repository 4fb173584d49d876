// Publishes events from controllers and the runtime: persisted first (so replay survives a
// restart), then handed to the live feed. Where they persist is a port the store implements, so
// the event vocabulary sits below the store and knows no driver.
import type { Clock } from '../util/time';
import type { NewEvent, OrreryEvent } from './event';

/** Keeps an event durably, in a write transaction of its own, and returns it with id and timestamp. */
export interface EventSink {
  commit(e: NewEvent, now: Date): Promise<OrreryEvent>;
}

export class EventPublisher {
  constructor(
    private readonly sink: EventSink,
    private readonly clock: Clock,
    private readonly live: (e: OrreryEvent) => void,
  ) {}

  async publish(e: NewEvent): Promise<OrreryEvent> {
    const stored = await this.sink.commit(e, this.clock.now());
    this.live(stored);
    return stored;
  }
}
