// Live data from the server's SSE watches. The browser's EventSource reconnects by itself after a
// network drop and sends Last-Event-ID, so the server replays exactly what was missed. If the
// stream ends for good (a 401, a restart refused), it is reopened with the last id as its resume
// point; an `Expired` frame means the resume point is gone: the view is reset and starts over.
export type Frame = { type: 'added' | 'updated' | 'deleted'; resource: any };
export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface WatchOptions {
  /** `resource` for /v1/<plural>/watch, `event` for /v1/events/watch. */
  event: 'resource' | 'event';
  onData(data: any): void;
  /** Called before the stream starts over without a resume point. */
  onReset?(): void;
  onState?(state: LiveState): void;
  /** Initial resume point (`0`: from the oldest kept). */
  from?: string;
}

export function watch(path: string, opts: WatchOptions): () => void {
  let last = opts.from ?? '';
  let source: EventSource | undefined;
  let timer: number | undefined;
  let stopped = false;
  const resumeParam = opts.event === 'event' ? 'since' : 'resourceVersion';
  const open = () => {
    const url = new URL(path, location.origin);
    if (last) url.searchParams.set(resumeParam, last);
    source = new EventSource(url.pathname + url.search, { withCredentials: true });
    opts.onState?.('connecting');
    source.onopen = () => opts.onState?.('live');
    source.addEventListener(opts.event, (e) => {
      const m = e as MessageEvent;
      if (m.lastEventId) last = m.lastEventId;
      opts.onData(JSON.parse(m.data));
    });
    // Id-only bookmark frames move the resume point without data; EventSource keeps them itself.
    source.addEventListener('message', (e) => {
      if ((e as MessageEvent).lastEventId) last = (e as MessageEvent).lastEventId;
    });
    source.addEventListener('error', (e) => {
      const data = (e as MessageEvent).data;
      if (typeof data === 'string' && data.includes('Expired')) {
        source?.close();
        last = '';
        opts.onReset?.();
        if (!stopped) open();
        return;
      }
      opts.onState?.('reconnecting');
      if (source?.readyState === EventSource.CLOSED && !stopped) timer = window.setTimeout(open, 3000);
    });
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    source?.close();
  };
}

export const keyOf = (o: any) => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;

/** The objects of one kind, kept current from its watch; `render` runs after each change. */
export function liveObjects(plural: string, query: string, render: (objects: Map<string, any>) => void, onState?: (s: LiveState) => void): () => void {
  const objects = new Map<string, any>();
  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render(objects);
    });
  };
  schedule();
  return watch(`/v1/${plural}/watch${query}`, {
    event: 'resource',
    onData(frame: Frame) {
      if (frame.type === 'deleted') objects.delete(keyOf(frame.resource));
      else objects.set(keyOf(frame.resource), frame.resource);
      schedule();
    },
    onReset() {
      objects.clear();
      schedule();
    },
    onState,
  });
}

/** A small "live / reconnecting" indicator for a page heading, announced politely. */
export function liveIndicator(): { el: HTMLElement; set(s: LiveState): void } {
  const el = document.createElement('span');
  el.className = 'live live-connecting';
  el.setAttribute('role', 'status');
  el.textContent = 'connecting';
  return {
    el,
    set(s) {
      el.className = `live live-${s}`;
      el.textContent = s;
    },
  };
}
