// What scripts/bench/scale.ts reads from the machine: CPU time of the Orrery processes, the PostgreSQL
// server, the fake model and the bench itself, and the disk's write + fdatasync latency.
import { closeSync, fdatasyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { treeCpuMs, type Usage } from '../engine';
import { cpuMs, machineTicks, percentile } from '../load';
import { state } from './shared';

/** The postmaster of the test server: the postgres process started with `-p <port>`. */
export function postmasterPid(port: number): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('/postgres') && args.includes('-p') && args[args.indexOf('-p') + 1] === String(port)) return Number(d);
    } catch {
      // gone
    }
  }
  throw new Error(`no postgres process with -p ${port}`);
}

let clkTck = 0;
/**
 * CPU ms of the whole PostgreSQL server: the postmaster, its live children (backends, WAL writer,
 * checkpointer …) and, through the postmaster's cutime/cstime, the children that already exited.
 */
export async function pgCpuMs(pid: number): Promise<number> {
  if (!clkTck) clkTck = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let total = ((Number(f[13]) + Number(f[14])) * 1000) / clkTck; // cutime + cstime: reaped children
  total += await treeCpuMs(pid); // utime + stime of the postmaster and every live child
  return total;
}

export interface Sampled { t: number; orrery: number[]; pg: number; fake: number; self: number; machine: { busy: number; total: number }; calls: number }
export async function sample(pids: number[]): Promise<Sampled> {
  const u = process.cpuUsage();
  const stats = (await (await fetch(`${state.fakeUrl}/stats`)).json()) as { requests: number };
  return {
    t: performance.now(), orrery: await Promise.all(pids.map((p) => treeCpuMs(p))), pg: state.pgPid ? await pgCpuMs(state.pgPid) : 0, fake: await cpuMs(state.fakePid),
    self: (u.user + u.system) / 1000, machine: await machineTicks(), calls: stats.requests,
  };
}
/** As engine.ts's Usage: "server" is every Orrery process (serve and workers) together. */
export const asUsage = (s: Sampled): Usage => ({ t: s.t, server: s.orrery.reduce((a, b) => a + b, 0), fake: s.fake, self: s.self, machine: s.machine, calls: s.calls });

/** `samples` × (8 KiB pwrite + fdatasync) of one file in the bench directory (the same file system as the PostgreSQL data under $TMPDIR). */
export function syncLatency(samples = 200): { p50: number; p99: number; mean: number } {
  const path = join(state.tmpRoot, 'fsync-probe');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(8192, 1);
  const lat = new Float64Array(samples);
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, (i % 16) * 8192);
      fdatasyncSync(fd);
      lat[i] = performance.now() - t0;
    }
  } finally {
    closeSync(fd);
  }
  const mean = lat.reduce((a, b) => a + b, 0) / samples;
  lat.sort();
  return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), mean };
}
