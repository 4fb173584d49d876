// CRUD benchmark: Orrery vs a bare Bun.serve + bun:sqlite baseline (apply/get/list/update), list
// latency at 1k/100k objects, cold start and idle RSS. Run: bun scripts/bench/crud.ts [--duration 10s]
import type { Subprocess } from 'bun';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, procKiB, runLoad, sequential, sleep, spawnServer, stopProcess, type LoadResult, type Op, describeMachine, startWatchdog } from './load';

const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;
const DEFAULTS: Record<string, string> = {
  duration: '10s', warmup: '1s', connections: '32', 'list-small': '1000', 'list-large': '100000',
  'list-samples': '200', 'cold-starts': '5', binary: 'dist/orrery', 'seed-timeout': '300s', 'max-time': '20m', skip: '',
};
const HELP = `Usage: npx bun scripts/bench/crud.ts [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v || '""'}`).join(', ')}
--skip takes a comma list of: cold, crud, scale.`;

function parseArgs(argv: string[]): Record<string, string> {
  const out = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq >= 0 ? eq : undefined);
    if (!a.startsWith('--') || !(key in DEFAULTS)) throw new Error(`unknown argument ${a}\n${HELP}`);
    out[key] = eq >= 0 ? a.slice(eq + 1) : argv[++i] ?? '';
  }
  return out;
}

function ms(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration "${v}" (use e.g. 500ms, 10s, 2m)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

// Imported (scripts/bench/scale.ts uses ops()), the flags are the defaults.
const opts = import.meta.main ? parseArgs(process.argv.slice(2)) : { ...DEFAULTS };
const DURATION = ms(opts.duration);
const WARMUP = ms(opts.warmup);
const CONNS = Number(opts.connections);
const skip = new Set(opts.skip.split(',').filter(Boolean));
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2));
const pad = (i: number) => String(i).padStart(6, '0');
const manifest = (name: string, prompt = 'hi') =>
  JSON.stringify({ apiVersion: 'orloj.dev/v1', kind: 'Agent', metadata: { name }, spec: { model_ref: 'm', prompt } });
const JSON_CT = { 'content-type': 'application/json' };

const tmpRoot = import.meta.main ? mkdtempSync(join(tmpdir(), 'orrery-bench-')) : '';
const procs: Subprocess[] = [];
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(procs.map((p) => stopProcess(p)));
  rmSync(tmpRoot, { recursive: true, force: true });
}
if (import.meta.main) {
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
}

export interface Target { name: 'baseline' | 'orrery'; url: string; pid: number; next: number; created: string[]; versions: string[] }

async function startTarget(name: Target['name'], dir: string): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  const cmd =
    name === 'orrery'
      ? [BUN, join(ROOT, 'src/main.ts'), 'serve', '--addr', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'info']
      : [BUN, join(import.meta.dir, 'baseline-server.ts'), '--data-dir', dir, '--port', '0'];
  const s = await spawnServer(cmd);
  procs.push(s.proc);
  return { name, url: s.url, pid: s.proc.pid, next: 0, created: [], versions: [] };
}

async function stopTarget(t: Target) {
  const p = procs.find((x) => x.pid === t.pid);
  if (p) await stopProcess(p);
}

/** The CRUD operations on one server, as load-generator ops (apply, get, list, update). */
export function ops(t: Target): Record<string, Op> {
  return {
    apply: {
      request: () => ({ method: 'POST', path: '/v1/agents', headers: JSON_CT, body: manifest(`bench-${pad(t.next++)}`) }),
      after: (_c, _i, status, body) => {
        if (status >= 200 && status < 300) t.created.push((JSON.parse(body) as { metadata: { name: string } }).metadata.name);
      },
    },
    get: { request: () => ({ path: `/v1/agents/${t.created[Math.floor(Math.random() * t.created.length)]}` }) },
    list: { request: () => ({ path: '/v1/agents?limit=50' }) },
    update: {
      request: (c, i) => ({
        method: 'PUT', path: `/v1/agents/upd-${c}`, headers: { ...JSON_CT, 'if-match': `"${t.versions[c]}"` }, body: manifest(`upd-${c}`, `hi ${i}`),
      }),
      after: async (c, _i, status, body) => {
        if (status === 200) t.versions[c] = (JSON.parse(body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
        else await refreshVersion(t, c);
      },
    },
  };
}

async function refreshVersion(t: Target, c: number) {
  const res = await fetch(`${t.url}/v1/agents/upd-${c}`, { signal: AbortSignal.timeout(10_000) });
  if (res.ok) t.versions[c] = ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

async function prepareUpdates(t: Target) {
  for (let c = 0; c < CONNS; c++) {
    const res = await fetch(`${t.url}/v1/agents`, { method: 'POST', headers: JSON_CT, body: manifest(`upd-${c}`), signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${t.name}: cannot create upd-${c}: ${res.status} ${await res.text()}`);
    t.versions[c] = ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function coldStart(): Promise<string> {
  const bin = join(ROOT, opts.binary);
  if (!existsSync(bin)) {
    console.error(`building ${opts.binary} (bun build --compile src/main.ts --outfile ${opts.binary}) …`);
    const r = Bun.spawnSync([BUN, 'build', '--compile', 'src/main.ts', '--outfile', opts.binary], { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' });
    if (r.exitCode !== 0) throw new Error(`build failed with exit code ${r.exitCode}`);
  }
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < Number(opts['cold-starts']); i++) {
    const dir = join(tmpRoot, `cold-${i}`);
    const port = freePort();
    const t0 = performance.now();
    const p = Bun.spawn([bin, 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dir, '--log-level', 'warn'], { stdout: 'ignore', stderr: 'inherit' });
    procs.push(p);
    let ok = false;
    while (performance.now() - t0 < 15_000 && p.exitCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(500) });
        await res.arrayBuffer();
        if (res.status === 200) {
          ok = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
    const elapsed = performance.now() - t0;
    if (!ok) throw new Error(`${bin} did not answer /healthz within 15 s (start ${i + 1})`);
    times.push(elapsed);
    await sleep(1000);
    rss.push(await procKiB(p.pid, 'VmRSS'));
    await stopProcess(p);
    console.error(`  cold start ${i + 1}: ${elapsed.toFixed(1)} ms to first 200, idle RSS ${(rss[i] / 1024).toFixed(1)} MiB`);
  }
  const st = statSync(bin);
  return [
    `Cold start of \`${opts.binary}\` (${(st.size / 1048576).toFixed(1)} MiB, built ${st.mtime.toISOString()}), spawn → first 200 from /healthz, fresh data dir each, ${times.length} starts:`,
    '',
    '| median | min | max | idle RSS 1 s after start (median) |',
    '|---|---|---|---|',
    `| ${times.length ? f1(median(times)) : '–'} ms | ${f1(Math.min(...times))} ms | ${f1(Math.max(...times))} ms | ${(median(rss) / 1024).toFixed(1)} MiB |`,
  ].join('\n');
}

async function crud(): Promise<string> {
  const targets = [await startTarget('baseline', join(tmpRoot, 'crud-baseline')), await startTarget('orrery', join(tmpRoot, 'crud-orrery'))];
  await sleep(1000);
  const idleRss = await procKiB(targets[1].pid, 'VmRSS');
  console.error(`  orrery (bun src/main.ts) idle RSS after start: ${(idleRss / 1024).toFixed(1)} MiB`);
  const results: Record<string, Record<string, LoadResult>> = {};
  for (const op of ['apply', 'get', 'list', 'update']) {
    results[op] = {};
    for (const t of targets) {
      if (op === 'update') await prepareUpdates(t);
      const o = ops(t)[op];
      if (WARMUP > 0) await runLoad(t.url, o, { connections: CONNS, durationMs: WARMUP });
      const r = await runLoad(t.url, o, { connections: CONNS, durationMs: DURATION, pid: t.pid });
      results[op][t.name] = r;
      console.error(
        `  ${op.padEnd(6)} ${t.name.padEnd(8)} ${f1(r.rps)} req/s  p50 ${f1(r.p50)} ms  p99 ${f1(r.p99)} ms  errors ${r.errors}/${r.requests}` +
          `  codes ${JSON.stringify(r.codes)}${r.firstError ? `  first error: ${r.firstError}` : ''}`,
      );
    }
  }
  const peak = await procKiB(targets[1].pid, 'VmHWM');
  const afterRss = await procKiB(targets[1].pid, 'VmRSS');
  const objects = targets.map((t) => `${t.name} ${t.created.length + CONNS}`).join(', ');
  for (const t of targets) await stopTarget(t);

  const lines = [
    `${CONNS} connections, ${DURATION / 1000} s per phase after ${WARMUP / 1000} s warm-up; objects stored at the end: ${objects}.`,
    '',
    '| op | server | req/s | p50 ms | p99 ms | errors / requests | server CPU µs/req | server cores | bench client cores | other processes cores |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [op, byTarget] of Object.entries(results)) {
    for (const [name, r] of Object.entries(byTarget)) {
      const codes = r.errors ? ` (${Object.entries(r.codes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${c}×${n}`).join(', ')})` : '';
      const server = ((r.serverCpuUsPerReq ?? 0) * r.rps) / 1e6;
      const other = Math.max(0, r.machineCpu - server - r.clientCpu);
      lines.push(
        `| ${op} | ${name} | ${f1(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.errors} / ${r.requests}${codes} | ${f1(r.serverCpuUsPerReq)} | ${server.toFixed(2)} | ${r.clientCpu.toFixed(2)} | ${other.toFixed(2)} |`,
      );
    }
  }
  lines.push('', 'Orrery / baseline:', '', '| op | throughput | p50 latency | p99 latency |', '|---|---|---|---|');
  for (const [op, r] of Object.entries(results)) {
    lines.push(`| ${op} | ${(r.orrery.rps / r.baseline.rps).toFixed(2)}× | ${(r.orrery.p50 / r.baseline.p50).toFixed(2)}× | ${(r.orrery.p99 / r.baseline.p99).toFixed(2)}× |`);
  }
  const met = (b: boolean) => (b ? '**met**' : '**not met**');
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const R = results;
  lines.push(
    '',
    '| target (issue 15) | measured | result |',
    '|---|---|---|',
    `| apply ≥ 0.7× baseline | ${ratio(R.apply.orrery.rps, R.apply.baseline.rps)}× | ${met(R.apply.orrery.rps >= 0.7 * R.apply.baseline.rps)} |`,
    `| update ≥ 0.7× baseline | ${ratio(R.update.orrery.rps, R.update.baseline.rps)}× | ${met(R.update.orrery.rps >= 0.7 * R.update.baseline.rps)} |`,
    `| get ≥ 0.9× baseline | ${ratio(R.get.orrery.rps, R.get.baseline.rps)}× | ${met(R.get.orrery.rps >= 0.9 * R.get.baseline.rps)} |`,
    `| list (50 items) ≥ 0.8× baseline | ${ratio(R.list.orrery.rps, R.list.baseline.rps)}× | ${met(R.list.orrery.rps >= 0.8 * R.list.baseline.rps)} |`,
    `| server CPU per apply ≤ 75 µs | ${f1(R.apply.orrery.serverCpuUsPerReq)} µs (baseline ${f1(R.apply.baseline.serverCpuUsPerReq)} µs) | ${met((R.apply.orrery.serverCpuUsPerReq ?? Infinity) <= 75)} |`,
    ...['apply', 'get', 'list', 'update'].map((op) => `| ${op} p99 < 10 ms | ${f1(R[op].orrery.p99)} ms | ${met(R[op].orrery.p99 < 10)} |`),
    '',
    `Orrery (\`bun src/main.ts\`) RSS: ${(idleRss / 1024).toFixed(1)} MiB idle after start; ${(afterRss / 1024).toFixed(1)} MiB after the phases (peak ${(peak / 1024).toFixed(1)} MiB).`,
  );
  return lines.join('\n');
}

async function scale(): Promise<string> {
  const samples = Number(opts['list-samples']);
  const sizes = [Number(opts['list-small']), Number(opts['list-large'])];
  const rows: string[] = [];
  const seedNotes: string[] = [];
  for (const name of ['baseline', 'orrery'] as const) {
    const t = await startTarget(name, join(tmpRoot, `scale-${name}`));
    try {
      let have = 0;
      for (const size of sizes) {
        const seedStart = performance.now();
        const r = await runLoad(
          t.url,
          { request: (_c, i) => ({ method: 'POST', path: '/v1/agents', headers: JSON_CT, body: manifest(`bench-${pad(have + i)}`) }) },
          { connections: CONNS, total: size - have, durationMs: ms(opts['seed-timeout']), progressEvery: 10_000, label: `${name} seeding to ${size}` },
        );
        const seeded = r.requests - r.errors;
        seedNotes.push(`${name}: ${seeded} applies to reach ${have + seeded} objects in ${((performance.now() - seedStart) / 1000).toFixed(1)} s (${f1(r.rps)}/s, p99 ${f1(r.p99)} ms, ${r.errors} errors)`);
        have += seeded;
        if (have < size) console.error(`  WARNING: ${name} holds ${have} objects, not ${size} (seed timeout or errors)`);
        const first = await sequential(t.url, '/v1/agents?limit=50', samples);
        const mid = await sequential(t.url, `/v1/agents?limit=50&after=default/bench-${pad(Math.floor(have / 2))}`, samples);
        const rss = name === 'orrery' ? ` ${((await procKiB(t.pid, 'VmRSS')) / 1024).toFixed(1)} MiB |` : ' – |';
        rows.push(`| ${name} | ${have} | ${f1(first.p50)} | ${f1(first.p99)} | ${f1(mid.p50)} | ${f1(mid.p99)} | ${first.errors + mid.errors} | ${first.bytes} |${rss}`);
        console.error(`  list ${name} @${have}: first page p50 ${f1(first.p50)} p99 ${f1(first.p99)} ms; mid page p50 ${f1(mid.p50)} p99 ${f1(mid.p99)} ms`);
      }
    } finally {
      await stopTarget(t);
    }
  }
  return [
    `GET /v1/agents?limit=50, ${samples} sequential requests each (one connection); mid page = \`after=default/bench-<half>\`.`,
    '',
    '| server | objects | first page p50 ms | p99 ms | mid page p50 ms | p99 ms | errors | page bytes | server RSS |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Seeding through the HTTP API with the same load generator:',
    '',
    ...seedNotes.map((n) => `- ${n}`),
  ].join('\n');
}

if (import.meta.main) {
  const watchdog = startWatchdog(ms(opts['max-time']), opts['max-time'], cleanup);

  try {
    const machine = await describeMachine();
    const sections: string[] = [`Machine: ${machine}; command: \`${['bun scripts/bench/crud.ts', ...process.argv.slice(2)].join(' ')}\``];
    console.error(`bench dir ${tmpRoot}; ${machine}; ${CONNS} connections; ${DURATION / 1000} s per phase`);
    if (!skip.has('cold')) {
      console.error('cold start …');
      sections.push('### Cold start\n\n' + (await coldStart()));
    }
    if (!skip.has('crud')) {
      console.error('CRUD phases (baseline and Orrery alternately) …');
      sections.push('### CRUD throughput and latency\n\n' + (await crud()));
    }
    if (!skip.has('scale')) {
      console.error('list latency at scale …');
      sections.push('### List latency by collection size\n\n' + (await scale()));
    }
    console.log(sections.join('\n\n'));
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}
