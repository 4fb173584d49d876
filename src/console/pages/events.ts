// The event stream, live, newest first, with the server's filters (type, kind, name, source).
import { qs } from '../api';
import { field, fill, h } from '../dom';
import { liveIndicator, watch } from '../live';

const KEEP = 500;

export function eventsPage(main: HTMLElement): () => void {
  const indicator = liveIndicator();
  const inputs = Object.fromEntries(['type', 'kind', 'name', 'source'].map((k) => [k, h('input', { name: k, placeholder: k === 'type' ? 'task.succeeded' : '' })])) as Record<string, HTMLInputElement>;
  const body = h('tbody');
  let stop: (() => void) | undefined;
  const start = () => {
    stop?.();
    body.replaceChildren();
    const filters = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim() || undefined]));
    // From the oldest event the log keeps, then live (the table keeps the newest 500).
    stop = watch(`/v1/events/watch${qs(filters)}`, {
      event: 'event',
      from: '0',
      onData(e) {
        body.prepend(h('tr', null, h('td', { class: 'nowrap' }, new Date(e.timestamp).toLocaleTimeString()), h('td', null, e.type), h('td', null, e.kind ? `${e.kind} ${e.namespace ?? ''}/${e.name ?? ''}` : ''), h('td', null, e.source), h('td', null, e.message)));
        while (body.children.length > KEEP) body.lastElementChild!.remove();
      },
      onReset: () => body.replaceChildren(),
      onState: indicator.set,
    });
  };
  const form = h('form', { class: 'row filters', 'aria-label': 'Event filters' }, Object.entries(inputs).map(([k, el]) => field(k[0].toUpperCase() + k.slice(1), el)), h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => (e.preventDefault(), start()));
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, 'Events'), indicator.el),
    form,
    h('div', { class: 'scroll' }, h('table', null, h('caption', { class: 'sr-only' }, 'Events, newest first'), h('thead', null, h('tr', null, ['Time', 'Type', 'Object', 'Source', 'Message'].map((c) => h('th', { scope: 'col' }, c)))), body)),
  );
  start();
  return () => stop?.();
}
