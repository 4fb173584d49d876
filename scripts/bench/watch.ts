// Watch fan-out benchmark: N SSE watchers on /v1/agents/watch (spread over child processes, see
// sse-client.ts), a paced writer updating agents, and per-(watcher, revision) delivery and latency.
// Run: npx bun scripts/bench/watch.ts [--watchers 1000] [--rate 1000] [--duration 30s] [--help]
// With --stalled: the memory of watchers that never read instead (watch-stalled.ts).
import type { Subprocess } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, freePort, machineTicks, percentile, procKiB, sleep, stopProcess, describeMachine, startWatchdog } from './load';
import { fanout, now, spawnWatcherProcess, type Child, type PhaseReport } from './sse-client';
import { stalledBench } from './watch-stalled';

if (process.argv.includes('--stalled')) {
  await stalledBench(process.argv.slice(2).filter((a) => a !== '--stalled'));
  process.exit(process.exitCode ?? 0);
}

const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;
const DEFAULTS: Record<string, string> = {
  watchers: '1000', rate: '1000', duration: '30s', agents: '100', procs: '2', 'max-duration': '10s',
  connections: '32', heartbeat: '5s', straggle: '5s', 'max-time': '10m', profile: process.env.ORRERY_BENCH_PROFILE ?? '',
};
const HELP = `Usage: bun scripts/bench/watch.ts [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v}`).join(', ')}
--procs: watcher child processes; --max-duration: each unpaced max-rate phase (0 and N watchers);
--connections: concurrent writes in the max-rate phases; --heartbeat: the server's --watch-heartbeat-interval;
--profile DIR: run the server with bun --cpu-prof-md --cpu-prof-dir DIR (written when it stops; default $ORRERY_BENCH_PROFILE).
--stalled: measure server memory with watchers that never read instead (--stalled --help for its flags).`;

const opts = { ...DEFAULTS };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--help' || a === '-h') (console.log(HELP), process.exit(0));
  const eq = a.indexOf('=');
  const key = a.slice(2, eq >= 0 ? eq : undefined);
  if (!a.startsWith('--') || !(key in DEFAULTS)) throw new Error(`unknown argument ${a}\n${HELP}`);
  opts[key] = eq >= 0 ? a.slice(eq + 1) : process.argv[++i] ?? '';
}
function ms(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration "${v}" (use e.g. 500ms, 10s, 2m)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}
const N = Number(opts.watchers);
const RATE = Number(opts.rate);
const DURATION = ms(opts.duration);
const MAX_DURATION = ms(opts['max-duration']);
const AGENTS = Number(opts.agents);
if (!(N >= 1) || !(RATE > 0) || !(Number(opts.agents) >= 1)) throw new Error('--watchers, --rate and --agents must be at least 1');
const PROCS = Math.max(1, Math.min(Number(opts.procs), N));
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2));
const mib = (kib: number) => (kib / 1024).toFixed(1);
const manifest = (name: string, prompt: string) =>
  JSON.stringify({ apiVersion: 'orloj.dev/v1', kind: 'Agent', metadata: { name }, spec: { model_ref: 'm', prompt } });

const tmpRoot = mkdtempSync(join(tmpdir(), 'orrery-watch-bench-'));
const procs: Subprocess[] = [];
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) c.send('x');
  await Promise.all(procs.map((p) => stopProcess(p)));
  rmSync(tmpRoot, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

// ---- server ---------------------------------------------------------------------------------
let base = '';
let serverPid = 0;
let serverLog = '';
async function startServer() {
  const port = freePort();
  const p = Bun.spawn(
    [BUN, ...(opts.profile ? ['--cpu-prof-md', '--cpu-prof-dir', opts.profile] : []), join(ROOT, 'src/main.ts'), 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', join(tmpRoot, 'data'), '--log-level', 'warn', '--watch-heartbeat-interval', opts.heartbeat],
    { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
  );
  procs.push(p);
  void (async () => {
    const d = new TextDecoder();
    for await (const chunk of p.stderr) serverLog = (serverLog + d.decode(chunk)).slice(-20_000);
  })();
  base = `http://127.0.0.1:${port}`;
  serverPid = p.pid;
  const t0 = performance.now();
  while (performance.now() - t0 < 20_000 && p.exitCode === null) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`server did not answer /healthz within 20 s:\n${serverLog}`);
}

// ---- watcher child processes ----------------------------------------------------------------
const children: Child[] = [];
const spawnChild = (count: number) => {
  const c = spawnWatcherProcess(BUN, base, count, AGENTS);
  procs.push(c.proc);
  return c;
};

