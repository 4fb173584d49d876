// Splitting a document for memory.ingest: windows of whole code points (never half a surrogate
// pair), each stored under `<source>/chunk-<NNNN>`.

export const DEFAULT_CHUNK_SIZE = 1000;
/** Used when the model asks for a negative overlap. */
export const NEGATIVE_OVERLAP_DEFAULT = 200;

/** The key of the index-th chunk (0-based, at least 4 digits) of a source. */
export const chunkKey = (source: string, index: number) => `${source}/chunk-${String(index).padStart(4, '0')}`;

/**
 * The effective window and overlap. chunk_size ≤ 0 or omitted → 1000. An omitted overlap is 0 (no
 * overlap), as Orloj's code does; a negative one → 200; one that is not smaller than the window →
 * a fifth of the window, so every window moves on by at least one code point.
 */
export function chunkWindow(chunkSize?: number, overlap?: number): { size: number; overlap: number } {
  const size = chunkSize !== undefined && chunkSize > 0 ? chunkSize : DEFAULT_CHUNK_SIZE;
  let o = overlap ?? 0;
  if (o < 0) o = NEGATIVE_OVERLAP_DEFAULT;
  if (o >= size) o = Math.floor(size / 5);
  return { size, overlap: o };
}

/**
 * Windows of `size` code points starting every `size − overlap` code points. The last window is
 * the one that reaches the end of the text: no trailing window lies wholly inside the one before.
 */
export function chunkText(content: string, chunkSize?: number, overlap?: number): string[] {
  const points = Array.from(content);
  const w = chunkWindow(chunkSize, overlap);
  const step = w.size - w.overlap;
  const chunks: string[] = [];
  for (let start = 0; start < points.length; start += step) {
    const end = Math.min(start + w.size, points.length);
    chunks.push(points.slice(start, end).join(''));
    if (end === points.length) break;
  }
  return chunks;
}
