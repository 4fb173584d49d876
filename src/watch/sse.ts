// Turns an async source of SSE frames into a streaming Response: heartbeat comments while idle,
// proxy-friendly headers, and one cleanup however the stream ends (client gone, source done).
import { concatBytes } from '../util/bytes';
import { HEARTBEAT } from './frames';

export type FrameSource = AsyncIterator<Uint8Array[], void, undefined>;

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * `opening` is written at once, so headers reach the client even when there is nothing to send
 * yet (an empty collection, a live-only event stream).
 */
export function sseResponse(source: FrameSource, opts: { heartbeatMs: number; signal: AbortSignal; onClose: () => void; opening: string }): Response {
  let pending: Promise<IteratorResult<Uint8Array[], void>> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', close);
    opts.onClose();
  };
  opts.signal.addEventListener('abort', close);
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`: ${opts.opening}\n\n`));
      },
      async pull(controller) {
        for (;;) {
          if (closed) {
            controller.close();
            return;
          }
          pending ??= source.next();
          const beat = new Promise<'beat'>((resolve) => (timer = setTimeout(() => resolve('beat'), opts.heartbeatMs)));
          const r = await Promise.race([pending, beat]);
          clearTimeout(timer);
          if (r === 'beat') {
            controller.enqueue(HEARTBEAT);
            return;
          }
          pending = undefined;
          if (r.done) {
            close();
            controller.close();
            return;
          }
          if (r.value.length) {
            // One chunk per batch: each chunk costs a socket write, which dominated fan-out.
            controller.enqueue(concatBytes(r.value));
            return;
          }
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

