// Page sizes of replays read from the database. Object snapshots and change replays are paged by
// the stored sizes of their rows (about PAGE_BYTES, less under a small budget); the event stream's
// small records by a row count that follows the average frame size seen, starting at one row.

/** Bytes of frames one replay page aims at. */
export const PAGE_BYTES = 256 * 1024;
/** Bytes handed to a socket in one write (a larger single frame goes alone). */
export const CHUNK_BYTES = 64 * 1024;

const FIRST_ROWS = 1;
/** Rows one replay page reads at most, whatever they weigh. */
export const MAX_PAGE_ROWS = 500;

/** The page size for a watcher budget: a page is at most a quarter of it, so a watcher that keeps
 *  up is never cut off by its own replay. */
export function pageBytes(budget: number): number {
  return Math.max(1, Math.min(PAGE_BYTES, Math.floor(budget / 4)));
}

export class Pager {
  private frames = 0;
  private bytes = 0;
  private empty = 0;

  constructor(private readonly target = PAGE_BYTES) {}

  /** Rows to read for the next page. */
  rows(): number {
    // Until a row matches, pages double: nothing is held for rows the filter drops.
    if (!this.frames) return Math.min(MAX_PAGE_ROWS, FIRST_ROWS * 2 ** Math.min(this.empty, 6));
    return Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(this.target / Math.max(1, this.bytes / this.frames))));
  }

  /** Records the frames one page made (rows the filter dropped make none). */
  saw(frames: Uint8Array[]): void {
    if (!frames.length) this.empty++;
    this.frames += frames.length;
    for (const f of frames) this.bytes += f.byteLength;
  }
}
