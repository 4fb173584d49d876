// SSE frame encoding (LF line endings). Frames are built once per change and shared by every
// subscriber that receives them.
const encoder = new TextEncoder();

export function frame(event: string, id: number | undefined, data: string): Uint8Array {
  return encoder.encode(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`);
}

export const HEARTBEAT = encoder.encode(': keep-alive\n\n');

export function errorFrame(reason: string, message: string): Uint8Array {
  return frame('error', undefined, JSON.stringify({ reason, message }));
}

export const slowConsumer = () => errorFrame('SlowConsumer', 'the watcher fell too far behind and was disconnected; resume with Last-Event-ID');

/** Memoizes a frame so a change is serialized once however many watchers receive it. */
export function lazyFrame(build: () => Uint8Array): () => Uint8Array {
  let cached: Uint8Array | undefined;
  return () => (cached ??= build());
}
