// get (tables per kind, exact json/yaml, selectors, live watch), describe, delete, edit, wait,
// create secret|token and memory-entries against a real server.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { serverForFile } from '../../support/server-process';
import { ctl } from './support';

const server = serverForFile('ctl-objects');
const work = mkdtempSync(join(tmpdir(), 'orrery-ctl-objects-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = (extra: Record<string, string> = {}) => ({ ORLOJ_SERVER: server().url, PATH: process.env.PATH ?? '', ...extra });
/** The AGE column (always last) reads the same whatever the clock says. */
const ageless = (text: string) => text.replace(/(just now|\d+[smhd] ago)$/gm, 'AGE');
const api = (method: string, path: string, body?: unknown) => fetch(`${server().url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

const manifests = `apiVersion: orloj.dev/v1
kind: ModelEndpoint
metadata: { name: mock }
spec: { provider: mock, default_model: mock-1 }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: writer, labels: { team: docs } }
spec: { model_ref: mock, prompt: write it, tools: [search, fetch] }
---
apiVersion: orloj.dev/v1
kind: Agent
metadata: { name: reviewer-with-a-long-name, labels: { team: qa } }
spec: { model_ref: mock, prompt: review it }
---
apiVersion: orloj.dev/v1
kind: Tool
metadata: { name: search }
spec: { type: http, endpoint: "http://127.0.0.1:1/search", risk_level: low }
---
apiVersion: orloj.dev/v1
kind: Task
metadata: { name: job }
spec: { system: nowhere, input: { topic: x } }
---
apiVersion: orloj.dev/v1
kind: Memory
metadata: { name: notes }
spec: {}
`;

beforeAll(async () => {
  const r = await ctl(['apply', '-f', '-'], env(), { stdin: manifests });
  expect(r.code).toBe(0);
});

test('get: a table per kind with its own columns; wide adds more; exact json and yaml', async () => {
  const agents = await ctl(['get', 'agents'], env());
  expect([agents.code, ageless(agents.out)]).toEqual([
    0,
    ['NAME                       PHASE    MODEL  TOOLS  AGE', 'reviewer-with-a-long-name  Pending  mock   0      AGE', 'writer                     Pending  mock   2      AGE', ''].join('\n'),
  ]);
  const tools = await ctl(['get', 'tl', '-o', 'wide'], env());
  expect(ageless(tools.out)).toBe(['NAMESPACE  NAME    PHASE    TYPE  RISK  ENDPOINT                   MCP-SERVER  AGE', 'default    search  Pending  http  low   http://127.0.0.1:1/search  -           AGE', ''].join('\n'));
  const task = await ctl(['get', 'task', 'job'], env());
  expect(ageless(task.out)).toBe(['NAME  PHASE    SYSTEM   MODE  ATTEMPTS  AGE', 'job   Pending  nowhere  run   -         AGE', ''].join('\n'));

  const json = JSON.parse((await ctl(['get', 'agents', '-o', 'json'], env())).out);
  expect(json).toEqual(await (await api('GET', '/v1/agents')).json());
  expect(json.kind).toBe('AgentList');
  const yaml = YAML.parse((await ctl(['get', 'agent', 'writer', '-o', 'yaml'], env())).out);
  expect(yaml).toEqual(await (await api('GET', '/v1/agents/writer')).json());

  const selected = await ctl(['get', 'agents', '-l', 'team=docs', '-o', 'json'], env());
  expect(JSON.parse(selected.out).items.map((o: any) => o.metadata.name)).toEqual(['writer']);
  const none = await ctl(['get', 'agents', '-l', 'team=nobody'], env());
  expect([none.code, none.out, none.err]).toEqual([0, '', 'No agents found.\n']);
  const coloured = await ctl(['get', 'agents'], env(), { tty: true });
  expect(coloured.out).toContain('\u001b[90mPending\u001b[0m');
  expect((await ctl(['get', 'agents'], env({ NO_COLOR: '1' }), { tty: true })).out).not.toContain('\u001b[');
  const missing = await ctl(['get', 'agent', 'ghost'], env());
  expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('not found')]);
  const unknown = await ctl(['get', 'gizmos'], env());
  expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining('unknown resource kind "gizmos"')]);
});

test('describe: summary, spec, recent events, then the YAML', async () => {
  const r = await ctl(['describe', 'agent/writer'], env());
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^Kind: +Agent\nName: +writer\nNamespace: +default\n/);
  expect(r.out).toContain('Labels:         team=docs');
  expect(r.out).toContain('  model_ref:    mock');
  expect(r.out).toMatch(/Events:\n +AGE +TYPE +SOURCE +MESSAGE\n.*resource.created +apiserver +Agent default\/writer created/);
  expect(YAML.parse(r.out.split('\n---\n')[1]).metadata.name).toBe('writer');
  const json = await ctl(['describe', 'agents', 'writer', '-o', 'json'], env());
  expect(JSON.parse(json.out)).toEqual(await (await api('GET', '/v1/agents/writer')).json());
});

test('edit: the editor changes the file, the object is replaced with If-Match; no change cancels', async () => {
  const editor = join(work, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/prompt: write it/prompt: write it well/" "$1"\n');
  chmodSync(editor, 0o755);
  const r = await ctl(['edit', 'agent', 'writer'], env({ EDITOR: editor }));
  expect([r.code, r.out]).toEqual([0, 'agents/writer edited\n']);
  expect(((await (await api('GET', '/v1/agents/writer')).json()) as any).spec.prompt).toBe('write it well');
  const none = await ctl(['edit', 'agent', 'writer'], env({ EDITOR: 'true' }));
  expect([none.code, none.out]).toEqual([0, 'edit cancelled, no changes\n']);
});

test('edit: a conflict or a refused edit keeps the edited file and says where', async () => {
  const racer = join(work, 'racer.sh');
  writeFileSync(racer, `#!/bin/sh\nsed -i "s/prompt: review it/prompt: mine/" "$1"\ncurl -s -o /dev/null -H 'content-type: application/json' -d '{"kind":"Agent","metadata":{"name":"reviewer-with-a-long-name"},"spec":{"model_ref":"mock","prompt":"theirs"}}' ${server().url}/v1/agents\n`);
  chmodSync(racer, 0o755);
  const conflict = await ctl(['edit', 'agents/reviewer-with-a-long-name'], env({ VISUAL: racer }));
  expect(conflict.code).toBe(1);
  expect(conflict.err).toContain('changed on the server since it was read');
  const kept = /your edits are kept in (\S+)/.exec(conflict.err)![1];
  expect(readFileSync(kept, 'utf8')).toContain('prompt: mine');
  rmSync(join(kept, '..'), { recursive: true, force: true });

  const breaker = join(work, 'breaker.sh');
  writeFileSync(breaker, '#!/bin/sh\nsed -i "/model_ref:/d" "$1"\n');
  chmodSync(breaker, 0o755);
  const invalid = await ctl(['edit', 'agent', 'writer'], env({ EDITOR: breaker }));
  expect(invalid.code).toBe(1);
  expect(invalid.err).toContain('  spec.model_ref: ');
  const keptToo = /your edits are kept in (\S+)/.exec(invalid.err)![1];
  expect(existsSync(keptToo)).toBe(true);
  rmSync(join(keptToo, '..'), { recursive: true, force: true });
});

