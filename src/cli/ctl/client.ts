// The HTTP client of the verbs: JSON (or YAML) requests with the bearer token, Status errors
// turned into ApiCallError, and server-sent event streams that resume with Last-Event-ID.
import { ApiCallError, CtlError } from './errors';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export class ApiClient {
  constructor(
    readonly server: string,
    private readonly token?: string,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Sends a request; a body that is a string goes as is (YAML or JSON text), anything else as JSON. */
  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: this.headers(headers) };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= typeof body === 'string' ? 'application/yaml' : 'application/json';
    }
    return fetch(`${this.server}${path}`, init);
  }

  /** The parsed JSON answer; a non-2xx answer throws ApiCallError with the server's Status. */
  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, path, body, headers);
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new ApiCallError(res.status, parsed, `${method} ${path}`);
    if (parsed === undefined && text) throw new CtlError(`${method} ${path}: the server answered something that is not JSON`);
    return parsed as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /**
   * Events of an SSE endpoint until `signal` aborts or the server ends the stream for good; a
   * dropped connection is reopened with Last-Event-ID so nothing is missed or repeated.
   */
  async *events(path: string, signal?: AbortSignal, reconnectMs = 1000): AsyncGenerator<SseEvent> {
    let lastId: string | undefined;
    while (!signal?.aborted) {
      let res: Response;
      try {
        res = await fetch(`${this.server}${path}`, { headers: this.headers({ accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }), signal });
      } catch (e) {
        if (signal?.aborted) return;
        if (lastId === undefined) throw e;
        await Bun.sleep(reconnectMs);
        continue;
      }
      if (!res.ok) {
        const text = await res.text();
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        throw new ApiCallError(res.status, body, `GET ${path}`);
      }
      try {
        for await (const e of parseSse(res.body!)) {
          if (e.id) lastId = e.id;
          yield e;
        }
      } catch (e) {
        if (signal?.aborted) return;
        if (lastId === undefined) throw e;
      }
      if (signal?.aborted) return;
      await Bun.sleep(reconnectMs);
    }
  }
}

/** Frames of a text/event-stream body (LF or CRLF line ends; comments skipped). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let frame: SseEvent = { event: 'message', data: '' };
  let hasData = false;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (hasData) yield frame;
        frame = { event: 'message', data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        frame.data = hasData ? `${frame.data}\n${value}` : value;
        hasData = true;
      } else if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
    }
  }
}
