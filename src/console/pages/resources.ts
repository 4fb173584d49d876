// Resources of every kind: a live list per kind, one object as YAML with Delete, and the apply page
// (a YAML manifest, one or more documents, each cause of a refusal shown at its field's line).
import { parseAllDocuments, stringify, type Document } from 'yaml';
import { ApiFailure, api, boot, errorText, pluralOf, qs, type Cause } from '../api';
import { age, badge, field, fill, h } from '../dom';
import { liveIndicator, liveObjects } from '../live';
import { link, navigate } from '../nav';

/** The manifest handed from a resource's page to the apply page. */
const DRAFT = 'orrery.apply-draft';

const objectHref = (plural: string, o: any) => `/ui/resources/${plural}/${encodeURIComponent(o.metadata.namespace)}/${encodeURIComponent(o.metadata.name)}`;

function kindPicker(current: string): HTMLElement {
  const select = h('select', { name: 'kind' }, boot().kinds.map((k) => h('option', { value: k.plural, selected: k.plural === current }, k.kind)));
  select.addEventListener('change', () => navigate(`/ui/resources/${select.value}`));
  return field('Kind', select);
}

export function resourcesPage(main: HTMLElement, [plural = 'agents']: string[]): () => void {
  const kind = boot().kinds.find((k) => k.plural === plural);
  if (!kind) {
    fill(main, h('h1', null, 'Resources'), kindPicker('agents'), h('p', { class: 'error' }, `No kind ${plural}.`));
    return () => undefined;
  }
  const indicator = liveIndicator();
  const body = h('tbody');
  fill(
    main,
    h('div', { class: 'heading' }, h('h1', null, 'Resources'), indicator.el),
    h('div', { class: 'row filters' }, kindPicker(plural), h('p', null, link('/ui/apply', 'Apply a manifest'))),
    h('div', { class: 'scroll' }, h('table', null, h('caption', { class: 'sr-only' }, kind.kind), h('thead', null, h('tr', null, ['Name', 'Namespace', 'Phase', 'Age'].map((c) => h('th', { scope: 'col' }, c)))), body)),
  );
  return liveObjects(plural, '', (objects) => {
    const rows = [...objects.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    fill(body, rows.length ? rows.map((o) => h('tr', null, h('td', null, link(objectHref(plural, o), o.metadata.name)), h('td', null, o.metadata.namespace), h('td', null, badge(o.status?.phase)), h('td', null, age(o.metadata.createdAt)))) : h('tr', null, h('td', { colspan: 4, class: 'muted' }, `No ${kind.kind} yet.`)));
  }, indicator.set);
}

export function resourcePage(main: HTMLElement, [plural, ns, name]: string[]): void {
  const pre = h('pre', { class: 'yaml', tabindex: '0', 'aria-label': 'Manifest as YAML' }, 'Loading…');
  const error = h('p', { class: 'error', role: 'alert' });
  const path = `/v1/${plural}/${encodeURIComponent(name)}${qs({ namespace: ns })}`;
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
  del.addEventListener('click', async () => {
    if (!confirm(`Delete ${plural}/${name} in ${ns}?`)) return;
    try {
      await api('DELETE', path);
      navigate(`/ui/resources/${plural}`);
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
  const edit = h('button', { type: 'button', disabled: true }, 'Edit and apply');
  edit.addEventListener('click', () => {
    sessionStorage.setItem(DRAFT, edit.dataset.yaml ?? '');
    navigate('/ui/apply');
  });
  fill(main, h('h1', null, name), h('p', null, link(`/ui/resources/${plural}`, `← all ${plural}`), ` · namespace ${ns}`), h('div', { class: 'actions' }, edit, del), error, pre);
  api('GET', path)
    .then((o) => {
      // What apply would refuse or ignore: the status and the server-set metadata.
      const { status: _status, ...rest } = o;
      pre.textContent = stringify(o);
      edit.disabled = false;
      edit.dataset.yaml = stringify({ ...rest, metadata: { name: o.metadata.name, namespace: o.metadata.namespace, labels: o.metadata.labels } });
    })
    .catch((e) => ((pre.textContent = ''), (error.textContent = errorText(e))));
}

/** The 1-based line of a dotted field path (`spec.graph.a.edges[0].to`) in a document, if found. */
function lineOf(doc: Document, text: string, path: string | undefined): number | undefined {
  if (!path) return undefined;
  const segs = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segs.length; n > 0; n--) {
    const node = doc.getIn(segs.slice(0, n), true) as { range?: [number, number] } | undefined;
    if (node?.range) return text.slice(0, node.range[0]).split('\n').length;
  }
  return undefined;
}

export function applyPage(main: HTMLElement): void {
  const text = h('textarea', { name: 'manifest', rows: 14, spellcheck: 'false', class: 'code', placeholder: 'apiVersion: orloj.dev/v1\nkind: Agent\nmetadata:\n  name: writer\nspec:\n  …' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,.json' });
  const results = h('div', { 'aria-live': 'polite' });
  text.value = sessionStorage.getItem(DRAFT) ?? '';
  sessionStorage.removeItem(DRAFT);
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) text.value = await f.text();
  });
  const form = h('form', { class: 'card', 'aria-labelledby': 'apply-title' }, h('h2', { id: 'apply-title' }, 'Manifest'), field('YAML (several documents separated by ---)', text), field('Or load a file', file), h('button', { type: 'submit', class: 'primary' }, 'Apply'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(results);
    const source = text.value;
    for (const doc of parseAllDocuments(source)) {
      if (!('errors' in doc)) continue;
      const line = (c: Cause) => lineOf(doc, source, c.field);
      const show = (ok: boolean, title: string, causes: Cause[] = []) =>
        results.append(h('div', { class: `result ${ok ? 'ok' : 'bad'}` }, h('strong', null, title), causes.length ? h('ul', null, causes.map((c) => h('li', null, line(c) ? h('span', { class: 'line' }, `line ${line(c)}`) : null, c.field ? h('code', null, c.field) : null, ` ${c.message}`))) : null));
      if (doc.errors.length) {
        show(false, 'Not valid YAML', doc.errors.map((er) => ({ message: er.message })));
        continue;
      }
      const m = doc.toJS();
      if (!m) continue;
      const plural = pluralOf(String(m.kind ?? ''));
      const label = `${m.kind ?? '?'} ${m.metadata?.name ?? '?'}`;
      if (!plural) {
        show(false, label, [{ field: 'kind', message: m.kind ? `is not a kind this server knows` : 'is required' }]);
        continue;
      }
      try {
        const saved = await api('POST', `/v1/${plural}${qs({ namespace: m.metadata?.namespace })}`, m);
        results.append(h('div', { class: 'result ok' }, h('strong', null, `${label}: applied`), ' ', link(objectHref(plural, saved), 'view')));
      } catch (err) {
        show(false, `${label}: ${errorText(err)}`, err instanceof ApiFailure ? err.causes : []);
      }
    }
  });
  fill(main, h('h1', null, 'Apply'), h('p', { class: 'muted' }, 'Creates or updates each document in order, like orrery apply.'), form, h('section', { 'aria-labelledby': 'res-title' }, h('h2', { id: 'res-title' }, 'Result'), results));
}
