// One event-stream watch: replay after a resume point from the persisted log, then live events.
import type { OrreryEvent } from '../events/event';
import { eventFrame, type FeedEvent } from './feeds';
import { aheadOfLog, bookmark, errorFrame, nextTurn } from './frames';
import { liveFrames, type Subscription } from './hub';
import { CHUNK_BYTES, Pager } from './pages';
import type { Events, Resources } from '../store/backend';

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
  deps: { log: Events; store: Pick<Resources, 'read'> },
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
    const { log, store } = deps;
    const first = await log.firstId();
    if (first !== undefined && since < first - 1) {
      yield [errorFrame('Expired', `event ${since} is older than the event log keeps (oldest ${first}); watch again without a resume point`)];
      return;
    }
    let cursor = since;
    const pager = new Pager(pageBytes);
    while (cursor < from) {
      // The check and the page in one snapshot, so retention cannot trim between them.
      const after = cursor;
      const batch = await store.read(async () => {
        const oldest = await log.firstId();
        if (oldest !== undefined && oldest > after + 1) return undefined;
        return log.readAfter(after, from, pager.rows());
      });
      if (!batch) {
        yield [errorFrame('Expired', `events after ${cursor} were trimmed while replaying; watch again`)];
        return;
      }
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
