// Load generator and measuring helpers for scripts/bench/crud.ts: N concurrent keep-alive fetch
// loops for a fixed time or count, latency percentiles, /proc readings and subprocess handling.
import type { Subprocess } from 'bun';

export interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Op {
  /** The request for the iter-th call (a shared, increasing counter) on connection conn. */
  request(conn: number, iter: number): Call;
  /** Called after the response is read (outside the timed part). */
  after?(conn: number, iter: number, status: number, body: string): void | Promise<void>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Responses by status code; "ERR" for network errors and timeouts. */
  codes: Record<string, number>;
  firstError?: string;
  /** Server CPU time used during the run, per request, in microseconds (when a pid is given). */
  serverCpuUsPerReq?: number;
  /** Share of one core the bench process itself used during the run. */
  clientCpu: number;
  /** Cores busy machine-wide during the run (from /proc/stat), including server and client. */
  machineCpu: number;
}

/** Busy and total jiffies of all CPUs, from the first line of /proc/stat. */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await Bun.file('/proc/stat').text()).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - (v[4] ?? 0), total };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of sorted values (ms). */
export function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

let clkTck = 0;
/** utime+stime of a process in milliseconds, from /proc/<pid>/stat. */
export async function cpuMs(pid: number): Promise<number> {
  if (!clkTck) {
    const r = Bun.spawnSync(['getconf', 'CLK_TCK']);
    clkTck = Number(r.stdout.toString().trim()) || 100;
  }
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clkTck;
}

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM). */
export async function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : NaN;
}

/**
 * Runs op on `connections` concurrent loops until durationMs elapses or `total` calls were
 * started. Any non-2xx status or network error counts as an error.
 */
export async function runLoad(
  base: string,
  op: Op,
  opts: { connections: number; durationMs?: number; total?: number; timeoutMs?: number; pid?: number; progressEvery?: number; label?: string },
): Promise<LoadResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let lat = new Float64Array(1 << 16);
  let n = 0;
  let errors = 0;
  let iter = 0;
  let firstError: string | undefined;
  const codes: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + (opts.durationMs ?? 24 * 3600_000);
  const cpu0 = opts.pid ? await cpuMs(opts.pid) : 0;
  const client0 = process.cpuUsage();
  const machine0 = await machineTicks();
  const record = (ms: number) => {
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[n++] = ms;
  };
  const loop = async (conn: number) => {
    while (performance.now() < deadline) {
      const i = iter++;
      if (opts.total !== undefined && i >= opts.total) return;
      const c = op.request(conn, i);
      const t0 = performance.now();
      let status = 0;
      let text = '';
      try {
        const res = await fetch(base + c.path, {
          method: c.method ?? 'GET',
          headers: c.headers,
          body: c.body,
          keepalive: true,
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
        status = res.status;
        record(performance.now() - t0);
      } catch (e) {
        codes.ERR = (codes.ERR ?? 0) + 1;
        errors++;
        firstError ??= `${c.method ?? 'GET'} ${c.path}: ${(e as Error).message}`;
        await sleep(10); // do not spin on a dead server
        continue;
      }
      codes[status] = (codes[status] ?? 0) + 1;
      if (status < 200 || status > 299) {
        errors++;
        firstError ??= `${c.method ?? 'GET'} ${c.path}: ${status} ${text.slice(0, 200)}`;
      }
      if (opts.progressEvery && (i + 1) % opts.progressEvery === 0) {
        const s = (performance.now() - started) / 1000;
        console.error(`  ${opts.label ?? 'progress'}: ${i + 1} requests in ${s.toFixed(1)} s (${Math.round((i + 1) / s)}/s, ${errors} errors)`);
      }
      await op.after?.(conn, i, status, text);
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, (_, c) => loop(c)));
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(client0);
  const cpu1 = opts.pid ? await cpuMs(opts.pid) : 0;
  const machine1 = await machineTicks();
  const cores = navigator.hardwareConcurrency || 1;
  const sorted = lat.slice(0, n).sort();
  const requests = n + (codes.ERR ?? 0);
  return {
    requests,
    errors,
    seconds,
    rps: n / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    codes,
    firstError,
    serverCpuUsPerReq: opts.pid && n ? ((cpu1 - cpu0) * 1000) / n : undefined,
    clientCpu: (client.user + client.system) / 1e6 / seconds,
    machineCpu: ((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * cores,
  };
}

/** `count` sequential GETs of one path: p50/p99 in ms and the number of non-2xx answers. */
export async function sequential(base: string, path: string, count: number): Promise<{ p50: number; p99: number; errors: number; bytes: number }> {
  const lat = new Float64Array(count);
  let errors = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await fetch(base + path, { signal: AbortSignal.timeout(10_000) });
    const body = await res.arrayBuffer();
    lat[i] = performance.now() - t0;
    bytes = body.byteLength;
    if (!res.ok) errors++;
  }
  lat.sort();
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), errors, bytes };
}

