// The lock probe of scripts/bench/scale.ts: how long write transactions hold the revision_counter
// row lock, from PostgreSQL's statement log during a separate, unmeasured run.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPipeline, closedLoop, pipelineTask, watchTasks } from '../engine';
import { percentile, sleep } from '../load';
import { startPgCluster } from './processes';
import { state, type Config } from './shared';

export interface LockProbe {
  workers: number; tasks: number; seconds: number; lockTx: number; lockTxPerTask: number; holdMean: number; holdP50: number; holdP99: number;
  waitMean: number; writeTxMean: number; execInHoldMean: number; statementsInHoldMean: number;
  /** The commonest statement sequences of locking transactions, from the locking statement to COMMIT. */
  shapes: { count: number; statements: string[] }[]; commitMean: number; rolledBack: number; maxLockTxPerSec: number; maxTasksPerSec: number; logLines: number;
}

/** The server's log file: test/support/postgres.ts writes it as <tmp>/orrery-pg-*\/postgres-<port>.log. */
function pgLogFile(port: number): string {
  for (const d of readdirSync(tmpdir())) {
    const f = join(tmpdir(), d, `postgres-${port}.log`);
    if (d.startsWith('orrery-pg-') && existsSync(f)) return f;
  }
  throw new Error(`cannot find the log of the PostgreSQL on port ${port}`);
}

function readFrom(path: string, offset: number): string {
  const size = statSync(path).size;
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/**
 * How long write transactions hold the revision_counter row lock. Every statement is logged with
 * its duration (log_min_duration_statement = 0) during a separate run of probe-tasks tasks with one
 * worker (the logging slows it; its throughput is not reported). Per backend: the lock is taken
 * when the first `UPDATE revision_counter` or `SELECT … FROM revision_counter … FOR UPDATE` of a
 * transaction ends, and released when its COMMIT or ROLLBACK ends. Timestamps have milliseconds
 * only; the mean over thousands of transactions is still unbiased.
 */
export async function lockProbe(cfg: Config): Promise<LockProbe> {
  const workers = 1;
  const dbName = `scale_probe_${Date.now().toString(36)}`;
  const cluster = await startPgCluster(dbName, workers, cfg);
  const file = pgLogFile(state.pg!.port);
  try {
    const base = cluster.serve.url!;
    await applyPipeline(base, state.fakeUrl);
    const label = `q${Date.now().toString(36)}`;
    const watch = await watchTasks(base, label);
    try {
      if (cfg.warmup) await closedLoop('probe warm-up', cfg.warmup, cfg.concurrency, pipelineTask(base, watch, label, 'warm', cfg.taskTimeoutMs));
      await state.admin!.sql.unsafe(`ALTER SYSTEM SET log_min_duration_statement = 0`);
      await state.admin!.sql.unsafe(`ALTER SYSTEM SET log_line_prefix = '%m [%p] %d '`);
      await state.admin!.sql.unsafe(`ALTER SYSTEM SET log_parameter_max_length = 0`);
      await state.admin!.sql`SELECT pg_reload_conf()`;
      await sleep(300);
      const offset = statSync(file).size;
      const phase = await closedLoop('lock probe (statement log on)', cfg.probeTasks, cfg.concurrency, pipelineTask(base, watch, label, 'task', cfg.taskTimeoutMs));
      await state.admin!.sql.unsafe(`ALTER SYSTEM RESET log_min_duration_statement`);
      await state.admin!.sql.unsafe(`ALTER SYSTEM RESET log_line_prefix`);
      await state.admin!.sql.unsafe(`ALTER SYSTEM RESET log_parameter_max_length`);
      await state.admin!.sql`SELECT pg_reload_conf()`;
      await sleep(300);
      const text = readFrom(file, offset);
      const holds: number[] = [];
      const waits: number[] = [];
      const writeTx: number[] = [];
      let rolledBack = 0;
      let lines = 0;
      const execInHold: number[] = [];
      const stmtsInHold: number[] = [];
      const commits: number[] = [];
      const shapes = new Map<string, number>();
      const open = new Map<string, { begin?: number; locked?: number; exec?: number; stmts?: number; seq?: string[] }>();
      const short = (q: string) => q.replace(/\s+/g, ' ').slice(0, 60);
      const entry = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+ \[(\d+)\] (\S*) LOG:\s+duration: ([\d.]+) ms\s+(statement|execute [^:]*|bind [^:]*|parse [^:]*): (.*)$/;
      for (const line of text.split('\n')) {
        const m = entry.exec(line);
        if (!m || m[3] !== dbName) continue;
        lines++;
        const [, ts, pid, , dur, kind, sql] = m;
        if (kind.startsWith('bind') || kind.startsWith('parse')) continue;
        const at = Date.parse(ts.replace(' ', 'T') + 'Z');
        const tx = open.get(pid) ?? {};
        const q = sql.trim().toUpperCase();
        if (q.startsWith('BEGIN') || q.startsWith('START TRANSACTION')) {
          open.set(pid, { begin: at });
          continue;
        }
        if (tx.locked === undefined && /REVISION_COUNTER/.test(q) && (/^UPDATE REVISION_COUNTER/.test(q) || /FOR UPDATE/.test(q))) {
          tx.locked = at;
          tx.exec = 0;
          tx.stmts = 0;
          tx.seq = [short(sql)];
          waits.push(Number(dur));
          open.set(pid, tx);
          continue;
        }
        if (tx.locked !== undefined) {
          tx.exec! += Number(dur);
          tx.stmts!++;
          tx.seq!.push(short(sql));
        }
        if (q.startsWith('COMMIT') || q.startsWith('ROLLBACK')) {
          if (tx.locked !== undefined) {
            holds.push(at - tx.locked); // from the end of the locking statement to the end of COMMIT
            execInHold.push(tx.exec!);
            stmtsInHold.push(tx.stmts!);
            const key = tx.seq!.join('\n');
            shapes.set(key, (shapes.get(key) ?? 0) + 1);
            if (q.startsWith('COMMIT')) commits.push(Number(dur));
            if (tx.begin !== undefined) writeTx.push(at - tx.begin);
            if (q.startsWith('ROLLBACK')) rolledBack++;
          }
          open.delete(pid);
        }
      }
      const sorted = Float64Array.from(holds).sort();
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      const holdMean = mean(holds);
      const lockTxPerTask = holds.length / phase.outcomes.length;
      return {
        workers, tasks: phase.outcomes.length, seconds: phase.seconds, lockTx: holds.length, lockTxPerTask, holdMean, holdP50: percentile(sorted, 0.5), holdP99: percentile(sorted, 0.99),
        waitMean: mean(waits), writeTxMean: mean(writeTx), execInHoldMean: mean(execInHold), statementsInHoldMean: mean(stmtsInHold),
        shapes: [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, count]) => ({ count, statements: k.split('\n') })), commitMean: mean(commits), rolledBack, maxLockTxPerSec: 1000 / holdMean, maxTasksPerSec: 1000 / holdMean / lockTxPerTask, logLines: lines,
      };
    } finally {
      watch.close();
    }
  } finally {
    await state.admin!.sql.unsafe(`ALTER SYSTEM RESET ALL`).catch(() => {});
    await state.admin!.sql`SELECT pg_reload_conf()`.catch(() => {});
    await cluster.stop();
  }
}
