// Tasks: the live list (phase filter, search, age) and a form that starts a task of an AgentSystem.
import { api, errorText } from '../api';
import { age, badge, field, fill, h } from '../dom';
import { liveIndicator, liveObjects } from '../live';
import { link, navigate, taskHref } from '../nav';

const PHASES = ['', 'Pending', 'Running', 'WaitingApproval', 'Succeeded', 'Failed', 'DeadLetter'];

/** `key=value` lines (or comma-separated pairs) → a string map; names the bad line. */
export function parseInput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split(/\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`input line ${i + 1}: expected key=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

function runForm(): HTMLElement {
  const system = h('select', { name: 'system', required: true }, h('option', { value: '' }, 'Loading systems…'));
  const name = h('input', { name: 'name', placeholder: 'generated when empty', pattern: '[a-z0-9]([-a-z0-9.]*[a-z0-9])?' });
  const input = h('textarea', { name: 'input', rows: 3, placeholder: 'topic=solar sails' });
  const error = h('p', { class: 'error', role: 'alert' });
  api('GET', '/v1/agent-systems')
    .then((list) => fill(system, h('option', { value: '' }, 'Choose a system'), list.items.map((s: any) => h('option', { value: `${s.metadata.namespace}/${s.metadata.name}` }, `${s.metadata.name} (${s.metadata.namespace})`))))
    .catch((e) => (error.textContent = errorText(e)));
  const form = h(
    'form',
    { class: 'card run', 'aria-labelledby': 'run-title' },
    h('h2', { id: 'run-title' }, 'Run a task'),
    h('div', { class: 'row' }, field('AgentSystem', system), field('Task name', name)),
    field('Input', input, 'One key=value per line, handed to the first agents.'),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Run'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const [ns, sys] = system.value.split('/');
      const taskName = name.value.trim() || `${sys}-${Date.now().toString(36)}`;
      const body = { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: taskName, namespace: ns }, spec: { system: sys, input: parseInput(input.value) } };
      await api('POST', `/v1/tasks?namespace=${encodeURIComponent(ns)}`, body);
      navigate(taskHref(ns, taskName));
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
  return form;
}

export function tasksPage(main: HTMLElement): () => void {
  const indicator = liveIndicator();
  const phase = h('select', { name: 'phase' }, PHASES.map((p) => h('option', { value: p }, p || 'Any phase')));
  const search = h('input', { type: 'search', name: 'search', placeholder: 'name, system or agent' });
  const body = h('tbody');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  let objects = new Map<string, any>();
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const rows = [...objects.values()]
      .filter((t) => !phase.value || t.status?.phase === phase.value)
      .filter((t) => !q || `${t.metadata.name} ${t.spec?.system} ${t.status?.last_agent ?? ''}`.toLowerCase().includes(q))
      .sort((a, b) => (b.metadata.createdAt ?? '').localeCompare(a.metadata.createdAt ?? ''));
    fill(
      body,
      rows.map((t) =>
        h(
          'tr',
          null,
          h('td', null, link(taskHref(t.metadata.namespace, t.metadata.name), t.metadata.name)),
          h('td', null, t.metadata.namespace),
          h('td', null, t.spec?.system),
          h('td', null, badge(t.status?.phase)),
          h('td', null, age(t.metadata.createdAt)),
        ),
      ),
    );
    count.textContent = `${rows.length} of ${objects.size} tasks`;
  };
  phase.addEventListener('change', render);
  search.addEventListener('input', render);
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, 'Tasks'), indicator.el),
    runForm(),
    h('div', { class: 'row filters' }, field('Phase', phase), field('Search', search)),
    count,
    h('div', { class: 'scroll' }, h('table', null, h('caption', { class: 'sr-only' }, 'Tasks, newest first'), h('thead', null, h('tr', null, ['Name', 'Namespace', 'System', 'Phase', 'Age'].map((c) => h('th', { scope: 'col' }, c)))), body)),
  );
  const timer = window.setInterval(render, 10_000);
  const stop = liveObjects('tasks', '', (o) => ((objects = o), render()), indicator.set);
  return () => (stop(), window.clearInterval(timer));
}
