// Starting the Orrery processes of scripts/bench/scale.ts (serve, workers) and counting what they log.
import type { Subprocess } from 'bun';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sleep, stopProcess } from '../load';
import { newDatabase } from './pg-cost';
import { BUN, ROOT, state, type Config } from './shared';

// Every process on PostgreSQL must use the same key; the SQLite servers get it too (no key file).
const ENV = { ...process.env, ORLOJ_SECRET_ENCRYPTION_KEY: randomBytes(32).toString('hex') };

/** What an Orrery process logged at WARN and ERROR over its whole life (not only the tail spawnServer keeps). */
export interface LogCount { warn: number; error: number; samples: string[] }

export interface Proc { name: string; proc: Subprocess; logs: LogCount; url?: string }

/**
 * Starts an Orrery process (serve or worker) and resolves once its stderr matches `ready`
 * (serve: its url="…" line). Reads stderr to the end, counting WARN and ERROR lines. spawnServer
 * (load.ts) keeps only a tail of the log, which is not enough to count errors under load.
 */
export async function startOrrery(name: string, args: string[], ready: RegExp, timeoutMs = 30_000): Promise<Proc> {
  const proc = Bun.spawn([BUN, join(ROOT, 'src/main.ts'), ...args], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', env: ENV });
  state.procs.push(proc);
  const logs: LogCount = { warn: 0, error: 0, samples: [] };
  let tail = '';
  let resolveReady: (m: RegExpExecArray) => void = () => {};
  const readyP = new Promise<RegExpExecArray>((r) => (resolveReady = r));
  void (async () => {
    const d = new TextDecoder();
    let buf = '';
    for await (const chunk of proc.stderr) {
      buf += d.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, cut);
        buf = buf.slice(cut + 1);
        tail = (tail + line + '\n').slice(-4000);
        const m = ready.exec(line);
        if (m) resolveReady(m);
        const lvl = /^\S+ (WARN|ERROR) /.exec(line)?.[1];
        if (lvl === 'WARN') logs.warn++;
        if (lvl === 'ERROR') logs.error++;
        // A few distinct messages (without the timestamp) to quote in the report.
        const msg = line.replace(/^\S+ /, '').slice(0, 300);
        if (lvl && logs.samples.length < 8 && !logs.samples.some((s) => s.slice(0, 60) === msg.slice(0, 60))) logs.samples.push(msg);
      }
    }
  })();
  const m = await Promise.race([readyP, proc.exited.then(() => null), sleep(timeoutMs).then(() => null)]);
  if (!m) {
    await stopProcess(proc);
    throw new Error(`${name} (${args.join(' ')}) exited or was not ready within ${timeoutMs} ms:\n${tail}`);
  }
  return { name, proc, logs, url: m[1] };
}

export const serveArgs = (store: string[], extra: string[] = []) => ['serve', '--addr', '127.0.0.1:0', ...store, '--log-level', 'info', ...extra];
export const URL_LINE = /url="(http:\/\/[^"]+)"/;
const WORKER_READY = /INFO\s+worker running/;

/** One serve (no embedded worker) and `workers` worker processes on a fresh database. */
export async function startPgCluster(dbName: string, workers: number, cfg: Config) {
  const { url, conn, lockConn } = await newDatabase(dbName);
  const store = ['--database-url', url, '--database-pool-size', String(cfg.poolSize)];
  const serve = await startOrrery('serve (PostgreSQL)', serveArgs(store, ['--embedded-worker', 'false']), URL_LINE);
  const ws = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      startOrrery(`worker ${i + 1}`, ['worker', ...store, '--log-level', 'info', '--worker-id', `bench-worker-${i + 1}`, '--max-concurrent-tasks', String(cfg.concurrency)], WORKER_READY),
    ),
  );
  const all = [serve, ...ws];
  return {
    url, conn, lockConn, serve, workers: ws, all,
    stop: async () => {
      await Promise.all(all.map((p) => stopProcess(p.proc)));
      await conn.close();
      await lockConn.close();
    },
  };
}
