// One event-stream watch: replay after a resume point from the persisted log, then live events.
import type { OrreryEvent } from '../events/event';
import type { EventLog } from '../store/event-log';
import { eventFrame, type FeedEvent } from './feeds';
import { aheadOfLog, bookmark, errorFrame, nextTurn } from './frames';
import { liveFrames, type Subscription } from './hub';
import { CHUNK_BYTES, Pager } from './pages';

export type EventFilter = Partial<Record<'source' | 'type' | 'kind' | 'name' | 'namespace', string>>;

/** Case-insensitive equality on each given field. */
export function eventMatches(f: EventFilter, e: OrreryEvent): boolean {
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    const have = (e as Record<string, unknown>)[k];
    if (typeof have !== 'string' || have.toLowerCase() !== v.toLowerCase()) return false;
  }
  return true;
}

export async function* eventWatch(
  log: EventLog,
  filter: EventFilter,
  sub: Subscription<FeedEvent>,
  from: number,
  since: number | undefined,
  pageBytes: number,
): AsyncGenerator<Uint8Array[], void, undefined> {
  if (since !== undefined && since > from) {
    yield [aheadOfLog(`event ${since}`, from, 'watch again without a resume point')];
    return;
  }
  if (since !== undefined && since < from) {
    const first = log.firstId();
    if (first !== undefined && since < first - 1) {
      yield [errorFrame('Expired', `event ${since} is older than the event log keeps (oldest ${first}); watch again without a resume point`)];
      return;
    }
    let cursor = since;
    const pager = new Pager(pageBytes);
    while (cursor < from) {
      const oldest = log.firstId();
      if (oldest !== undefined && oldest > cursor + 1) {
        yield [errorFrame('Expired', `events after ${cursor} were trimmed while replaying; watch again`)];
        return;
      }
      const batch = log.readAfter(cursor, from, pager.rows());
      if (!batch.length) break;
      cursor = batch[batch.length - 1].id;
      const frames = batch.filter((e) => eventMatches(filter, e)).map(eventFrame);
      pager.saw(frames);
      yield frames;
      await nextTurn();
    }
  }
  yield [bookmark(from)];
  yield* liveFrames(sub, CHUNK_BYTES);
}