/** A free loopback port (the kernel picks it; closed again before returning). */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Stops a subprocess: SIGTERM, then SIGKILL after graceMs. */
export async function stopProcess(p: Subprocess, graceMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    p.kill('SIGKILL');
    await Promise.race([p.exited, sleep(graceMs)]);
  }
}

/** Spawns a server that logs `url="http://…"` on stderr and resolves with that URL. */
/**
 * With ORRERY_BENCH_PROFILE=<dir>, Orrery servers started by a benchmark run under Bun's CPU
 * profiler and write a profile (and its markdown summary) into <dir> when they stop.
 */
function profiled(cmd: string[]): string[] {
  const dir = process.env.ORRERY_BENCH_PROFILE;
  if (!dir || !cmd.some((a) => a.endsWith('src/main.ts'))) return cmd;
  return [cmd[0], '--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${dir}`, ...cmd.slice(1)];
}

export async function spawnServer(cmd: string[], timeoutMs = 20_000): Promise<{ proc: Subprocess<'ignore', 'ignore', 'pipe'>; url: string; log: () => string }> {
  cmd = profiled(cmd);
  const proc = Bun.spawn(cmd, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  let text = '';
  let resolveUrl: (u: string) => void = () => {};
  const urlFound = new Promise<string>((r) => (resolveUrl = r));
  // Keep draining stderr for the whole life of the process so the pipe never fills.
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      text = (text + decoder.decode(chunk)).slice(-20_000);
      const m = /url="(http:\/\/[^"]+)"/.exec(text);
      if (m) resolveUrl(m[1]);
    }
  })();
  const url = await Promise.race([urlFound, proc.exited.then(() => ''), sleep(timeoutMs).then(() => '')]);
  if (!url) {
    await stopProcess(proc);
    throw new Error(`${cmd.join(' ')} did not report its URL within ${timeoutMs} ms:\n${text}`);
  }
  return { proc, url, log: () => text };
}

/** One line describing the machine for reports: CPU model, cores, memory, Bun version. */
export async function describeMachine(): Promise<string> {
  const cpu = /model name\s*:\s*(.*)/.exec(await Bun.file('/proc/cpuinfo').text())?.[1] ?? '?';
  const mem = /MemTotal:\s+(\d+)/.exec(await Bun.file('/proc/meminfo').text())?.[1] ?? '0';
  return `${cpu}, ${navigator.hardwareConcurrency} CPUs, ${(Number(mem) / 1048576).toFixed(1)} GiB RAM, Bun ${Bun.version}`;
}

/** Ends the run (after cleanup) if it exceeds maxMs: benchmarks always stop by themselves. */
export function startWatchdog(maxMs: number, label: string, cleanup: () => Promise<void>): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    console.error(`benchmark exceeded --max-time ${label}; stopping`);
    void cleanup().then(() => process.exit(1));
  }, maxMs);
}