test('wait: exit 0 when the phase is reached (Complete = Succeeded for tasks), 1 on timeout with the last phase', async () => {
  const waiting = ctl(['wait', 'task/job', '--for', 'condition=Complete', '--timeout', '30s'], env());
  const current: any = await (await api('GET', '/v1/tasks/job')).json();
  const put = await api('PUT', '/v1/tasks/job/status', { status: { ...current.status, phase: 'Succeeded' }, metadata: { resourceVersion: current.metadata.resourceVersion } });
  expect(put.status).toBe(200);
  const done = await waiting;
  expect([done.code, done.out]).toEqual([0, 'tasks/job condition met: Succeeded\n']);

  const timeout = await ctl(['wait', 'agents/writer', '--for', 'condition=Ready', '--timeout', '1s'], env());
  expect([timeout.code, timeout.err]).toEqual([1, 'error: timed out after 1s waiting for agents/writer to be Ready (last phase: Pending)\n']);
  const usage = await ctl(['wait', 'agents/writer', '--for', 'ready'], env());
  expect(usage.code).toBe(2);
});

test('delete: KIND NAME… and KIND/NAME…, --ignore-not-found; wait --for delete returns at once when gone', async () => {
  await ctl(['apply', '-f', '-'], env(), { stdin: 'kind: Agent\nmetadata: { name: tmp1 }\nspec: { model_ref: mock }\n---\nkind: Agent\nmetadata: { name: tmp2 }\nspec: { model_ref: mock }\n' });
  const r = await ctl(['delete', 'agents', 'tmp1', 'tmp2'], env());
  expect([r.code, r.out]).toEqual([0, 'agents/tmp1 deleted\nagents/tmp2 deleted\n']);
  const again = await ctl(['delete', 'agent/tmp1'], env());
  expect([again.code, again.err]).toEqual([1, expect.stringContaining('agents/tmp1: ')]);
  expect((await ctl(['delete', 'agent/tmp1', '--ignore-not-found'], env())).code).toBe(0);
  expect((await ctl(['wait', 'agent/tmp1', '--for', 'delete'], env())).out).toBe('agents/tmp1 deleted\n');
});

