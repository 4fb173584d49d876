// The fresh-machine path of the single executable: copy the binary alone into an empty directory,
// start it there on a free port, fetch the web console and its script, apply an example manifest
// and a blueprint, wait for its task to succeed on the mock provider, take the review blueprint through request-changes and approve,
// decide the example approvals, send one GitHub-signed webhook delivery three times (one task),
// run the edge-tools blueprint (MCP server, host cli tool, wasm module, memory), and stop it: no
// MCP server process may outlive it. Usage: bun scripts/binary-smoke.ts [dist/orrery]
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import YAML from 'yaml';
import { kinds } from '../src/resources';
import { EDGE_TOOLS_DIR, EDGE_TOOLS_FILES, edgeToolsFlow } from './edge-tools-flow';

const root = resolve(import.meta.dir, '..');
const binary = resolve(process.argv[2] ?? join(root, 'dist/orrery'));
const MANIFEST = join(root, 'examples/resources/model-endpoint.yaml');
const BLUEPRINT = join(root, 'examples/blueprints/pipeline');
const REVIEW = join(root, 'examples/blueprints/review');
const TIMEOUT_MS = 60_000;

const say = (line: string) => process.stdout.write(`binary smoke: ${line}\n`);
const pluralOf = (kind: string) => kinds.find((k) => k.kind === kind)?.plural;

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Reads the server's log lines for as long as it runs (so it never blocks on a full pipe) and
 * resolves with the URL of its `listening` line; rejects if it exits first.
 */
function waitForListening(proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>, log: string[]): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    void (async () => {
      const decoder = new TextDecoder();
      let pending = '';
      for await (const chunk of proc.stderr) {
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          log.push(line);
          const url = / listening url="([^"]+)"/.exec(line)?.[1];
          if (url) resolveUrl(url);
        }
      }
      reject(new Error(`the server exited (${await proc.exited}) before listening:\n${log.join('\n')}`));
    })();
  });
}

/** Applies every document of a file; returns the names of its Tasks (or of the `collect` kind). */
async function apply(url: string, file: string, collect = 'Task'): Promise<string[]> {
  const text = readFileSync(file, 'utf8');
  const tasks: string[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    const manifest = doc.toJS();
    if (!manifest) continue;
    const plural = pluralOf(manifest.kind) ?? fail(`${file}: unknown kind ${manifest.kind}`);
    const r = await fetch(`${url}/v1/${plural}`, { method: 'POST', body: doc.toString(), headers: { 'content-type': 'application/yaml' } });
    if (r.status !== 201 && r.status !== 200) fail(`${basename(file)}: ${r.status} ${await r.text()}`);
    say(`applied ${manifest.kind} ${manifest.metadata.name} (${r.status})`);
    if (manifest.kind === collect) tasks.push(manifest.metadata.name);
  }
  return tasks;
}

