// apply, validate and diff against a real server: directories walked in order, each document sent
// on its own, failures listed with their fields while the rest is applied, dry runs that write
// nothing, offline validation, and diffs with kubectl's exit codes.
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverForFile } from '../../support/server-process';
import { ctl } from './support';

const server = serverForFile('ctl-apply');
const work = mkdtempSync(join(tmpdir(), 'orrery-ctl-apply-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = () => ({ ORLOJ_SERVER: server().url });
const names = async (plural: string, ns = 'default') => ((await (await fetch(`${server().url}/v1/${plural}?namespace=${ns}`)).json()) as any).items.map((o: any) => o.metadata.name);

const endpoint = 'apiVersion: orloj.dev/v1\nkind: ModelEndpoint\nmetadata:\n  name: mock\nspec:\n  provider: mock\n  default_model: mock-1\n';
const agent = (name: string, extra = '') => `apiVersion: orloj.dev/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model_ref: mock\n  prompt: hello${extra}\n`;

function tree(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('a directory with errors in two files reports both with their fields and applies the rest', async () => {
  const dir = tree(join(work, 'mixed'), {
    '00-base.yaml': `${endpoint}---\n${agent('alpha')}`,
    '10-bad-agent.yaml': agent('bravo').replace('  model_ref: mock\n', ''),
    '20-bad-tool.json': JSON.stringify({ apiVersion: 'orloj.dev/v1', kind: 'Tool', metadata: { name: 'charlie' }, spec: { type: 'bogus' } }),
    'nested/30-more.yml': agent('delta'),
    'nested/40-run.yaml': 'apiVersion: orloj.dev/v1\nkind: Task\nmetadata:\n  name: go-now\nspec:\n  system: nowhere\n',
    'nested/41-template.yaml': 'apiVersion: orloj.dev/v1\nkind: Task\nmetadata:\n  name: tmpl\nspec:\n  system: nowhere\n  mode: template\n',
    '.git/50-ignored.yaml': 'not: [valid',
    'README.txt': 'not a manifest',
  });
  const r = await ctl(['apply', '-f', dir], env());
  expect(r.code).toBe(1);
  expect(r.out).toBe(['model-endpoints/mock created', 'agents/alpha created', 'agents/delta created', 'tasks/tmpl created', ''].join('\n'));
  expect(r.err).toContain(`error: agents/bravo (${join(dir, '10-bad-agent.yaml')}): Agent "bravo" is invalid\n  spec.model_ref: `);
  expect(r.err).toContain(`error: tools/charlie (${join(dir, '20-bad-tool.json')}): Tool "charlie" is invalid\n  spec.type: must be one of`);
  expect(r.err).toContain('skipped tasks/go-now');
  expect(r.err).toContain('2 of 7 object(s) failed');
  expect(await names('agents')).toEqual(['alpha', 'delta']);
  expect(await names('tasks')).toEqual(['tmpl']);

  const again = await ctl(['apply', '-f', join(dir, '00-base.yaml'), '-f', join(dir, 'nested/40-run.yaml')], env());
  expect([again.code, again.out]).toEqual([0, 'model-endpoints/mock unchanged\nagents/alpha unchanged\ntasks/go-now created\n']);
});

test('--run applies runnable Tasks of a directory; -n places manifests without a namespace', async () => {
  const dir = tree(join(work, 'run'), { 'a.yaml': `${endpoint}---\n${agent('echo')}`, 't.yaml': 'apiVersion: orloj.dev/v1\nkind: Task\nmetadata:\n  name: later\nspec:\n  system: nowhere\n' });
  const r = await ctl(['apply', '-f', dir, '--run', '-n', 'team-a'], env());
  expect([r.code, r.out]).toEqual([0, 'model-endpoints/mock created\nagents/echo created\ntasks/later created\n']);
  expect(await names('tasks', 'team-a')).toEqual(['later']);
});

test('stdin: several documents, each sent on its own; configured when the spec changes', async () => {
  const r = await ctl(['apply', '-f', '-'], env(), { stdin: `${agent('alpha', ' again')}---\n${agent('foxtrot')}` });
  expect([r.code, r.out]).toEqual([0, 'agents/alpha configured\nagents/foxtrot created\n']);
});

test('--dry-run says created/configured/unchanged and writes nothing', async () => {
  const before = await (await fetch(`${server().url}/v1/agents`)).json();
  const r = await ctl(['apply', '--dry-run', '-f', '-'], env(), { stdin: `${agent('alpha', ' again')}---\n${agent('delta', ' changed')}---\n${agent('golf')}` });
  expect([r.code, r.out]).toEqual([0, 'agents/alpha unchanged (dry run)\nagents/delta configured (dry run)\nagents/golf created (dry run)\n']);
  expect(await (await fetch(`${server().url}/v1/agents`)).json()).toEqual(before);
  const bad = await ctl(['apply', '--dry-run', '-f', '-'], env(), { stdin: agent('hotel').replace('  model_ref: mock\n', '') });
  expect([bad.code, bad.err]).toEqual([1, expect.stringContaining('  spec.model_ref: ')]);
  expect(await names('agents')).not.toContain('hotel');
});

test('validate is offline: the server\'s own rules, fields per problem, exit 0 or 1', async () => {
  const dir = tree(join(work, 'validate'), { 'ok.yaml': `${endpoint}---\n${agent('fine')}`, 'bad.yaml': `${agent('worse').replace('  model_ref: mock\n', '')}---\nkind: Nope\nmetadata:\n  name: x\n`, 'broken.yaml': 'a: [1' });
  const unreachable = { ORLOJ_SERVER: 'http://127.0.0.1:1' };
  const r = await ctl(['validate', '-f', dir], unreachable);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`agents/worse (${join(dir, 'bad.yaml#1')}): Agent is invalid\n  spec.model_ref: `);
  expect(r.out).toContain(`(${join(dir, 'bad.yaml#2')}): kind: unknown kind "Nope"`);
  expect(r.out).toContain(`(${join(dir, 'broken.yaml')}): not valid YAML or JSON at line 1`);
  expect(r.out).toContain(`agents/fine valid (${join(dir, 'ok.yaml#2')})`);
  const ok = await ctl(['validate', '-f', join(dir, 'ok.yaml')], unreachable);
  expect([ok.code, ok.out]).toEqual([0, `model-endpoints/mock valid (${join(dir, 'ok.yaml#1')})\nagents/fine valid (${join(dir, 'ok.yaml#2')})\n`]);
  const none = await ctl(['validate'], unreachable);
  expect(none.code).toBe(2);
});

test('diff: a unified diff of live and manifest (normalised, no status); exit 0 same, 1 different', async () => {
  const same = await ctl(['diff', '-f', '-'], env(), { stdin: agent('foxtrot') });
  expect([same.code, same.out]).toEqual([0, '']);
  const changed = await ctl(['diff', '-f', '-'], env(), { stdin: `${agent('foxtrot', ' there')}---\n${agent('india')}` });
  expect(changed.code).toBe(1);
  expect(changed.out).toContain('--- live agents/foxtrot\n+++ stdin#1 agents/foxtrot\n@@');
  expect(changed.out).toContain('-  prompt: hello\n+  prompt: hello there\n');
  expect(changed.out).toContain('--- /dev/null\n+++ stdin#2 agents/india\n@@ -0,0 +1,');
  expect(changed.out).not.toContain('status');
});

test('on a terminal a progress line is redrawn on stderr for many objects and erased; without one nothing extra', async () => {
  const many = Array.from({ length: 6 }, (_, i) => agent(`many-${i}`)).join('---\n');
  const tty = await ctl(['apply', '-f', '-'], env(), { stdin: many, tty: true });
  expect(tty.code).toBe(0);
  expect(tty.err).toContain('\r[1/6] stdin#1');
  expect(tty.err).toContain('\r[6/6] stdin#6');
  expect(tty.err.endsWith('\r')).toBe(true);
  const plain = await ctl(['apply', '-f', '-'], env(), { stdin: many });
  expect([plain.err, plain.out.split('\n').length]).toEqual(['', 7]);
});

test('diff skips runnable Tasks of a directory unless --run, as apply does', async () => {
  const dir = tree(join(work, 'diff-run'), { 't.yaml': 'apiVersion: orloj.dev/v1\nkind: Task\nmetadata:\n  name: not-yet\nspec:\n  system: nowhere\n' });
  expect((await ctl(['diff', '-f', dir], env())).code).toBe(0);
  const run = await ctl(['diff', '-f', dir, '--run'], env());
  expect([run.code, run.out]).toEqual([1, expect.stringContaining('+++ ' + join(dir, 't.yaml') + ' tasks/not-yet')]);
});