test('create secret from literals and files (values never printed); create token prints it once', async () => {
  const file = join(work, 'key.pem');
  writeFileSync(file, 'BEGIN KEY');
  const r = await ctl(['create', 'secret', 'creds', '--from-literal', 'user=ada', '--from-file', `pem=${file}`], env());
  expect([r.code, r.out]).toEqual([0, 'secrets/creds created\n']);
  const secret: any = await (await api('GET', '/v1/secrets/creds')).json();
  expect(Object.keys(secret.spec.data).sort()).toEqual(['pem', 'user']);
  const bad = await ctl(['create', 'secret', 'creds', '--from-literal', 'novalue'], env());
  expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('--from-literal "novalue": use key=value')]);

});

test('memory-entries (also as get memory-entries): listing and search', async () => {
  for (const [key, value] of [['alpha', 'the first note about rockets'], ['beta', 'a second note about boats']]) {
    expect((await api('PUT', `/v1/memories/notes/entries/${key}`, { value })).status).toBe(200);
  }
  const list = await ctl(['memory-entries', 'notes'], env());
  expect(list.out).toBe('KEY    VALUE\nalpha  the first note about rockets\nbeta   a second note about boats\n');
  const search = await ctl(['get', 'memory-entries', 'notes', '--query', 'rockets', '-o', 'json'], env());
  expect(JSON.parse(search.out).entries.map((e: any) => e.key)).toEqual(['alpha']);
  const bad = await ctl(['memory-entries', 'notes', '--limit', 'ten'], env());
  expect(bad.code).toBe(2);
});

test('get -w through the executable: a row per change until Ctrl-C', async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../../src/main.ts'), 'get', 'agents', 'writer', '-w', '--server', server().url], { stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ORRERY_CONFIG: join(work, 'none.json') } });
  const reader = proc.stdout.getReader();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the watch ended early:\n${text}`);
      text += new TextDecoder().decode(value);
    }
  };
  await until(/^EVENT +NAME +PHASE +MODEL +TOOLS +AGE\nadded +writer +Pending +mock +2 /m);
  await ctl(['apply', '-f', '-'], env(), { stdin: 'kind: Agent\nmetadata: { name: writer }\nspec: { model_ref: mock, prompt: again, tools: [search] }\n' });
  await until(/\nupdated +writer +Pending +mock +1 /);
  proc.kill('SIGINT');
  expect(await proc.exited).toBe(0);
});

test('create token prints it once, on stdout alone (last: afterwards the server wants tokens)', async () => {
  const token = await ctl(['create', 'token', 'ci', '--role', 'writer'], env());
  expect(token.code).toBe(0);
  expect(token.out).toMatch(/^\S{16,}\n$/);
  expect(token.err).toContain('not shown again');
  // From now on the server wants a token (auth off, but a token exists): a writer may not list them.
  const list = await ctl(['get', 'tokens', '-o', 'json'], env({ ORLOJ_API_TOKEN: token.out.trim() }));
  expect([list.code, list.err]).toEqual([1, expect.stringContaining('it needs admin')]);
  const admin = await ctl(['create', 'token', 'boss', '--role', 'admin'], env({ ORLOJ_API_TOKEN: 'nope' }));
  expect(admin.code).toBe(1);
  const tokens = await ctl(['get', 'tokens'], env({ ORLOJ_API_TOKEN: token.out.trim() }));
  expect(tokens.code).toBe(1);
});
