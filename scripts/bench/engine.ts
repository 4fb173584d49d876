// Engine benchmark: a 3-agent pipeline (a → b → c) run as Orrery Tasks and as a LangGraph JS graph on
// its dev server, both calling one instant fake model. Run: bun scripts/bench/engine.ts [--tasks N] [--concurrency C]
import type { Subprocess } from 'bun';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB_FILE } from '../../src/store/open-store';
import { dbBytes, growthPer } from './db-bytes';
import { cpuMs, describeMachine, freePort, machineTicks, percentile, spawnServer, startWatchdog, stopProcess } from './load';
import { prepareLangGraph, startLangGraph, type LangGraphServer } from './langgraph/dev-server';

const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;
const DEFAULTS: Record<string, string> = { tasks: '200', concurrency: '4', warmup: '8', 'task-timeout': '30s', 'rtt-samples': '200', 'max-time': '20m' };
const SWITCHES = ['skip-langgraph', 'skip-orrery', 'omit-concurrency-flag'];
const HELP = `Usage: npx bun scripts/bench/engine.ts [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v}`).join(', ')}; switches: ${SWITCHES.map((s) => `--${s}`).join(', ')}.
--tasks: measured tasks per engine (after --warmup more); --concurrency: tasks in flight (closed loop), also passed as
Orrery's --max-concurrent-tasks and LangGraph's --n-jobs-per-worker; --task-timeout: longest wait for one task;
--omit-concurrency-flag: start Orrery without --max-concurrent-tasks (trees whose server lacks the flag).`;

const opts: Record<string, string> = { ...DEFAULTS };
const on = new Set<string>();
// Imported (scripts/bench/scale.ts uses the helpers below), the flags are the defaults.
if (import.meta.main) for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--help' || a === '-h') (console.log(HELP), process.exit(0));
  const eq = a.indexOf('=');
  const key = a.slice(2, eq >= 0 ? eq : undefined);
  if (a.startsWith('--') && SWITCHES.includes(key)) on.add(key);
  else if (a.startsWith('--') && key in DEFAULTS) opts[key] = eq >= 0 ? a.slice(eq + 1) : process.argv[++i] ?? '';
  else throw new Error(`unknown argument ${a}\n${HELP}`);
}
function ms(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration "${v}" (use e.g. 500ms, 10s, 2m)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}
const N = Number(opts.tasks);
const C = Number(opts.concurrency);
const WARMUP = Number(opts.warmup);
const TASK_TIMEOUT = ms(opts['task-timeout']);
if (!(N >= 1) || !(C >= 1) || !(WARMUP >= 0)) throw new Error('--tasks and --concurrency must be at least 1, --warmup at least 0');
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2));
const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));
const log = (line: string) => console.error(line);
const JSON_CT = { 'content-type': 'application/json' };
const TERMINAL = new Set(['Succeeded', 'Failed', 'DeadLetter']);
export const PROMPTS = ['List three questions about the topic.', 'Answer the questions briefly.', 'Write a one-line summary.']; // = langgraph/graph.mjs

/** Raised when the Orrery half cannot run on this tree (flag unknown, tasks never finish): exit 2. */
export class EngineMissing extends Error {}

const tmpRoot = import.meta.main ? mkdtempSync(join(tmpdir(), 'orrery-engine-bench-')) : '';
const procs: Subprocess[] = [];
let langgraph: LangGraphServer | undefined;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await langgraph?.stop();
  await Promise.all(procs.map((p) => stopProcess(p)));
  rmSync(tmpRoot, { recursive: true, force: true });
}
if (import.meta.main) {
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
}

// ---- measuring helpers ----------------------------------------------------------------------
export interface Outcome { ok: boolean; error?: string; queueMs?: number; execMs?: number; runId?: string; endAt?: number }
export interface Phase { outcomes: Outcome[]; lat: number[]; seconds: number }

/** CPU ms of a process and all its descendants (the LangGraph CLI runs tsx, which runs the server). */
export async function treeCpuMs(pid: number): Promise<number> {
  let total = await cpuMs(pid).catch(() => 0);
  let kids = '';
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    // gone or no children file
  }
  for (const k of kids.split(/\s+/).filter(Boolean)) total += await treeCpuMs(Number(k));
  return total;
}

/** Runs n tasks keeping c in flight (a new one starts when one ends); latency = start → outcome.endAt. */
export async function closedLoop(label: string, n: number, c: number, runOne: (i: number) => Promise<Outcome>): Promise<Phase> {
  const outcomes: Outcome[] = [];
  const lat: number[] = [];
  let next = 0;
  let failed = 0;
  let fatal: unknown;
  const started = performance.now();
  const ticker = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    log(`  ${label}: ${outcomes.length}/${n} done, ${failed} failed, ${next - outcomes.length} in flight, ${f1(outcomes.length / s)} tasks/s, ${s.toFixed(0)} s`);
  }, 2000);
  const loop = async () => {
    while (next < n && fatal === undefined) {
      const i = next++;
      const t0 = performance.now();
      try {
        const o = await runOne(i);
        lat.push((o.endAt ?? performance.now()) - t0);
        outcomes.push(o);
        if (!o.ok) failed++;
      } catch (e) {
        fatal ??= e;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(c, n) }, loop));
  } finally {
    clearInterval(ticker);
  }
  if (fatal !== undefined) throw fatal;
  return { outcomes, lat, seconds: (performance.now() - started) / 1000 };
}

export interface Usage { t: number; server: number; fake: number; self: number; machine: { busy: number; total: number }; calls: number }
let fakeUrl = '';
let fakePid = 0;
async function usage(serverPid: number): Promise<Usage> {
  const u = process.cpuUsage();
  const stats = (await (await fetch(`${fakeUrl}/stats`)).json()) as { requests: number };
  return { t: performance.now(), server: await treeCpuMs(serverPid), fake: await cpuMs(fakePid), self: (u.user + u.system) / 1000, machine: await machineTicks(), calls: stats.requests };
}

export interface SideResult {
  engine: string; tasks: number; failed: number; rps: number; p50: number; p99: number; queueP50: number; execP50: number;
  callsPerTask: number; cpuPerTask: number; cores: { server: number; fake: number; self: number; other: number }; firstError?: string;
  /** Orrery: database bytes each measured task added, in all and by table. */
  dbPerTask?: ReturnType<typeof growthPer>;
}
export function summarize(engine: string, p: Phase, a: Usage, b: Usage): SideResult {
  const sorted = (xs: (number | undefined)[]) => Float64Array.from(xs.filter((x): x is number => typeof x === 'number' && !Number.isNaN(x))).sort();
  const lat = sorted(p.lat);
  const s = (b.t - a.t) / 1000;
  const machine = ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * navigator.hardwareConcurrency;
  const cores = { server: (b.server - a.server) / 1000 / s, fake: (b.fake - a.fake) / 1000 / s, self: (b.self - a.self) / 1000 / s, other: 0 };
  cores.other = Math.max(0, machine - cores.server - cores.fake - cores.self);
  const failed = p.outcomes.filter((o) => !o.ok);
  return {
    engine, tasks: p.outcomes.length, failed: failed.length, rps: p.outcomes.length / p.seconds, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99),
    queueP50: percentile(sorted(p.outcomes.map((o) => o.queueMs)), 0.5), execP50: percentile(sorted(p.outcomes.map((o) => o.execMs)), 0.5),
    callsPerTask: (b.calls - a.calls) / p.outcomes.length, cpuPerTask: (b.server - a.server) / p.outcomes.length, cores, firstError: failed[0]?.error,
  };
}

/** Sequential chat completions from this process straight to the fake: the model's share of a hop. */
export async function modelRoundTrip(samples: number, url = fakeUrl): Promise<{ p50: number; p99: number }> {
  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'system', content: PROMPTS[0] }, { role: 'user', content: 'topic 0' }] });
  const lat = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: JSON_CT, body, signal: AbortSignal.timeout(10_000) });
    await res.json();
    lat[i] = performance.now() - t0;
    if (!res.ok) throw new Error(`fake model answered ${res.status}`);
  }
  lat.sort();
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
}

// ---- Orrery ---------------------------------------------------------------------------------
type Obj = { metadata: { name: string }; status?: { phase?: string; lastError?: string } };

/**
 * GET /v1/tasks/watch for this run's label. Records when each task's first frame past Pending and its
 * first terminal frame arrived (createdAt has whole seconds only, so the frames time the phases).
 */
export async function watchTasks(base: string, label: string) {
  const ctl = new AbortController();
  const res = await fetch(`${base}/v1/tasks/watch?labelSelector=${encodeURIComponent(`bench-run=${label}`)}`, { signal: ctl.signal });
  if (!res.ok || !res.body) throw new Error(`GET /v1/tasks/watch: ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  const first = await Promise.race([reader.read(), sleep(10_000).then(() => null)]); // the opening comment: subscribed
  if (!first || first.done) throw new Error('GET /v1/tasks/watch sent nothing within 10 s');
  type Hit = { obj: Obj; at: number; runningAt?: number };
  const done = new Map<string, Hit>();
  const running = new Map<string, number>();
  const waiters = new Map<string, (v: Hit) => void>();
  const lastPhase = new Map<string, string>();
  let ended = '';
  const onFrame = (frame: string, at: number) => {
    let event = '';
    let data = '';
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (event === 'error') ended = `the watch ended with ${data}`;
    if (event !== 'resource' || !data) return;
    const { type, resource } = JSON.parse(data) as { type: string; resource: Obj };
    const name = resource.metadata.name;
    const phase = resource.status?.phase ?? '';
    lastPhase.set(name, phase);
    if (type === 'deleted' || done.has(name)) return;
    if (phase && phase !== 'Pending' && !TERMINAL.has(phase) && !running.has(name)) running.set(name, at);
    if (!TERMINAL.has(phase)) return;
    done.set(name, { obj: resource, at, runningAt: running.get(name) });
    waiters.get(name)?.(done.get(name)!);
  };
  void (async () => {
    const d = new TextDecoder();
    let buf = d.decode(first.value, { stream: true });
    try {
      for (;;) {
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          onFrame(buf.slice(0, cut), performance.now());
          buf = buf.slice(cut + 2);
        }
        const { value, done: eof } = await reader.read();
        if (eof) break;
        buf += d.decode(value, { stream: true });
      }
      ended ||= 'the server closed the watch stream';
    } catch (e) {
      ended ||= `the watch stream failed: ${(e as Error).message}`;
    }
  })();
  return {
    lastPhase: (name: string) => lastPhase.get(name),
    ended: () => ended,
    /** The terminal frame of a task, or undefined after timeoutMs (or when the stream ended). */
    async terminal(name: string, timeoutMs: number): Promise<Hit | undefined> {
      const deadline = performance.now() + timeoutMs;
      const hit = new Promise<Hit>((r) => waiters.set(name, r));
      while (!done.has(name) && !ended && performance.now() < deadline) await Promise.race([hit, sleep(Math.min(250, deadline - performance.now()))]);
      waiters.delete(name);
      return done.get(name);
    },
    close: () => ctl.abort(),
  };
}

