// Turns an async source of SSE frames into a streaming Response: back-pressure from the socket,
// byte accounting against the watcher's budget, heartbeat comments while idle, proxy-friendly
// headers, the SlowConsumer ending, and one cleanup however the stream ends.
//
// Back-pressure: the body is a pull stream with highWaterMark 0. Bun calls pull only once the
// socket took the whole previous chunk (measured: a client that never reads stops the pulls once
// the kernel's socket buffers are full), so what the socket has not accepted is at most the last
// chunk, and it is counted against the budget until the next pull.
import { concatBytes } from '../util/bytes';
import type { Account } from './budget';
import { HEARTBEAT, slowConsumer } from './frames';
import { CHUNK_BYTES } from './pages';

/**
 * The last chunk joined from a run of frames, by the run's first frame. Watchers fed by the same
 * publishes hold the same frames, so the first of them joins the chunk and the others reuse it
 * instead of each copying the same bytes.
 */
const joined = new WeakMap<Uint8Array, { frames: Uint8Array[]; chunk: Uint8Array }>();

function join(frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0];
  const hit = joined.get(frames[0]);
  if (hit && hit.frames.length === frames.length && hit.frames.every((f, i) => f === frames[i])) return hit.chunk;
  const chunk = concatBytes(frames);
  joined.set(frames[0], { frames, chunk });
  return chunk;
}

export type FrameSource = AsyncIterator<Uint8Array[], void, undefined>;

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // The connection ends with the stream, so a watcher that was cut off is really disconnected
  // (and its socket buffers freed) instead of idling as a kept-alive connection.
  connection: 'close',
  'x-accel-buffering': 'no',
};

export interface SseOptions {
  heartbeatMs: number;
  signal: AbortSignal;
  onClose: () => void;
  /** Written at once, so headers reach the client even when there is nothing to send yet. */
  opening: string;
  /** The watcher's byte budget: frames waiting here and the chunk the socket holds count on it. */
  account: Account;
  /**
   * Closes the connection of a cut watcher whose socket accepts nothing. Ending the body is not
   * enough: Bun keeps such a connection (and the kernel its buffers) until its idle timeout.
   */
  closeConnection?: () => void;
}

export function sseResponse(source: FrameSource, opts: SseOptions): Response {
  const { account } = opts;
  let next: Promise<IteratorResult<Uint8Array[], void>> | undefined;
  let beat: ReturnType<typeof setTimeout> | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  /** Frames taken from the source and not yet handed to the socket. */
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  /** The last chunk handed to the socket, until the next pull says it was accepted. */
  let unaccepted = 0;
  /** Wakes a pull waiting for frames when the watcher is cut. A fresh promise per wait: racing
   *  one long-lived promise would keep every result it was raced with (every page) alive. */
  let wakeOnCut: (() => void) | undefined;

  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(beat);
    clearTimeout(grace);
    opts.signal.removeEventListener('abort', close);
    account.shrink(pendingBytes + unaccepted);
    pending = [];
    pendingBytes = unaccepted = 0;
    // The subscription gives back what its queue counted before the account closes.
    opts.onClose();
    account.close();
  };
  opts.signal.addEventListener('abort', close);
  // The client may have gone while the watch was being set up (its catch-up is awaited).
  if (opts.signal.aborted) close();

  account.onCut(() => {
    // Release what waits here at once; the socket still holds its last chunk.
    account.shrink(pendingBytes);
    pending = [];
    pendingBytes = 0;
    wakeOnCut?.();
    // The next pull sends the SlowConsumer frame and ends the stream. A socket that accepts
    // nothing more gets one heartbeat interval for that; then the stream ends without it and the
    // connection is closed.
    if (!closed) {
      grace = setTimeout(() => {
        if (closed) return;
        close();
        // undefined: Bun ends the response without logging an error for it.
        controller.error(undefined);
        opts.closeConnection?.();
      }, opts.heartbeatMs);
      (grace as { unref?: () => void }).unref?.();
    }
  });

  const send = (chunk: Uint8Array) => {
    unaccepted = chunk.byteLength;
    account.grow(unaccepted);
    controller.enqueue(chunk);
  };

  /** Hands the socket up to one chunk of the pending frames (a larger frame goes alone). */
  const sendPending = () => {
    let n = 0;
    let bytes = 0;
    while (n < pending.length && (n === 0 || bytes + pending[n].byteLength <= CHUNK_BYTES)) bytes += pending[n++].byteLength;
    const chunk = join(pending.slice(0, n));
    pending = pending.slice(n);
    pendingBytes -= bytes;
    account.shrink(bytes);
    send(chunk);
  };

  const finish = (last?: Uint8Array) => {
    close();
    try {
      if (last) controller.enqueue(last);
      controller.close();
    } catch {
      // Already cancelled by the client: nothing left to end.
    }
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        c.enqueue(new TextEncoder().encode(`: ${opts.opening}\n\n`));
      },
      async pull() {
        // The socket took the previous chunk.
        account.shrink(unaccepted);
        unaccepted = 0;
        clearTimeout(grace);
        for (;;) {
          if (closed) return finish();
          if (account.cut) return finish(slowConsumer());
          if (pending.length) return sendPending();
          next ??= source.next();
          const beating = new Promise<'beat'>((resolve) => (beat = setTimeout(() => resolve('beat'), opts.heartbeatMs)));
          const cut = new Promise<'cut'>((resolve) => (wakeOnCut = () => resolve('cut')));
          const r = await Promise.race([next, beating, cut]);
          wakeOnCut = undefined;
          clearTimeout(beat);
          // The client went away while this pull waited: what arrived is dropped, not counted.
          if (closed) return finish();
          if (r === 'cut') continue;
          if (r === 'beat') {
            if (!closed) send(HEARTBEAT);
            return;
          }
          next = undefined;
          if (r.done) {
            if (account.cut) continue;
            return finish();
          }
          let bytes = 0;
          for (const f of r.value) bytes += f.byteLength;
          pending.push(...r.value);
          pendingBytes += bytes;
          account.grow(bytes);
        }
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { headers: SSE_HEADERS });
}
