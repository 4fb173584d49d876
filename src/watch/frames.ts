// SSE frame encoding (LF line endings). Frames are built once per change and shared by every
// subscriber that receives them.
const encoder = new TextEncoder();

export function frame(event: string, id: number | undefined, data: string): Uint8Array {
  return encoder.encode(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`);
}

export const HEARTBEAT = encoder.encode(': keep-alive\n\n');

/** An id-only frame: moves the client's Last-Event-ID forward without dispatching an event. */
export function bookmark(id: number): Uint8Array {
  return encoder.encode(`id: ${id}\n\n`);
}

/** Yields to the event loop (a macrotask), so long replays never starve other requests. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function errorFrame(reason: string, message: string): Uint8Array {
  return frame('error', undefined, JSON.stringify({ reason, message }));
}

/**
 * A resume point past the newest id this server wrote: its data was replaced (restored, wiped) or
 * the client talks to another server. Starting from now would silently skip what the client
 * expects, so the stream ends and the client re-lists, as for a point older than the log keeps.
 */
export function aheadOfLog(point: string, newest: number, again: string): Uint8Array {
  return errorFrame('Expired', `${point} is newer than anything this server has written (newest ${newest}); ${again}`);
}

export const slowConsumer = () => errorFrame('SlowConsumer', 'the watcher fell too far behind and was disconnected; resume with Last-Event-ID');

/**
 * Memoizes a frame so a change is serialized once however many watchers receive it. The builder
 * (and the object it closes over) is let go once the frame exists, so a queued change holds its
 * bytes only once.
 */
export function lazyFrame(build: () => Uint8Array): () => Uint8Array {
  let cached: Uint8Array | undefined;
  let builder: (() => Uint8Array) | undefined = build;
  return () => {
    if (!cached) {
      cached = builder!();
      builder = undefined;
    }
    return cached;
  };
}
