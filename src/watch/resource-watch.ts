// One resource watch: the current objects (or an exact replay after a resume point), then live
// changes, with no gap and no duplicate. The caller subscribes first, at revision `from`, so the
// snapshot or replay covers everything up to `from` and the subscription everything after.
import type { KindDefinition } from '../registry/kind';
import { matches, type Selector } from '../registry/selectors';
import { changeFrame, type FeedChange, type RowReader } from './feeds';
import { aheadOfLog, bookmark, errorFrame, nextTurn } from './frames';
import { liveFrames, type Subscription } from './hub';
import { CHUNK_BYTES, MAX_PAGE_ROWS } from './pages';
import type { Changes, Resources } from '../store/backend';

export interface ResourceFilter {
  namespace?: string;
  name?: string;
  selector: Selector;
}

export function filterMatches(f: ResourceFilter, ns: string, name: string, labels: Record<string, string>): boolean {
  return (f.namespace === undefined || f.namespace === ns) && (f.name === undefined || f.name === name) && matches(f.selector, labels);
}

export interface ResourceWatchDeps {
  store: Resources;
  log: Changes;
  reader: RowReader;
  /** Bytes of frames a replay page aims at (see pages.ts). */
  pageBytes: number;
}

export async function* resourceWatch(
  deps: ResourceWatchDeps,
  def: KindDefinition,
  filter: ResourceFilter,
  sub: Subscription<FeedChange>,
  from: number,
  resumeAfter: number | undefined,
): AsyncGenerator<Uint8Array[], void, undefined> {
  if (resumeAfter === undefined) {
    yield* snapshot(deps, def, filter, from);
  } else {
    const first = await deps.log.firstRevision();
    // Changes after resumeAfter must all still be in the log: the oldest kept one must follow it.
    if (first !== undefined && resumeAfter < first - 1 && resumeAfter < from) {
      yield [errorFrame('Expired', `revision ${resumeAfter} is older than the change log keeps (oldest ${first}); list again and watch from the list's resourceVersion`)];
      return;
    }
    if (resumeAfter > from) {
      yield [aheadOfLog(`revision ${resumeAfter}`, from, "list again and watch from the list's resourceVersion")];
      return;
    }
    if (!(yield* replay(deps, def, filter, resumeAfter, from))) return;
  }
  // A bookmark: everything up to `from` has been sent, so `from` is a resume point even when no
  // frame matched the filter.
  yield [bookmark(from)];
  yield* liveFrames(sub, CHUNK_BYTES);
}

/**
 * Current objects with resourceVersion ≤ upTo as "added", oldest version first, so each frame's
 * id is a valid resume point. Objects written after upTo arrive through the subscription. Rows are
 * read a page at a time, and the next page only when the stream asks for more (its socket took
 * the previous one), so a watcher holds one page however many objects exist.
 */
async function* snapshot(deps: ResourceWatchDeps, def: KindDefinition, f: ResourceFilter, upTo: number): AsyncGenerator<Uint8Array[]> {
  // Only ids and sizes are held for the whole snapshot, 16 bytes an object; rows are read a page
  // of about pageBytes at a time (one larger object alone), so no page is built past the budget.
  const { ids, bytes } = await deps.store.snapshotIndex(def.kind, upTo, f.namespace, f.name);
  for (let i = 0; i < ids.length; ) {
    let n = 0;
    for (let size = 0; i + n < ids.length && n < MAX_PAGE_ROWS && (n === 0 || size + bytes[i + n] <= deps.pageBytes); n++) size += bytes[i + n];
    const rows = await deps.store.rowsByIds(Array.from(ids.subarray(i, i + n)));
    i += n;
    rows.sort((a, b) => a.resourceVersion - b.resourceVersion);
    const frames: Uint8Array[] = [];
    for (const row of rows) {
      if (row.resourceVersion > upTo || !filterMatches(f, row.namespace, row.name, JSON.parse(row.labels))) continue;
      frames.push(changeFrame('added', row.resourceVersion, deps.reader.present(def, row)));
    }
    yield frames;
    await nextTurn();
  }
}

/**
 * Every logged change of this kind in (after, upTo], in revision order. Returns false (after an
 * Expired frame) if retention removed changes the replay had not reached yet.
 */
async function* replay(deps: ResourceWatchDeps, def: KindDefinition, f: ResourceFilter, after: number, upTo: number): AsyncGenerator<Uint8Array[], boolean> {
  let cursor = after;
  while (cursor < upTo) {
    // One snapshot for the check and the page: retention cannot trim between them, so a page
    // never starts past a hole.
    const from = cursor;
    const batch = await deps.store.read(async () => {
      const first = await deps.log.firstRevision();
      if (first !== undefined && first > from + 1) return undefined;
      return deps.log.readAfter(from, upTo, await deps.log.rowsWithin(from, upTo, deps.pageBytes, MAX_PAGE_ROWS));
    });
    if (!batch) {
      yield [errorFrame('Expired', `changes after revision ${cursor} were trimmed while replaying; list again`)];
      return false;
    }
    if (!batch.length) return true;
    const frames: Uint8Array[] = [];
    for (const c of batch) {
      cursor = c.revision;
      if (c.kind !== def.kind || !filterMatches(f, c.namespace, c.name, JSON.parse(c.row.labels))) continue;
      frames.push(changeFrame(c.type, c.revision, deps.reader.present(def, { ...c.row, resourceVersion: c.revision })));
    }
    yield frames;
    // Long replays must not hold the event loop: other requests run between batches.
    await nextTurn();
  }
  return true;
}
