// The approvals inbox: pending ToolApprovals (the tool call's input) and TaskApprovals (the output
// under review), live; approve, deny, or request changes with a comment (required for that one).
import { api, errorText, qs } from '../api';
import { age, fill, h } from '../dom';
import { keyOf, liveIndicator, liveObjects } from '../live';
import { link, taskHref } from '../nav';

const pretty = (v: unknown) => {
  if (typeof v !== 'string') return JSON.stringify(v, null, 2);
  try {
    return JSON.stringify(JSON.parse(v), null, 2);
  } catch {
    return v;
  }
};

function card(plural: string, a: any): HTMLElement {
  const tool = plural === 'tool-approvals';
  const { name, namespace } = a.metadata;
  const [taskNs, taskName] = (a.spec.task_ref ?? '').includes('/') ? a.spec.task_ref.split('/') : [namespace, a.spec.task_ref];
  const comment = h('textarea', { rows: 2, name: 'comment', 'aria-label': `Comment on ${name}` });
  const error = h('p', { class: 'error', role: 'alert' });
  const decide = (verb: string) => async () => {
    error.textContent = '';
    if (verb === 'request-changes' && !comment.value.trim()) {
      error.textContent = 'A comment is required to request changes.';
      comment.focus();
      return;
    }
    try {
      await api('POST', `/v1/${plural}/${encodeURIComponent(name)}/${verb}${qs({ namespace })}`, comment.value.trim() ? { comment: comment.value.trim() } : {});
    } catch (e) {
      error.textContent = errorText(e);
    }
  };
  const review = tool ? a.spec.input : a.spec.output;
  return h(
    'article',
    { class: 'card approval', 'aria-labelledby': `ap-${name}`, 'data-name': name },
    h('h3', { id: `ap-${name}` }, tool ? `Tool ${a.spec.tool}` : `Review ${a.spec.checkpoint_id}`, h('span', { class: 'muted' }, ` · ${name} · ${age(a.metadata.createdAt)} ago`)),
    h('p', null, 'Task ', taskName ? link(taskHref(taskNs, taskName), `${taskNs}/${taskName}`) : '—', a.spec.agent ? ` · agent ${a.spec.agent}` : '', tool && a.spec.operation_class ? ` · ${a.spec.operation_class}` : ''),
    a.spec.reason ? h('p', { class: 'muted' }, a.spec.reason) : null,
    h('h4', null, tool ? 'Input' : 'Output under review'),
    h('pre', null, review === undefined ? '(none)' : pretty(review)),
    h('label', { for: comment.id || (comment.id = `c-${name}`) }, 'Comment'),
    comment,
    error,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: decide('approve') }, 'Approve'),
      h('button', { type: 'button', class: 'danger', onclick: decide('deny') }, 'Deny'),
      !tool && a.spec.allow_request_changes !== false ? h('button', { type: 'button', onclick: decide('request-changes') }, 'Request changes') : null,
    ),
  );
}

export function approvalsPage(main: HTMLElement): () => void {
  const indicator = liveIndicator();
  const lists: Record<string, HTMLElement> = { 'tool-approvals': h('div', { class: 'cards' }), 'task-approvals': h('div', { class: 'cards' }) };
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const pending: Record<string, number> = {};
  const section = (plural: string) => (objects: Map<string, any>) => {
    const list = [...objects.values()].filter((a) => (a.status?.phase ?? 'Pending') === 'Pending').sort((a, b) => (a.metadata.createdAt ?? '').localeCompare(b.metadata.createdAt ?? ''));
    // Keep a card that is being typed into: only add new ones and drop decided ones.
    const box = lists[plural];
    const keep = new Set(list.map(keyOf));
    for (const el of [...box.children]) if (!keep.has((el as HTMLElement).dataset.key ?? '')) el.remove();
    const have = new Set([...box.children].map((el) => (el as HTMLElement).dataset.key));
    for (const a of list) {
      if (have.has(keyOf(a))) continue;
      const c = card(plural, a);
      c.dataset.key = keyOf(a);
      box.append(c);
    }
    if (!box.children.length) box.append(h('p', { class: 'muted', 'data-key': '' }, 'Nothing pending.'));
    pending[plural] = list.length;
    count.textContent = `${(pending['tool-approvals'] ?? 0) + (pending['task-approvals'] ?? 0)} pending`;
  };
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, 'Approvals'), indicator.el),
    count,
    h('section', { 'aria-labelledby': 's-tool' }, h('h2', { id: 's-tool' }, 'Tool calls'), lists['tool-approvals']),
    h('section', { 'aria-labelledby': 's-task' }, h('h2', { id: 's-task' }, 'Task output reviews'), lists['task-approvals']),
  );
  const stops = ['tool-approvals', 'task-approvals'].map((p) => liveObjects(p, '', section(p), indicator.set));
  return () => stops.forEach((s) => s());
}
