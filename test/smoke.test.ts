// Smoke test of the single executable: compile it, start it alone on a free port with an empty
// data directory, apply a YAML manifest, read it back, stop it with SIGTERM, start it again.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'orrery-smoke-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function start(bin: string, dataDir: string) {
  const proc = Bun.spawn([bin, 'serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'info'], {
    cwd: work, // no project files around: the binary must carry everything
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '' },
  });
  const reader = proc.stderr.getReader();
  let log = '';
  const deadline = Date.now() + 30_000;
  while (!/url="([^"]+)"/.test(log)) {
    if (Date.now() > deadline) throw new Error(`no listening line in time:\n${log}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited early:\n${log}`);
    log += new TextDecoder().decode(value);
  }
  const url = /url="([^"]+)"/.exec(log)![1];
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200).catch(() => false);
    if (ok) break;
    await Bun.sleep(50);
  }
  return { proc, url };
}

test('the compiled executable serves the API on its own and restarts with its data', async () => {
  const bin = join(work, 'orrery');
  const build = Bun.spawnSync([process.execPath, 'build', '--compile', join(import.meta.dir, '../src/main.ts'), '--outfile', bin], { stderr: 'pipe' });
  expect(build.exitCode, build.stderr.toString()).toBe(0);

  const version = Bun.spawnSync([bin, 'version']);
  expect(version.stdout.toString()).toMatch(/^orrery \d+\.\d+\.\d+/);

  const dataDir = join(work, 'data');
  const first = await start(bin, dataDir);
  const manifest = 'apiVersion: orloj.dev/v1\nkind: Agent\nmetadata:\n  name: smoke-agent\nspec:\n  model_ref: mock-default\n  prompt: hello\n';
  const applied = await fetch(`${first.url}/v1/agents`, { method: 'POST', body: manifest, headers: { 'content-type': 'application/yaml' } });
  expect(applied.status).toBe(201);
  const read: any = await (await fetch(`${first.url}/v1/agents/smoke-agent`)).json();
  expect(read.spec.prompt).toBe('hello');
  expect(read.metadata.resourceVersion).toBe('1');
  expect((await fetch(`${first.url}/swagger/json`)).status).toBe(200);
  const bundle = await fetch(`${first.url}/swagger/assets/swagger-ui-bundle.js`);
  expect(bundle.status).toBe(200);
  expect((await bundle.text()).length).toBeGreaterThan(100_000);
  first.proc.kill('SIGTERM');
  expect(await first.proc.exited).toBe(0);

  const second = await start(bin, dataDir);
  const again = await (await fetch(`${second.url}/v1/agents/smoke-agent`)).json();
  expect(again).toEqual(read);
  second.proc.kill('SIGINT');
  expect(await second.proc.exited).toBe(0);
}, 120_000);
