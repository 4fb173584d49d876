// Reading a byte stream whole, up to a cap: what tool replies, cli output and fetched modules share.

/**
 * The stream's bytes, or — as soon as more than `cap` bytes came — the bytes before the chunk
 * that crossed it, with `over` set and the stream cancelled.
 */
export async function readUpTo(stream: ReadableStream<Uint8Array>, cap: number): Promise<{ bytes: Uint8Array; over: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), over: false };
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => {});
      return { bytes: Buffer.concat(chunks), over: true };
    }
    chunks.push(value);
  }
}