export async function apply(base: string, plural: string, manifest: object): Promise<void> {
  const res = await fetch(`${base}/v1/${plural}`, { method: 'POST', headers: JSON_CT, body: JSON.stringify({ apiVersion: 'orloj.dev/v1', ...manifest }) });
  const text = await res.text();
  log(`  POST /v1/${plural} ${(manifest as { metadata: { name: string } }).metadata.name}: ${res.status}`);
  if (res.status !== 201) throw new Error(`POST /v1/${plural} answered ${res.status}, expected 201: ${text.slice(0, 500)}`);
}

/** The pipeline's resources: ModelEndpoint bench-model (the fake at modelUrl), Agents bench-a/b/c, AgentSystem bench-pipeline. */
export async function applyPipeline(base: string, modelUrl: string): Promise<void> {
  await apply(base, 'model-endpoints', { kind: 'ModelEndpoint', metadata: { name: 'bench-model' }, spec: { provider: 'openai-compatible', base_url: `${modelUrl}/v1`, default_model: 'bench-model', allowPrivate: true } });
  for (const [i, name] of ['bench-a', 'bench-b', 'bench-c'].entries()) {
    await apply(base, 'agents', { kind: 'Agent', metadata: { name }, spec: { model_ref: 'bench-model', prompt: PROMPTS[i] } });
  }
  await apply(base, 'agent-systems', {
    kind: 'AgentSystem',
    metadata: { name: 'bench-pipeline' },
    spec: { agents: ['bench-a', 'bench-b', 'bench-c'], graph: { 'bench-a': { next: 'bench-b' }, 'bench-b': { next: 'bench-c' } } },
  });
}

