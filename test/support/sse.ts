// A small SSE client for tests: reads frames from a streaming Response and waits for conditions
// (never for fixed times).
export interface Frame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

export function parseFrames(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((b) => b.length)
    .map((block) => {
      const f: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) f.comment = line.slice(1).trim();
        else {
          const i = line.indexOf(':');
          const key = line.slice(0, i) as 'event' | 'id' | 'data';
          f[key] = line.slice(i + 1).replace(/^ /, '');
        }
      }
      return f;
    });
}

export class SseReader {
  readonly frames: Frame[] = [];
  private buffer = '';
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array<ArrayBufferLike>>;
  private readonly decoder = new TextDecoder();
  private pump: Promise<void>;

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array<ArrayBufferLike>>;
    this.pump = this.run();
  }

  private async run(): Promise<void> {
    for (;;) {
      const { value, done } = await this.reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) {
        this.done = true;
        return;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
      const cut = this.buffer.lastIndexOf('\n\n');
      if (cut >= 0) {
        this.frames.push(...parseFrames(this.buffer.slice(0, cut + 2)));
        this.buffer = this.buffer.slice(cut + 2);
      }
    }
  }

  /** Data frames only (no heartbeat comments). */
  get data(): Frame[] {
    return this.frames.filter((f) => f.event);
  }

  get ended(): boolean {
    return this.done;
  }

  /** Waits until `count` data frames arrived (or the stream ended); fails after timeoutMs. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.data.length < count && !this.done) {
      if (Date.now() > deadline) throw new Error(`only ${this.data.length} of ${count} frames arrived`);
      await Bun.sleep(5);
    }
    return this.data;
  }

  async waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await Bun.sleep(5);
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
    await this.pump;
  }
}

export const json = (f: Frame) => JSON.parse(f.data!);