// ---- writer ---------------------------------------------------------------------------------
const versions: string[] = [];
const busy: boolean[] = [];
let cursor = 0;
let pendingCommits: string[] = [];
let commitPhase = '';
function flushCommits() {
  if (!pendingCommits.length) return;
  const line = `c ${commitPhase} ${pendingCommits.join(',')}`;
  pendingCommits = [];
  for (const c of children) c.send(line);
}
const agentName = (i: number) => `w-${String(i).padStart(4, '0')}`;
function pick(): number {
  for (let k = 0; k < AGENTS; k++) {
    const i = (cursor + k) % AGENTS;
    if (!busy[i]) {
      cursor = i + 1;
      busy[i] = true;
      return i;
    }
  }
  return -1;
}

interface WriterResult { phase: string; writes: number; errors: number; seconds: number; rps: number; p50: number; p99: number; behind: number; firstError: string }
async function runWriter(phase: string, o: { durationMs: number; rate?: number; concurrency: number }, progress: () => string): Promise<WriterResult> {
  commitPhase = phase;
  let lat = new Float64Array(1 << 16);
  let writes = 0;
  let errors = 0;
  let inFlight = 0;
  let seq = 0;
  let firstError = '';
  const one = async (i: number) => {
    inFlight++;
    const name = agentName(i);
    const t0 = performance.now();
    try {
      const res = await fetch(`${base}/v1/agents/${name}`, {
        method: 'PUT', headers: { 'content-type': 'application/json', 'if-match': `"${versions[i]}"` },
        body: manifest(name, `${phase} ${seq++}`), signal: AbortSignal.timeout(10_000),
      });
      const t = now();
      const text = await res.text();
      const rv = /"resourceVersion":"(\d+)"/.exec(text)?.[1];
      if (res.status === 200 && rv) {
        if (writes === lat.length) (lat = Float64Array.from({ length: lat.length * 2 }, (_, k) => lat[k] ?? 0));
        lat[writes++] = performance.now() - t0;
        versions[i] = rv;
        pendingCommits.push(`${rv}:${t.toFixed(3)}`);
      } else {
        errors++;
        firstError ||= `PUT ${name}: ${res.status} ${text.slice(0, 200)}`;
        const cur = await fetch(`${base}/v1/agents/${name}`).then((r) => r.text());
        versions[i] = /"resourceVersion":"(\d+)"/.exec(cur)?.[1] ?? versions[i];
      }
    } catch (e) {
      errors++;
      firstError ||= `PUT ${name}: ${(e as Error).message}`;
      await sleep(10);
    } finally {
      busy[i] = false;
      inFlight--;
    }
  };
  const flusher = setInterval(flushCommits, 50);
  const ticker = setInterval(() => console.error(`  ${phase}: ${((performance.now() - start) / 1000).toFixed(0)} s, ${writes} writes, ${errors} errors; ${progress()}`), 5000);
  const start = performance.now();
  const end = start + o.durationMs;
  let behind = 0;
  try {
    if (o.rate) {
      let issued = 0;
      while (performance.now() < end) {
        const target = Math.floor(((performance.now() - start) * o.rate) / 1000);
        while (issued < target) {
          const i = pick();
          if (i < 0) break;
          issued++;
          void one(i);
        }
        await sleep(10);
      }
      behind = Math.floor((o.durationMs * o.rate) / 1000) - issued;
    } else {
      const loop = async () => {
        while (performance.now() < end) {
          const i = pick();
          if (i < 0) await sleep(1);
          else await one(i);
        }
      };
      await Promise.all(Array.from({ length: o.concurrency }, loop));
    }
    const drain = performance.now();
    while (inFlight > 0 && performance.now() - drain < 15_000) await sleep(5);
  } finally {
    clearInterval(flusher);
    clearInterval(ticker);
    flushCommits();
  }
  const seconds = (performance.now() - start) / 1000;
  const sorted = lat.slice(0, writes).sort();
  return { phase, writes, errors, seconds, rps: writes / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), behind, firstError };
}

// ---- measuring ------------------------------------------------------------------------------
interface Usage { t: number; server: number; kids: number; self: number; machine: { busy: number; total: number } }
async function usage(): Promise<Usage> {
  let kids = 0;
  for (const c of children) kids += await cpuMs(c.proc.pid).catch(() => 0);
  const u = process.cpuUsage();
  return { t: performance.now(), server: await cpuMs(serverPid), kids, self: (u.user + u.system) / 1000, machine: await machineTicks() };
}
function cores(a: Usage, b: Usage) {
  const s = b.t - a.t;
  const m = (b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total);
  return { server: (b.server - a.server) / s, kids: (b.kids - a.kids) / s, self: (b.self - a.self) / s, machine: m * navigator.hardwareConcurrency };
}
const liveProgress = () => {
  let updates = 0;
  let open = 0;
  for (const c of children) (updates += c.progress.updates), (open += c.progress.open);
  return children.length ? `watchers open ${open}, update frames received ${updates}` : 'no watchers';
};

