// completion scripts (generated from the program), init (blueprints built in, renamed, accepted by
// apply), and the routing of these verbs through the executable's entry point.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY_FILES, BLUEPRINTS } from '../../../src/cli/ctl/blueprints';
import { buildProgram } from '../../../src/cli/ctl/program';
import { serverForFile } from '../../support/server-process';
import { ctl } from './support';

const server = serverForFile('ctl-tooling');
const work = mkdtempSync(join(tmpdir(), 'orrery-ctl-tooling-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const main = join(import.meta.dir, '../../../src/main.ts');
const examples = join(import.meta.dir, '../../../examples/blueprints');

async function exe(args: string[], cwd = work): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, main, ...args], { cwd, stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ORRERY_CONFIG: join(work, 'none.json') } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

test('completion: bash parses, every verb, sub-verb, flag and kind is offered; zsh and fish cover the same verbs', async () => {
  const program = buildProgram({}, { out: () => {}, err: () => {}, tty: false, stdin: async () => '' }, { code: 0 });
  const bash = await exe(['completion', 'bash']);
  expect(bash.code).toBe(0);
  const path = join(work, 'orrery.bash');
  await Bun.write(path, bash.out);
  const check = Bun.spawnSync(['bash', '-n', path]);
  expect([check.exitCode, check.stderr.toString()]).toEqual([0, '']);
  const zsh = (await ctl(['completion', 'zsh'])).out;
  const fish = (await ctl(['completion', 'fish'])).out;
  for (const c of program.commands.filter((c) => c.name() !== 'help')) {
    expect(bash.out).toContain(`    ${c.name()})`);
    expect(zsh).toContain(`    ${c.name()})`);
    expect(fish).toContain(`-a ${c.name()} -d`);
    for (const o of c.options) if (o.long) expect(bash.out).toContain(o.long);
    for (const s of c.commands) expect(bash.out).toContain(`        ${s.name()})`);
  }
  for (const word of ['agents', 'ag', 'mcp-servers', 'tasks', 'tk', 'memory-entries']) expect(bash.out).toMatch(new RegExp(`[' ]${word} `));
  // Completing after `orrery get ` offers kinds; after `orrery auth ` the sub-verbs.
  const complete = (line: string) =>
    Bun.spawnSync(['bash', '-c', `source ${path}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _orrery; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: join(import.meta.dir, '../../..') }).stdout.toString().trim().split('\n');
  expect(complete("orrery get mcp")).toEqual(['mcp-servers', 'mcp']);
  expect(complete("orrery auth ''")).toEqual(expect.arrayContaining(['login', 'whoami', 'logout']));
  expect(complete("orrery --server http://x ap")).toEqual(['apply', 'approve']);
  expect(complete("orrery apply -f src/cli/ctl/comm")).toEqual(['src/cli/ctl/commands']);
  expect((await ctl(['completion', 'tcsh'])).code).toBe(2);
});

test('the blueprints built into the executable are exactly the files of examples/blueprints', () => {
  for (const name of readdirSync(examples)) {
    const files = readdirSync(join(examples, name)).filter((f) => !f.endsWith('.wasm'));
    expect(Object.keys(BLUEPRINTS[name]).sort()).toEqual(files.sort());
    expect(Object.keys(BINARY_FILES[name] ?? {}).sort()).toEqual(readdirSync(join(examples, name)).filter((f) => f.endsWith('.wasm')));
    for (const f of files) expect(BLUEPRINTS[name][f]).toBe(readFileSync(join(examples, name, f), 'utf8'));
  }
  expect(Object.keys(BLUEPRINTS).sort()).toEqual(readdirSync(examples).sort());
});

test('init writes renamed manifests that validate and apply accept; it refuses a non-empty directory', async () => {
  const r = await exe(['init', 'acme', '--blueprint', 'hierarchical']);
  expect(r.code).toBe(0);
  expect(r.err).toContain('created acme/ from the hierarchical blueprint; apply it with: orrery apply -f acme --run   (starts tasks/acme-article)');
  const dir = join(work, 'acme');
  expect(readdirSync(dir).sort()).toEqual(Object.keys(BLUEPRINTS.hierarchical).sort());
  const system = readFileSync(join(dir, '20-agent-system.yaml'), 'utf8');
  expect(system).toContain('name: acme\n');
  expect(system).toContain('orloj.dev/pattern: hierarchical');
  expect(system).not.toMatch(/\bhier-/);
  const valid = await ctl(['validate', '-f', dir]);
  expect(valid.code).toBe(0);
  const applied = await ctl(['apply', '-f', dir, '--run'], { ORLOJ_SERVER: server().url });
  expect([applied.code, applied.err]).toEqual([0, '']);
  expect(applied.out).toContain('agent-systems/acme created\ntasks/acme-article created\n');
  expect((await exe(['init', 'acme'])).code).toBe(1);
  expect((await exe(['init', 'x', '--blueprint', 'nope'])).code).toBe(2);

  const edge = await exe(['init', 'edge', '--blueprint', 'edge-tools']);
  expect(edge.code).toBe(0);
  expect(readFileSync(join(work, 'edge', '11-mcp-server.yaml'), 'utf8')).toContain('    - edge/word-tools.mjs\n');
  expect(readFileSync(join(work, 'edge', '13-wasm-tool.yaml'), 'utf8')).toContain('    module: edge/echo.wasm\n');
  expect(readFileSync(join(work, 'edge', 'echo.wasm'))).toEqual(readFileSync(join(examples, 'edge-tools', 'echo.wasm')));
  expect((await ctl(['validate', '-f', join(work, 'edge')])).code).toBe(0);
});

test('the executable routes the client verbs: validate offline, get against the server', async () => {
  const v = await exe(['validate', '-f', join(examples, 'pipeline')]);
  expect([v.code, v.out.split('\n').length]).toEqual([0, 7]);
  const g = await exe(['get', 'agent-systems', '-o', 'json', '--server', server().url]);
  expect(JSON.parse(g.out).kind).toBe('AgentSystemList');
});
