// Workers, live: phase, capacity, what each runs and when it last reported.
import { age, badge, fill, h } from '../dom';
import { liveIndicator, liveObjects } from '../live';

export function workersPage(main: HTMLElement): () => void {
  const indicator = liveIndicator();
  const body = h('tbody');
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, 'Workers'), indicator.el),
    h('div', { class: 'scroll' }, h('table', null, h('caption', { class: 'sr-only' }, 'Workers'), h('thead', null, h('tr', null, ['Name', 'Phase', 'Running', 'Max', 'Region', 'Last heartbeat'].map((c) => h('th', { scope: 'col' }, c)))), body)),
  );
  return liveObjects('workers', '', (objects) => {
    const rows = [...objects.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    fill(
      body,
      rows.length
        ? rows.map((w) => {
            const s = w.status ?? {};
            return h('tr', null, h('td', null, w.metadata.name), h('td', null, badge(s.phase)), h('td', null, s.currentTasks ?? s.current_tasks ?? 0), h('td', null, w.spec?.max_concurrent_tasks ?? ''), h('td', null, w.spec?.region ?? ''), h('td', null, s.lastHeartbeat ? `${age(s.lastHeartbeat)} ago` : ''));
          })
        : h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No workers have registered.')),
    );
  }, indicator.set);
}