/** Asks every child for its report on a phase until all open watchers have caught up or the wait ends. */
async function collect(phase: string, maxRev: number, waitMs: number): Promise<{ reports: PhaseReport[]; waited: number }> {
  const t0 = performance.now();
  for (;;) {
    const reports = await Promise.all(children.map((c) => (c.send(`r ${phase} ${maxRev}`), c.next<PhaseReport>('report', 30_000))));
    const waited = performance.now() - t0;
    if (reports.every((r) => r.caughtUp >= r.open) || waited >= waitMs) return { reports, waited };
    await sleep(250);
  }
}

interface PhaseRow { w: WriterResult; cpu: ReturnType<typeof cores>; watchers: number; reports?: PhaseReport[]; waited?: number }
async function phase(name: string, o: { durationMs: number; rate?: number; concurrency: number }, watchers: number): Promise<PhaseRow> {
  console.error(`${name}: ${o.rate ? `${o.rate} writes/s paced` : `unpaced, ${o.concurrency} concurrent writes`} for ${o.durationMs / 1000} s, ${watchers} watchers`);
  const u0 = await usage();
  const w = await runWriter(name, o, liveProgress);
  const cpu = cores(u0, await usage());
  console.error(`  ${name}: ${w.writes} writes in ${w.seconds.toFixed(1)} s = ${f1(w.rps)}/s, p50 ${f1(w.p50)} ms, p99 ${f1(w.p99)} ms, ${w.errors} errors${w.firstError ? ` (${w.firstError})` : ''}`);
  if (!watchers) return { w, cpu, watchers };
  const maxRev = Math.max(0, ...versions.map(Number));
  const { reports, waited } = await collect(name, maxRev, ms(opts.straggle));
  console.error(`  ${name}: waited ${(waited / 1000).toFixed(1)} s for stragglers`);
  return { w, cpu, watchers, reports, waited };
}

// ---- main -----------------------------------------------------------------------------------
const watchdog = startWatchdog(ms(opts['max-time']), opts['max-time'], cleanup);

