// Strict UTF-8 decoding of request bodies: bytes that are not UTF-8 are refused with the offset of
// the first bad one, never replaced by U+FFFD (which would store something the client never sent).
import { BadRequest } from '../errors';

const strict = new TextDecoder('utf-8', { fatal: true });

/** The body as text; 400 naming the byte offset of the first sequence that is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const message = `is not valid UTF-8 at byte offset ${offset}`;
    throw new BadRequest(`request body ${message}`, { causes: [{ field: '(body)', message }] });
  }
}

/**
 * Offset of the first byte that starts an ill-formed sequence (a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF or a truncated sequence), or -1.
 * The ranges are those of the Unicode standard's table 3-7 (well-formed UTF-8 byte sequences).
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= b.length) return i;
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    i += need + 1;
  }
  return -1;
}
