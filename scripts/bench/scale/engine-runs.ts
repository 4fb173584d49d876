// The engine runs of scripts/bench/scale.ts: the 3-agent pipeline of engine.ts on one SQLite serve,
// and on PostgreSQL with one serve and N worker processes, with CPU and database cost per task.
import { join } from 'node:path';
import { DB_FILE } from '../../../src/store/open-store';
import { dbBytes, growthPer } from '../db-bytes';
import { applyPipeline, closedLoop, pipelineTask, summarize, watchTasks, type SideResult } from '../engine';
import { sleep, stopProcess } from '../load';
import { asUsage, sample } from './machine';
import { costs, dbStats, sampleConnections, sampleLock, statements, type DbCost } from './pg-cost';
import { serveArgs, startOrrery, startPgCluster, URL_LINE } from './processes';
import { loadavg, log, state, type Config } from './shared';

export interface EngineRow extends SideResult {
  config: string; workers: number; loadBefore: string; loadAfter: string;
  /** Cores used by each Orrery process (serve first, then the workers), PostgreSQL, during the measured phase. */
  procCores: number[]; pgCores: number; pgCpuPerTask: number;
  logs: { name: string; warn: number; error: number; samples: string[] }[];
  connections?: { total: number; byApp: Record<string, number>; listening: number };
  db?: DbCost; sqliteBytesPerTask?: ReturnType<typeof growthPer>;
}

export async function engineSqlite(cfg: Config): Promise<EngineRow> {
  const loadBefore = loadavg();
  const dir = join(state.tmpRoot, 'sqlite-engine');
  const serve = await startOrrery('serve (SQLite)', serveArgs(['--data-dir', dir], ['--max-concurrent-tasks', String(cfg.concurrency)]), URL_LINE);
  try {
    const base = serve.url!;
    log(`sqlite: serve ${base} (pid ${serve.proc.pid}), --max-concurrent-tasks ${cfg.concurrency}`);
    await applyPipeline(base, state.fakeUrl);
    const label = `s${Date.now().toString(36)}`;
    const watch = await watchTasks(base, label);
    try {
      if (cfg.warmup) await closedLoop('sqlite warm-up', cfg.warmup, cfg.concurrency, pipelineTask(base, watch, label, 'warm', cfg.taskTimeoutMs));
      const db = join(dir, DB_FILE);
      const bytesBefore = dbBytes(db);
      const a = await sample([serve.proc.pid]);
      const phase = await closedLoop('sqlite', cfg.tasks, cfg.concurrency, pipelineTask(base, watch, label, 'task', cfg.taskTimeoutMs));
      const b = await sample([serve.proc.pid]);
      const side = summarize('SQLite, serve with embedded worker', phase, asUsage(a), asUsage(b));
      const s = (b.t - a.t) / 1000;
      return {
        ...side, config: 'SQLite: 1 serve (embedded worker)', workers: 0, loadBefore, loadAfter: loadavg(),
        procCores: [(b.orrery[0] - a.orrery[0]) / 1000 / s], pgCores: 0, pgCpuPerTask: 0,
        logs: [{ name: serve.name, ...serve.logs }], sqliteBytesPerTask: growthPer(bytesBefore, dbBytes(db), cfg.tasks),
      };
    } finally {
      watch.close();
    }
  } finally {
    await stopProcess(serve.proc);
  }
}

export async function enginePg(cfg: Config, workers: number): Promise<EngineRow> {
  const loadBefore = loadavg();
  const dbName = `scale_w${workers}_${Date.now().toString(36)}`;
  const cluster = await startPgCluster(dbName, workers, cfg);
  try {
    const base = cluster.serve.url!;
    log(`postgres: serve ${base} (pid ${cluster.serve.proc.pid}) + ${workers} worker(s) (pids ${cluster.workers.map((w) => w.proc.pid).join(', ')}), each --max-concurrent-tasks ${cfg.concurrency}`);
    await applyPipeline(base, state.fakeUrl);
    const label = `p${Date.now().toString(36)}`;
    const watch = await watchTasks(base, label);
    try {
      if (cfg.warmup) await closedLoop(`pg ×${workers} warm-up`, cfg.warmup, cfg.concurrency, pipelineTask(base, watch, label, 'warm', cfg.taskTimeoutMs));
      await sleep(1100); // pg_stat_database is flushed by each backend at most once a second
      const before = await dbStats(cluster.conn, dbName);
      await state.admin!.sql`SELECT pg_stat_statements_reset()`;
      const conns = sampleConnections(dbName);
      const lock = sampleLock(cluster.lockConn);
      const pids = cluster.all.map((p) => p.proc.pid);
      const a = await sample(pids);
      const phase = await closedLoop(`pg ×${workers}`, cfg.tasks, cfg.concurrency, pipelineTask(base, watch, label, 'task', cfg.taskTimeoutMs));
      const b = await sample(pids);
      const lockSample = await lock.stop();
      const st = await statements(dbName);
      await conns.stop();
      const [{ wal }] = await state.admin!.sql`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${before.walLsn}::pg_lsn)::float8 AS wal`;
      await sleep(1100);
      const after = await dbStats(cluster.conn, dbName);
      const side = summarize(`PostgreSQL, serve + ${workers} worker${workers > 1 ? 's' : ''}`, phase, asUsage(a), asUsage(b));
      const s = (b.t - a.t) / 1000;
      const pgMs = b.pg - a.pg;
      // summarize() counts PostgreSQL under "other": take it out.
      side.cores.other = Math.max(0, side.cores.other - pgMs / 1000 / s);
      return {
        ...side, config: `PostgreSQL: 1 serve + ${workers} worker${workers > 1 ? 's' : ''}`, workers, loadBefore, loadAfter: loadavg(),
        procCores: b.orrery.map((x, i) => (x - a.orrery[i]) / 1000 / s), pgCores: pgMs / 1000 / s, pgCpuPerTask: pgMs / phase.outcomes.length,
        logs: cluster.all.map((p) => ({ name: p.name, ...p.logs })), connections: conns.peak, db: costs(phase.outcomes.length, phase.seconds, before, after, st, Number(wal), lockSample),
      };
    } finally {
      watch.close();
    }
  } finally {
    await cluster.stop();
  }
}