async function call(url: string, method: string, path: string, body?: unknown, expect = 200): Promise<any> {
  const r = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await r.text();
  if (r.status !== expect) fail(`${method} ${path}: expected ${expect}, got ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Waits until the task waits on an approval other than `previous`; returns that approval's name. */
async function waitForApproval(url: string, name: string, previous?: string): Promise<string> {
  for (const deadline = Date.now() + TIMEOUT_MS; Date.now() < deadline; await Bun.sleep(100)) {
    const task: any = await call(url, 'GET', `/v1/tasks/${name}`);
    const blocked = task.status?.blocked_on?.name;
    if (task.status?.phase === 'WaitingApproval' && blocked && blocked !== previous) {
      say(`task ${name}: WaitingApproval on ${task.status.blocked_on.kind} ${blocked}`);
      return blocked;
    }
    if (['Succeeded', 'Failed', 'DeadLetter'].includes(task.status?.phase)) fail(`task ${name} ended ${task.status.phase} instead of waiting for approval`);
  }
  fail(`task ${name} never waited for an approval`);
}

/** The review blueprint: request changes once, approve the second draft, and the task succeeds. */
async function reviewFlow(url: string): Promise<void> {
  const tasks: string[] = [];
  for (const f of readdirSync(REVIEW).filter((f) => /\.ya?ml$/.test(f)).sort()) tasks.push(...(await apply(url, join(REVIEW, f))));
  const first = await waitForApproval(url, tasks[0]);
  const changed = await call(url, 'POST', `/v1/task-approvals/${first}/request-changes`, { decided_by: 'smoke', comment: 'shorter, please' });
  if (changed.status.phase !== 'ChangesRequested') fail(`request-changes answered phase ${changed.status.phase}`);
  const second = await waitForApproval(url, tasks[0], first);
  await call(url, 'POST', `/v1/task-approvals/${second}/approve`, { decided_by: 'smoke' });
  await call(url, 'POST', `/v1/task-approvals/${second}/deny`, { decided_by: 'smoke' }, 409);
  await waitForTask(url, tasks[0]);
}

/** The example approvals as plain objects: approve one ToolApproval, deny a second and a TaskApproval. */
async function decideExamples(url: string): Promise<void> {
  const [tool] = await apply(url, join(root, 'examples/resources/tool-approval.yaml'), 'ToolApproval');
  const [taskApproval] = await apply(url, join(root, 'examples/resources/task-approval.yaml'), 'TaskApproval');
  const approved = await call(url, 'POST', `/v1/tool-approvals/${tool}/approve`, { decided_by: 'smoke' });
  const denied = await call(url, 'POST', `/v1/task-approvals/${taskApproval}/deny`, { decided_by: 'smoke', comment: 'not this one' });
  if (approved.status.phase !== 'Approved' || denied.status.phase !== 'Denied') fail(`decisions answered ${approved.status.phase} and ${denied.status.phase}`);
  say(`ToolApproval ${tool}: Approved; TaskApproval ${taskApproval}: Denied`);
}

/** A GitHub-style signed delivery sent three times starts exactly one task, which runs the pipeline. */
async function webhookFlow(url: string): Promise<void> {
  await call(url, 'POST', '/v1/secrets', { metadata: { name: 'gh' }, spec: { stringData: { key: 's3cret' } } }, 201);
  await call(url, 'POST', '/v1/tasks', { metadata: { name: 'brief-template' }, spec: { system: 'pipeline', mode: 'template' } }, 201);
  const hook = await call(url, 'POST', '/v1/task-webhooks', { metadata: { name: 'gh' }, spec: { task_ref: 'brief-template', auth: { profile: 'github', secret_ref: 'gh' } } }, 201);
  const body = JSON.stringify({ action: 'opened', issue: { number: 7 } });
  const headers = {
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`,
    'x-github-delivery': 'smoke-delivery-1',
  };
  const answers: any[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${url}${hook.status.endpointPath}`, { method: 'POST', body, headers });
    if (r.status !== 202) fail(`webhook delivery ${i + 1}: ${r.status} ${await r.text()}`);
    answers.push(await r.json());
  }
  if (answers.map((a) => a.duplicate).join() !== 'false,true,true' || new Set(answers.map((a) => a.task)).size !== 1) fail(`deliveries answered ${JSON.stringify(answers)}`);
  say(`webhook: 3 deliveries of one event, one task ${answers[0].task}`);
  await waitForTask(url, answers[0].task);
}

/** Pids of processes working in `cwd` whose command line mentions `needle` (Linux /proc). */
function processesIn(cwd: string, needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle) && realpathSync(`/proc/${entry}/cwd`) === realpathSync(cwd)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return pids;
}

async function waitForTask(url: string, name: string): Promise<void> {
  let phase = '';
  for (const deadline = Date.now() + TIMEOUT_MS; Date.now() < deadline; await Bun.sleep(100)) {
    const task: any = await (await fetch(`${url}/v1/tasks/${name}`)).json();
    if (task.status?.phase !== phase) say(`task ${name}: ${(phase = task.status?.phase ?? 'Pending')}`);
    if (phase === 'Succeeded') return;
    if (phase === 'Failed' || phase === 'DeadLetter') fail(`task ${name} ended ${phase}: ${task.status?.lastError}`);
  }
  fail(`task ${name} did not finish within ${TIMEOUT_MS / 1000}s (last phase ${phase || 'none'})`);
}

const dir = mkdtempSync(join(tmpdir(), 'orrery-fresh-'));
/** The web console is inside the executable: the shell at /ui and its script, with its content type. */
async function consoleServed(url: string): Promise<void> {
  const shell = await fetch(`${url}/ui/tasks`);
  const html = await shell.text();
  const js = /src="(\/ui\/assets\/console\.[0-9a-f]+\.js)"/.exec(html)?.[1] ?? fail(`GET /ui/tasks answered ${shell.status} without the console script`);
  const script = await fetch(`${url}${js}`);
  const type = script.headers.get('content-type');
  const size = (await script.text()).length;
  if (script.status !== 200 || !type?.startsWith('text/javascript') || size < 20_000) fail(`GET ${js} answered ${script.status} ${type} with ${size} characters`);
  say(`console: /ui and ${js} (${size} characters) served`);
}

const log: string[] = [];
let proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
try {
  const bin = join(dir, 'orrery');
  copyFileSync(binary, bin);
  // The edge-tools manifests name their MCP script and wasm module relative to the server's directory.
  const edge = join(dir, 'examples/blueprints/edge-tools');
  mkdirSync(edge, { recursive: true });
  for (const f of EDGE_TOOLS_FILES) copyFileSync(join(EDGE_TOOLS_DIR, f), join(edge, f));
  say(`started ${bin} alone in ${dir} (with ${EDGE_TOOLS_FILES.join(', ')})`);
  // Only the machine's basics: nothing of this repository's environment leaks into the server.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  proc = Bun.spawn([bin, 'serve', '--addr', '127.0.0.1:0', '--tool-cli-allow', 'uname'], { cwd: dir, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const url = await waitForListening(proc, log);
  say(`listening at ${url}`);
  await consoleServed(url);
  await apply(url, MANIFEST);
  const files = readdirSync(BLUEPRINT).filter((f) => /\.ya?ml$/.test(f)).sort();
  const tasks: string[] = [];
  for (const f of files) tasks.push(...(await apply(url, join(BLUEPRINT, f))));
  if (tasks.length !== 1) fail(`expected one Task in ${BLUEPRINT}, found ${tasks.length}`);
  await waitForTask(url, tasks[0]);
  await reviewFlow(url);
  await decideExamples(url);
  await webhookFlow(url);
  await edgeToolsFlow(url, say);
  const running = processesIn(dir, 'word-tools.mjs');
  if (!running.length) fail('no MCP server process of the edge-tools blueprint is running');
  say(`MCP server process ${running.join(', ')} running`);
  proc.kill('SIGTERM');
  const code = await proc.exited;
  if (code !== 0) fail(`the server exited ${code} on SIGTERM`);
  const orphans = processesIn(dir, 'word-tools.mjs');
  if (orphans.length) fail(`MCP server process(es) ${orphans.join(', ')} outlived the server`);
  say('no MCP server process outlived the server');
  const left = readdirSync(dir).sort();
  say(`stopped cleanly; the directory now holds ${left.join(', ')}`);
  say('passed');
} catch (e) {
  process.stderr.write(`binary smoke: FAILED: ${(e as Error).message}\n`);
  if (log.length) process.stderr.write(`server log:\n${log.slice(-40).join('\n')}\n`);
  proc?.kill('SIGKILL');
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
