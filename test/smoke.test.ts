// Smoke test of the single executable: compile it, start it alone on a free port with an empty
// data directory, apply a YAML manifest, read it back, stop it with SIGTERM, start it again.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server-process';
import { SseReader } from './support/sse';

const work = mkdtempSync(join(tmpdir(), 'orrery-smoke-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the compiled executable serves the API on its own and restarts with its data', async () => {
  const bin = join(work, 'orrery');
  const build = Bun.spawnSync([process.execPath, 'build', '--compile', join(import.meta.dir, '../src/main.ts'), '--outfile', bin], { stderr: 'pipe' });
  expect(build.exitCode, build.stderr.toString()).toBe(0);

  const version = Bun.spawnSync([bin, 'version']);
  expect(version.stdout.toString()).toMatch(/^orrery \d+\.\d+\.\d+/);

  const dataDir = join(work, 'data');
  const first = await startServer(dataDir, { bin, cwd: work });
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

  const second = await startServer(dataDir, { bin, cwd: work });
  const again = await (await fetch(`${second.url}/v1/agents/smoke-agent`)).json();
  expect(again).toEqual(read);
  // Watches work from the binary too, and resume across its restart.
  const watch = new SseReader(await fetch(`${second.url}/v1/agents/watch`, { headers: { 'Last-Event-ID': '0' } }));
  const [frame] = await watch.waitFor(1);
  expect(frame).toMatchObject({ event: 'resource', id: '1' });
  expect(JSON.parse(frame.data!).resource.metadata.name).toBe('smoke-agent');
  await watch.close();
  second.proc.kill('SIGINT');
  expect(await second.proc.exited).toBe(0);
}, 120_000);