/**
 * One pipeline task per call: POST /v1/tasks `<prefix>-<i>` with label bench-run=<label>, then its
 * terminal frame on `watch` (opened by watchTasks for that label), within timeoutMs.
 */
export function pipelineTask(base: string, watch: Awaited<ReturnType<typeof watchTasks>>, label: string, prefix: string, timeoutMs: number) {
  return async (i: number): Promise<Outcome> => {
    const name = `${prefix}-${i}`;
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/tasks`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ apiVersion: 'orloj.dev/v1', kind: 'Task', metadata: { name, labels: { 'bench-run': label } }, spec: { system: 'bench-pipeline', input: { topic: `topic ${i}` } } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (res.status !== 201) return { ok: false, error: `POST /v1/tasks ${name}: ${res.status} ${text.slice(0, 200)}` };
    const hit = await watch.terminal(name, timeoutMs);
    if (!hit && watch.ended()) throw new Error(`Orrery: ${watch.ended()} while waiting for task ${name}`);
    if (!hit) {
      const caps = await fetch(`${base}/v1/capabilities`).then((r) => r.text()).catch((e) => `unreadable: ${e}`);
      const runtime = [...caps.matchAll(/"id":"(core\.runtime\.[a-z_]+)","enabled":(true|false)/g)].map((m) => `${m[1]}=${m[2]}`).join(', ');
      throw new EngineMissing(
        `Orrery: task ${name} did not reach Succeeded/Failed/DeadLetter within ${timeoutMs / 1000} s (last phase seen: ${watch.lastPhase(name) ?? 'none'}). ` +
          `GET /v1/capabilities: ${runtime || caps.slice(0, 300)}. The engine is not running tasks on this server yet (or is slower than --task-timeout).`,
      );
    }
    const st = hit.obj.status ?? {};
    const ok = st.phase === 'Succeeded';
    const run = hit.runningAt === undefined ? {} : { queueMs: hit.runningAt - t0, execMs: hit.at - hit.runningAt };
    return { ok, endAt: hit.at, error: ok ? undefined : `${name} ended ${st.phase}: ${st.lastError ?? ''}`, ...run };
  };
}

async function runOrrery(): Promise<SideResult> {
  const port = freePort();
  const flags = on.has('omit-concurrency-flag') ? [] : ['--max-concurrent-tasks', String(C)];
  const cmd = [BUN, join(ROOT, 'src/main.ts'), 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', join(tmpRoot, 'orrery'), '--log-level', 'info', ...flags];
  let server: Awaited<ReturnType<typeof spawnServer>>;
  try {
    server = await spawnServer(cmd);
  } catch (e) {
    const msg = (e as Error).message;
    const said = /orrery: unknown flag --max-concurrent-tasks.*/.exec(msg)?.[0];
    if (said) throw new EngineMissing(`Orrery rejected --max-concurrent-tasks (it said: "${said.trim()}"): the engine has not landed in this tree yet. Measure LangGraph alone with --skip-orrery, or start the server without the flag with --omit-concurrency-flag.`);
    throw e;
  }
  procs.push(server.proc);
  const base = server.url;
  log(`orrery: server ${base} (pid ${server.proc.pid}) ${flags.join(' ')}; applying the pipeline …`);
  await applyPipeline(base, fakeUrl);
  const label = `r${Date.now().toString(36)}`;
  const watch = await watchTasks(base, label);
  const runOne = (prefix: string) => pipelineTask(base, watch, label, prefix, TASK_TIMEOUT);
  try {
    if (WARMUP) await closedLoop('orrery warm-up', WARMUP, C, runOne('warm'));
    const db = join(tmpRoot, 'orrery', DB_FILE);
    const bytesBefore = dbBytes(db);
    const a = await usage(server.proc.pid);
    const phase = await closedLoop('orrery', N, C, runOne('task'));
    const side = summarize('Orrery (embedded worker)', phase, a, await usage(server.proc.pid));
    return { ...side, dbPerTask: growthPer(bytesBefore, dbBytes(db), N) };
  } finally {
    watch.close();
    await stopProcess(server.proc);
  }
}

// ---- LangGraph ------------------------------------------------------------------------------
let lgVersions = '';
async function runLangGraph(): Promise<SideResult> {
  const inst = await prepareLangGraph(log);
  lgVersions = inst.versions;
  log(`langgraph: starting langgraphjs dev (--n-jobs-per-worker ${C}) in ${inst.dir} …`);
  langgraph = await startLangGraph({ dir: inst.dir, port: freePort(), jobs: C, modelUrl: fakeUrl });
  const lg = langgraph;
  const runOne = async (i: number): Promise<Outcome> => lg.run(`topic ${i}`, TASK_TIMEOUT);
  try {
    if (WARMUP) {
      const w = await closedLoop('langgraph warm-up', WARMUP, C, runOne);
      if (w.outcomes.every((o) => !o.ok)) throw new Error(`every LangGraph warm-up run failed: ${w.outcomes[0]?.error}\n${lg.logTail()}`);
    }
    const a = await usage(lg.pid);
    const phase = await closedLoop('langgraph', N, C, runOne);
    const b = await usage(lg.pid);
    await sleep(300); // the server's per-run log lines trail its answers slightly
    for (const o of phase.outcomes) Object.assign(o, lg.serverTimes(o.runId));
    return summarize('LangGraph JS dev server', phase, a, b);
  } finally {
    await lg.stop();
  }
}

// ---- main -----------------------------------------------------------------------------------
function report(machine: string, rtt: { p50: number; p99: number }, rows: SideResult[]): string {
  const hop = (total: number) => (total - 3 * rtt.p50) / 3;
  const out = [
    `Machine: ${machine}; command: \`${['bun scripts/bench/engine.ts', ...process.argv.slice(2)].join(' ')}\`.`,
    '',
    `${N} measured tasks per engine after ${WARMUP} warm-up tasks, ${C} in flight (closed loop); Orrery \`--max-concurrent-tasks ${C}\`${on.has('omit-concurrency-flag') ? ' (omitted)' : ''}, LangGraph \`--n-jobs-per-worker ${C}\`. ` +
      `Fake model round trip from the bench process (sequential, ${opts['rtt-samples']} calls): p50 ${f1(rtt.p50)} ms, p99 ${f1(rtt.p99)} ms.${lgVersions ? ` LangGraph: ${lgVersions}.` : ''}`,
    '',
    '| engine | tasks | tasks/s | p50 ms | p99 ms | failed | model calls / task | queue p50 ms | run p50 ms | overhead / hop ms (p50) | overhead / hop ms (run p50) | server CPU ms / task | server / fake model / bench / other cores |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.engine} | ${r.tasks} | ${f1(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.failed} | ${f1(r.callsPerTask)} | ${f1(r.queueP50)} | ${f1(r.execP50)} | ${f1(hop(r.p50))} | ${f1(hop(r.execP50))} | ${f1(r.cpuPerTask)} | ${[r.cores.server, r.cores.fake, r.cores.self, r.cores.other].map((x) => x.toFixed(2)).join(' / ')} |`),
  ];
  out.push(
    '',
    'p50/p99: client side, submit → result seen (Orrery: POST /v1/tasks → terminal watch frame; LangGraph: POST /runs/wait → answer read). ' +
      'queue / run: Orrery from the arrival of the first watch frame past Pending, LangGraph from its log (run_queue_ms, run_exec_ms). ' +
      'Overhead / hop = (p50 − 3 × model round-trip p50) / 3. Server CPU includes child processes.',
  );
  for (const r of rows) if (r.firstError) out.push('', `${r.engine}, first failure: ${r.firstError}`);
  const orrery = rows.find((r) => r.dbPerTask);
  if (orrery?.dbPerTask) {
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
    const db = orrery.dbPerTask;
    const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
    out.push(
      '',
      `Orrery database growth per measured task (dbstat: bytes in use, before retention): ${kb(db.total)} — ${db.tables.map(([t, b]) => `${t} ${kb(b)}`).join(', ')}.`,
      '',
      '| target (issue 15) | measured | result |',
      '|---|---|---|',
      `| engine, 3-agent pipeline, C = 16: ≥ 350 tasks/s | ${f1(orrery.rps)} tasks/s at C = ${C} | ${C === 16 ? met(orrery.rps >= 350) : 'not measured (run with --concurrency 16)'} |`,
      `| database bytes per finished 3-agent pipeline task ≤ 16 KB | ${kb(db.total)} | ${met(db.total <= 16 * 1024 && orrery.failed === 0)} |`,
    );
  }
  const [o, l] = [rows.find((r) => r.engine.startsWith('Orrery')), rows.find((r) => r.engine.startsWith('LangGraph'))];
  if (o && l) {
    out.push('', 'Orrery / LangGraph:', '', '| throughput | p50 latency | p99 latency | run p50 | server CPU / task |', '|---|---|---|---|---|');
    out.push(`| ${(o.rps / l.rps).toFixed(2)}× | ${(o.p50 / l.p50).toFixed(2)}× | ${(o.p99 / l.p99).toFixed(2)}× | ${(o.execP50 / l.execP50).toFixed(2)}× | ${(o.cpuPerTask / l.cpuPerTask).toFixed(2)}× |`);
  }
  return out.join('\n');
}

