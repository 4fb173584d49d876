// The watch service: owns the change and event feeds, the cap on concurrent streams, and builds
// the SSE responses for resource watches and the event stream.
import { BadRequest, ServiceUnavailable } from '../errors';
import type { Logger } from '../log';
import type { KindDefinition } from '../registry/kind';
import { parseSelector } from '../registry/selectors';
import { WatchBudget, type Account } from './budget';
import { eventWatch, eventMatches, type EventFilter } from './event-watch';
import { ChangeFeed, EventFeed, type FeedChange, type FeedEvent, type RowReader } from './feeds';
import type { Hub } from './hub';
import { pageBytes } from './pages';
import { filterMatches, resourceWatch } from './resource-watch';
import { sseResponse } from './sse';
import type { Changes, Events, Resources } from '../store/backend';

export interface WatchConfig {
  maxStreams: number;
  heartbeatMs: number;
  /** Frames a subscriber may have queued before it is cut off as too slow. */
  bufferSize: number;
  /**
   * Bytes one watcher may hold — frames queued for it, the rest of a replay page, the chunk its
   * socket has not accepted — before it is cut off as too slow.
   */
  bufferBytes: number;
  /** Bytes all watchers may hold together; past it the watcher holding most is cut first. */
  totalBufferBytes: number;
  /** How often to look for commits made by other processes on the same database. */
  pollMs: number;
}

export const DEFAULT_WATCH_CONFIG: WatchConfig = { maxStreams: 1000, heartbeatMs: 15_000, bufferSize: 1000, bufferBytes: 8 * 1024 ** 2, totalBufferBytes: 256 * 1024 ** 2, pollMs: 250 };

type Query = Record<string, string | undefined>;

function resumePoint(request: Request, query: Query, param: string): number | undefined {
  const raw = request.headers.get('last-event-id') ?? query[param];
  if (raw === undefined || raw === null || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new BadRequest(`${request.headers.has('last-event-id') ? 'Last-Event-ID' : param} must be a non-negative integer, got "${raw}"`);
  // resourceVersion 0: the client has seen nothing, so it gets the current objects (exact even
  // after the change log was trimmed), as with no resume point. Event ids are taken as given.
  return n === 0 && param === 'resourceVersion' ? undefined : n;
}

export class WatchService {
  readonly changes: ChangeFeed;
  readonly events: EventFeed;
  /** Bytes held for watchers, per watcher and in all. */
  readonly budget: WatchBudget;
  /**
   * Closes the connection a request arrived on, given by whoever owns the listener (with Bun:
   * `request => server.timeout(request, 1)`). Without it, a watcher that was cut off and accepts
   * nothing keeps its connection until the listener's idle timeout.
   */
  closeConnection?: (request: Request) => void;
  /** Where a failed poll is reported (the composition root sets it); it is tried again next poll. */
  log?: Logger;
  private active = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: { store: Resources; changeLog: Changes; eventLog: Events; reader: RowReader },
    readonly config: WatchConfig = DEFAULT_WATCH_CONFIG,
  ) {
    this.changes = new ChangeFeed(deps.changeLog, deps.reader);
    this.events = new EventFeed(deps.eventLog);
    this.budget = new WatchBudget({ perWatcher: config.bufferBytes, total: config.totalBufferBytes });
    this.timer = setInterval(() => {
      void this.poll().catch((e) => this.log?.error('watch: catching up with commits of other processes failed', { error: (e as Error)?.message ?? String(e) }));
    }, config.pollMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Publishes commits other processes made since the last look. */
  async poll(): Promise<void> {
    await this.changes.catchUp();
    await this.events.catchUp();
  }

  get streams(): number {
    return this.active;
  }

  get subscribers(): number {
    return this.changes.hub.size + this.events.hub.size;
  }

  /** Stops polling and ends every open stream. */
  stop(): void {
    clearInterval(this.timer);
    this.changes.hub.closeAll();
    this.events.hub.closeAll();
  }

  async resourceWatch(def: KindDefinition, request: Request, query: Query): Promise<Response> {
    const resumeAfter = resumePoint(request, query, 'resourceVersion');
    const filter = { namespace: query.namespace?.trim() || undefined, name: query.name?.trim() || undefined, selector: parseSelector(query.labelSelector ?? query.labels) };
    this.admit();
    // Catch up first (commits of other processes), then subscribe and read the starting revision
    // in one synchronous step: the hub publishes revisions in order and `revision` moves only with
    // a publish, so nothing can be published in between and the snapshot/replay (up to `from`)
    // and the live part (after it) meet exactly, even if more was committed during the catch-up.
    await this.changes.catchUp();
    // Checked again with the stream counted in the same step: others were admitted meanwhile.
    this.admit();
    const key = JSON.stringify([def.kind, filter.namespace, filter.name, filter.selector]);
    const { sub, account } = this.subscribe(this.changes.hub, (c) => c.def === def && filterMatches(filter, c.namespace, c.name, c.labels), key);
    const from = this.changes.revision;
    const source = resourceWatch({ store: this.deps.store, log: this.deps.changeLog, reader: this.deps.reader, pageBytes: pageBytes(this.config.bufferBytes) }, def, filter, sub, from, resumeAfter);
    return this.respond(source, request, `watching ${def.plural} from revision ${from}`, account, () => sub.close());
  }

  async eventWatch(request: Request, query: Query): Promise<Response> {
    const since = resumePoint(request, query, 'since');
    const filter: EventFilter = {};
    for (const k of ['source', 'type', 'kind', 'name', 'namespace'] as const) if (query[k]?.trim()) filter[k] = query[k]!.trim();
    this.admit();
    // As for resource watches: catch up, then subscribe and read the starting id in one step.
    await this.events.catchUp();
    this.admit();
    const { sub, account } = this.subscribe(this.events.hub, (e) => eventMatches(filter, e.event), JSON.stringify(filter));
    const from = this.events.lastId;
    return this.respond(eventWatch({ log: this.deps.eventLog, store: this.deps.store }, filter, sub, from, since, pageBytes(this.config.bufferBytes)), request, `watching events from id ${from}`, account, () => sub.close());
  }

  private admit(): void {
    if (this.active >= this.config.maxStreams) {
      throw new ServiceUnavailable(`too many open watch streams (limit ${this.config.maxStreams}); try again later`);
    }
  }

  /** A subscription whose queued frames count, in bytes, against a new account of the budget. */
  private subscribe<T extends FeedChange | FeedEvent>(hub: Hub<T>, match: (item: T) => boolean, key: string) {
    const account = this.budget.open();
    const sub = hub.subscribe(match, { capacity: this.config.bufferSize, account, size: (item) => item.frame().byteLength, key });
    return { sub, account };
  }

  private respond(source: AsyncIterator<Uint8Array[], void, undefined>, request: Request, opening: string, account: Account, unsubscribe: () => void): Response {
    this.active++;
    return sseResponse(source, {
      opening,
      account,
      heartbeatMs: this.config.heartbeatMs,
      signal: request.signal,
      closeConnection: () => this.closeConnection?.(request),
      onClose: () => {
        this.active--;
        unsubscribe();
      },
    });
  }
}