try {
  const machine = await describeMachine();
  console.error(`bench dir ${tmpRoot}; ${machine}`);
  await startServer();
  for (let i = 0; i < AGENTS; i++) {
    const res = await fetch(`${base}/v1/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: manifest(agentName(i), 'start') });
    const text = await res.text();
    if (!res.ok) throw new Error(`cannot create ${agentName(i)}: ${res.status} ${text}`);
    versions[i] = /"resourceVersion":"(\d+)"/.exec(text)![1];
    busy[i] = false;
  }
  const rows: PhaseRow[] = [await phase('max-0', { durationMs: MAX_DURATION, concurrency: Number(opts.connections) }, 0)];

  await sleep(1000);
  const rssBefore = await procKiB(serverPid, 'VmRSS');
  console.error(`server RSS before watchers ${mib(rssBefore)} MiB; opening ${N} watchers in ${PROCS} processes …`);
  const t0 = performance.now();
  for (let p = 0; p < PROCS; p++) children.push(spawnChild(Math.floor(N / PROCS) + (p < N % PROCS ? 1 : 0)));
  const ready = await Promise.all(children.map((c) => c.next<{ open: number; disconnects: Record<string, number>; firstError: string }>('ready', 120_000)));
  const open = ready.reduce((a, r) => a + r.open, 0);
  const readyS = (performance.now() - t0) / 1000;
  console.error(`  ${open}/${N} watchers open with the ${AGENTS}-object snapshot after ${readyS.toFixed(1)} s${open < N ? `; failures ${JSON.stringify(ready.map((r) => r.disconnects))} ${ready.map((r) => r.firstError).join(' ')}` : ''}`);
  const clock = await Promise.all(children.map(async (c) => {
    const sent = now();
    c.send(`p ${sent}`);
    const pong = await c.next<{ sent: number; at: number }>('pong', 10_000);
    return { there: pong.at - sent, back: now() - pong.at };
  }));
  await sleep(1000);
  const rssWith = await procKiB(serverPid, 'VmRSS');
  console.error(`  server RSS with watchers ${mib(rssWith)} MiB`);

  rows.push(await phase('paced-N', { durationMs: DURATION, rate: RATE, concurrency: Number(opts.connections) }, N));
  const rssAfter = await procKiB(serverPid, 'VmRSS');
  rows.push(await phase('max-N', { durationMs: MAX_DURATION, concurrency: Number(opts.connections) }, N));
  const rssPeak = await procKiB(serverPid, 'VmHWM');

  const out: string[] = [
    `Machine: ${machine}. Command: \`${['bun scripts/bench/watch.ts', ...process.argv.slice(2)].join(' ')}\` (${Object.entries(opts).filter(([, v]) => v).map(([k, v]) => `--${k} ${v}`).join(' ')}).`,
    '',
    `${open} of ${N} watchers open (${PROCS} watcher processes) with the ${AGENTS}-agent snapshot ${readyS.toFixed(1)} s after spawning them. Clock check parent→child→parent: ${clock.map((c) => `${f1(c.there)} / ${f1(c.back)} ms`).join(', ')} (both ≥ 0 means the processes' clocks agree within that).`,
    '',
    '| phase | watchers | writer | writes | writes/s | write p50 / p99 ms | write errors | deliveries received / expected | disconnects | fan-out p50 / p99 / p99.9 / max ms | server cores | watcher procs cores | writer proc cores | other cores |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  let prevDisc: Record<string, number> = {};
  for (const r of rows) {
    const writer = r.w.phase.startsWith('paced') ? `${RATE}/s paced${r.w.behind > 0 ? ` (${r.w.behind} behind)` : ''}` : `unpaced, ${opts.connections} in flight`;
    let deliv = '–';
    let disc = '–';
    let lat = '–';
    if (r.reports) {
      const f = fanout(r.reports, r.w.writes * N);
      deliv = `${f.received} / ${f.expected} (${((100 * f.received) / Math.max(1, f.expected)).toFixed(2)}%)`;
      const d = Object.entries(f.disconnects).map(([k, n]) => [k, n - (prevDisc[k] ?? 0)] as const).filter(([, n]) => n > 0);
      disc = d.length ? d.map(([k, n]) => `${k} ${n}`).join(', ') : '0';
      prevDisc = f.disconnects;
      lat = `${f1(f.p50)} / ${f1(f.p99)} / ${f1(f.p999)} / ${f1(f.max)}`;
      if (f.unmatched || f.outOfOrder) disc += ` (unmatched receipts ${f.unmatched}, out of order ${f.outOfOrder})`;
      console.error(`  ${r.w.phase}: open at end ${f.open}, ${(f.bytes / 1048576).toFixed(0)} MiB read by watchers so far`);
    }
    out.push(
      `| ${r.w.phase} | ${r.watchers} | ${writer} | ${r.w.writes} | ${f1(r.w.rps)} | ${f1(r.w.p50)} / ${f1(r.w.p99)} | ${r.w.errors} | ${deliv} | ${disc} | ${lat} | ${r.cpu.server.toFixed(2)} | ${r.cpu.kids.toFixed(2)} | ${r.cpu.self.toFixed(2)} | ${Math.max(0, r.cpu.machine - r.cpu.server - r.cpu.kids - r.cpu.self).toFixed(2)} |`,
    );
  }
  const [max0, paced, maxN] = rows;
  const pf = fanout(paced.reports!, paced.w.writes * N);
  const met = (b: boolean) => (b ? '**met**' : '**not met**');
  const delivered = (100 * pf.received) / Math.max(1, pf.expected);
  const atIssueLoad = N >= 1000 && RATE >= 1000 && paced.w.rps >= 0.98 * 1000;
  out.push(
    '',
    `Target (issue 15): fan-out p99 < 50 ms with 100% delivery at 1,000 watchers x 1,000 writes/s: ${met(atIssueLoad && pf.p99 < 50 && pf.received === pf.expected && pf.expected > 0)} (p99 ${f1(pf.p99)} ms, delivery ${delivered.toFixed(2)}%, ${N} watchers x ${f1(paced.w.rps)} writes/s achieved of ${RATE}/s asked).`,
  );
  out.push(
    '',
    `Server RSS: ${mib(rssBefore)} MiB before the watchers, ${mib(rssWith)} MiB with ${open} connected (${f1((rssWith - rssBefore) / Math.max(1, open))} KiB per watcher), ${mib(rssAfter)} MiB after the paced phase, peak ${mib(rssPeak)} MiB.`,
    '',
    '| goal | measured | result |',
    '|---|---|---|',
    `| 100% of (watcher, revision) deliveries, paced phase (${f1(paced.w.rps)} writes/s achieved) | ${((100 * pf.received) / Math.max(1, pf.expected)).toFixed(2)}% | ${met(pf.received === pf.expected && pf.expected > 0)} |`,
    `| fan-out p99 < 50 ms, paced phase | ${f1(pf.p99)} ms | ${met(pf.p99 < 50)} |`,
    `| writer keeps ${RATE}/s with ${N} watchers | ${f1(paced.w.rps)}/s | ${met(paced.w.rps >= 0.98 * RATE)} |`,
    `| max write rate, ${N} watchers vs 0 | ${f1(maxN.w.rps)} / ${f1(max0.w.rps)} = ${(maxN.w.rps / max0.w.rps).toFixed(2)}× | (ratio) |`,
  );
  console.log(out.join('\n'));
} catch (e) {
  console.error(e);
  if (serverLog) console.error(`server log tail:\n${serverLog.slice(-2000)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