if (import.meta.main) {
  const watchdog = startWatchdog(ms(opts['max-time']), opts['max-time'], cleanup);
  try {
    const machine = await describeMachine();
    log(`bench dir ${tmpRoot}; ${machine}; ${N} tasks, ${C} in flight, ${WARMUP} warm-up`);
    const fake = await spawnServer([BUN, join(import.meta.dir, 'fake-model.ts'), '--port', '0']);
    procs.push(fake.proc);
    fakeUrl = fake.url;
    fakePid = fake.proc.pid;
    const rtt = await modelRoundTrip(Number(opts['rtt-samples']));
    log(`fake model ${fakeUrl}: round trip p50 ${f1(rtt.p50)} ms, p99 ${f1(rtt.p99)} ms`);
    const rows: SideResult[] = [];
    if (!on.has('skip-orrery')) rows.push(await runOrrery());
    if (!on.has('skip-langgraph')) rows.push(await runLangGraph());
    for (const r of rows) log(`  ${r.engine}: ${f1(r.rps)} tasks/s, p50 ${f1(r.p50)} ms, p99 ${f1(r.p99)} ms, ${r.failed} failed`);
    console.log(report(machine, rtt, rows));
  } catch (e) {
    console.error(e instanceof EngineMissing ? `\nENGINE NOT AVAILABLE: ${e.message}` : e);
    process.exitCode = e instanceof EngineMissing ? 2 : 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}
