// Smoke test of the single executable: compile it, start it alone on a free port with an empty
// data directory, apply a YAML manifest, read it back, stop it with SIGTERM, start it again; then
// run the pipeline blueprint on its embedded worker.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer } from './support/server-process';
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
  const first = await startServer(dataDir, { bin, cwd: work, ...NO_WORKER });
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

  const second = await startServer(dataDir, { bin, cwd: work, ...NO_WORKER });
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

  // Auth works from the binary: with a bearer token configured, no credential means 401.
  const locked = await startServer(join(work, 'locked'), { bin, cwd: work, env: { ORLOJ_API_TOKENS: 'ops:smoke-token-123:writer' } });
  expect((await fetch(`${locked.url}/v1/agents`)).status).toBe(401);
  expect((await fetch(`${locked.url}/v1/agents`, { headers: { authorization: 'Bearer smoke-token-123' } })).status).toBe(200);
  // The sealing key (RSA-4096) is generated in the background on first start: 503 until then.
  let key: any;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await Bun.sleep(100)) {
    const r = await fetch(`${locked.url}/v1/sealing-key/public`, { headers: { authorization: 'Bearer smoke-token-123' } });
    if (r.status === 200) {
      key = await r.json();
      break;
    }
    expect(r.status).toBe(503);
  }
  expect(key).toMatchObject({ algorithm: 'rsa-oaep-sha256+aes-256-gcm', keyId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(key.publicKeyPEM).toStartWith('-----BEGIN PUBLIC KEY-----');
  locked.proc.kill('SIGTERM');
  expect(await locked.proc.exited).toBe(0);

  // The binary runs tasks: the pipeline blueprint end to end, offline, with the mock provider.
  const engine = await startServer(join(work, 'engine'), { bin, cwd: work });
  const dir = join(import.meta.dir, '../examples/blueprints/pipeline');
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const plural = { ModelEndpoint: 'model-endpoints', Agent: 'agents', AgentSystem: 'agent-systems', Task: 'tasks' }[/^kind:\s*(\S+)/m.exec(text)![1]]!;
    const r = await fetch(`${engine.url}/v1/${plural}`, { method: 'POST', body: text, headers: { 'content-type': 'application/yaml' } });
    expect(r.status, `${file}: ${await r.clone().text()}`).toBe(201);
  }
  let task: any;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(50)) {
    task = await (await fetch(`${engine.url}/v1/tasks/pipeline-brief`)).json();
    if (['Succeeded', 'Failed', 'DeadLetter'].includes(task.status?.phase)) break;
  }
  expect(task.status.phase).toBe('Succeeded');
  expect(task.status.output.result).toStartWith('[mock:mock-1]');
  const messages: any = await (await fetch(`${engine.url}/v1/tasks/pipeline-brief/messages`)).json();
  expect(messages.lifecycle_counts.succeeded).toBe(3);
  const metrics: any = await (await fetch(`${engine.url}/v1/tasks/pipeline-brief/metrics`)).json();
  expect(metrics.per_edge.map((e: any) => `${e.from_agent}->${e.to_agent}`)).toEqual(['pipeline-planner->pipeline-researcher', 'pipeline-researcher->pipeline-writer', 'system->pipeline-planner']);
  engine.proc.kill('SIGTERM');
  expect(await engine.proc.exited).toBe(0);
}, 120_000);
