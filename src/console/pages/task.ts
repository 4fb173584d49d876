// One task, live from its watch (each frame answered by a read of the whole task): the graph with each agent's state, the final answer, each
// agent's output, the message timeline and the trace; Cancel and Retry.
import { api, errorText, qs } from '../api';
import { badge, fill, h } from '../dom';
import { liveIndicator, watch } from '../live';
import { navigate, taskHref } from '../nav';
import { drawGraph } from './graph';

const FINISHED = ['Succeeded', 'Failed', 'DeadLetter', 'Cancelled'];
const time = (iso?: string) => (iso ? new Date(iso).toLocaleTimeString() : '');
const clip = (s: string | undefined, n = 240) => (s && s.length > n ? `${s.slice(0, n - 1)}…` : (s ?? ''));

function table(cols: string[], rows: (string | number | Node | undefined)[][], caption: string): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      null,
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c ?? ''))))),
    ),
  );
}

/** The last text each agent handed on (the task's own input message aside); the final answer is output.result. */
function agentOutputs(task: any): HTMLElement {
  const out = new Map<string, string>();
  for (const m of task.status?.messages ?? []) if (m.from_agent && m.from_agent !== 'system' && m.content && m.phase !== 'DeadLetter') out.set(m.from_agent, m.content);
  if (task.status?.last_agent && task.status?.last_output) out.set(task.status.last_agent, task.status.last_output);
  if (!out.size) return h('p', { class: 'muted' }, 'No agent has answered yet.');
  return h('dl', { class: 'outputs' }, [...out].map(([agent, text]) => [h('dt', null, agent), h('dd', null, h('pre', null, text))]));
}

function timeline(task: any): HTMLElement {
  const msgs = [...(task.status?.messages ?? [])].sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? ''));
  if (!msgs.length) return h('p', { class: 'muted' }, 'No messages yet.');
  return h(
    'ol',
    { class: 'timeline' },
    msgs.map((m) =>
      h('li', null, h('span', { class: 'when' }, time(m.timestamp)), ' ', h('strong', null, `${m.from_agent || 'task'} → ${m.to_agent}`), ' ', badge(m.phase), m.attempts > 1 ? ` attempt ${m.attempts}` : '', m.last_error ? h('span', { class: 'error' }, ` ${m.last_error}`) : '', m.content ? h('div', { class: 'content' }, clip(m.content)) : ''),
    ),
  );
}

function trace(task: any): HTMLElement {
  const rows = (task.status?.trace ?? []).map((r: any) => [r.step_id, r.type, r.agent, r.model ?? r.tool, r.tokens, r.latency_ms === undefined ? undefined : `${r.latency_ms} ms`, clip(r.message ?? r.error, 160)]);
  if (!rows.length) return h('p', { class: 'muted' }, 'No trace rows yet.');
  return table(['Step', 'Type', 'Agent', 'Model / tool', 'Tokens', 'Latency', 'Message'], rows, 'Trace');
}

export function taskPage(main: HTMLElement, [ns, name]: string[]): () => void {
  const indicator = liveIndicator();
  const phase = h('span');
  const error = h('p', { class: 'error', role: 'alert' });
  const graph = h('div', { class: 'graph-box' });
  const answer = h('div', { 'aria-live': 'polite' });
  const outputs = h('div');
  const messages = h('div');
  const traceBox = h('div');
  let task: any;
  let system: any;
  const cancel = h('button', { type: 'button', disabled: true }, 'Cancel');
  const retry = h('button', { type: 'button', disabled: true }, 'Retry');
  const act = async (f: () => Promise<void>) => {
    error.textContent = '';
    try {
      await f();
    } catch (e) {
      error.textContent = errorText(e);
    }
  };
  cancel.addEventListener('click', () => act(() => api('POST', `/v1/tasks/${encodeURIComponent(name)}/cancel${qs({ namespace: ns })}`)));
  retry.addEventListener('click', () =>
    act(async () => {
      const copy = `${name.replace(/-r[0-9a-z]{6,}$/, '')}-r${Date.now().toString(36)}`;
      await api('POST', `/v1/tasks${qs({ namespace: ns })}`, { apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name: copy, namespace: ns, labels: task.metadata.labels }, spec: task.spec });
      navigate(taskHref(ns, copy));
    }),
  );
  const render = () => {
    if (!task) return;
    const p = task.status?.phase;
    fill(phase, badge(p));
    cancel.disabled = FINISHED.includes(p);
    retry.disabled = !FINISHED.includes(p);
    fill(graph, system ? drawGraph(system, task) : h('p', { class: 'muted' }, `AgentSystem ${task.spec?.system} not found.`));
    const result = task.status?.output?.result;
    fill(answer, result ? h('pre', { class: 'answer' }, result) : h('p', { class: 'muted' }, task.status?.lastError ? `Failed: ${task.status.lastError}` : p === 'WaitingApproval' ? 'Waiting for an approval.' : 'No answer yet.'));
    fill(outputs, agentOutputs(task));
    fill(messages, timeline(task));
    fill(traceBox, trace(task));
  };
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, name), phase, indicator.el),
    h('p', { class: 'muted' }, `Namespace ${ns}`),
    h('div', { class: 'actions' }, cancel, retry),
    error,
    h('section', { 'aria-labelledby': 's-graph' }, h('h2', { id: 's-graph' }, 'Graph'), graph),
    h('section', { 'aria-labelledby': 's-answer' }, h('h2', { id: 's-answer' }, 'Final answer'), answer),
    h('section', { 'aria-labelledby': 's-out' }, h('h2', { id: 's-out' }, 'Agent outputs'), outputs),
    h('section', { 'aria-labelledby': 's-msg' }, h('h2', { id: 's-msg' }, 'Messages'), messages),
    h('section', { 'aria-labelledby': 's-trace' }, h('h2', { id: 's-trace' }, 'Trace'), traceBox),
  );
  let systemAsked = false;
  let gone = false;
  const show = (t: any) => {
    task = t;
    if (!systemAsked) {
      systemAsked = true;
      api('GET', `/v1/agent-systems/${encodeURIComponent(task.spec.system)}${qs({ namespace: ns })}`)
        .then((s) => ((system = s), render()))
        .catch(() => render());
    }
    render();
  };
  // Watch frames carry the task's summary; its messages and trace come with a read of the task,
  // one at a time: frames that arrive during a read are answered by one more read.
  let reading = false;
  let again = false;
  const read = async () => {
    if (reading) return void (again = true);
    reading = true;
    try {
      do {
        again = false;
        const t = await api('GET', `/v1/tasks/${encodeURIComponent(name)}${qs({ namespace: ns })}`).catch(() => undefined);
        if (t && !gone) show(t);
      } while (again && !gone);
    } finally {
      reading = false;
    }
  };
  return watch(`/v1/tasks/watch${qs({ namespace: ns, name })}`, {
    event: 'resource',
    onData(frame) {
      gone = frame.type === 'deleted';
      if (gone) return void (error.textContent = 'This task was deleted.');
      void read();
    },
    onState: indicator.set,
  });
}
