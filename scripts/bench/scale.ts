// Scale-out benchmark: the engine benchmark's 3-agent pipeline (scripts/bench/engine.ts: same fake
// model, same tasks, closed loop) on
//   (a) SQLite: one `serve` with its embedded worker, and
//   (b) PostgreSQL: one `serve --embedded-worker false` plus 1, 2, 4 … `orrery worker` processes,
// then CRUD apply and get (scripts/bench/crud.ts's ops and load generator) on a SQLite and a
// PostgreSQL server, and what each task costs the database on PostgreSQL (pg_stat_statements,
// pg_stat_database, WAL position, relation sizes), and a probe of how long write transactions
// hold the revision_counter row lock (statement log of a separate, unmeasured run).
// PostgreSQL is the throwaway server of test/support/postgres.ts, with durability settings chosen
// by --pg-durability (default full: fsync, synchronous_commit and full_page_writes on).
// Run: npx bun scripts/bench/scale.ts [--tasks N] [--concurrency C] [--workers 1,2,4] [--json]
// The parts are in scripts/bench/scale/: processes.ts (starting serve and worker processes),
// machine.ts (CPU and fdatasync readings), pg-cost.ts (pg_stat_* readings, samplers, per-task cost),
// engine-runs.ts, lock-probe.ts and crud-runs.ts (the runs), report.ts (results and markdown report);
// shared.ts holds the flags they read, the run's state and the formatting helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPg } from '../../src/store/pg/connect';
import { startPostgres } from '../../test/support/postgres';
import { modelRoundTrip } from './engine';
import { describeMachine, spawnServer, startWatchdog, stopProcess } from './load';
import { crud } from './scale/crud-runs';
import { enginePg, engineSqlite } from './scale/engine-runs';
import { lockProbe } from './scale/lock-probe';
import { postmasterPid, syncLatency } from './scale/machine';
import { describeTree, report, type Results } from './scale/report';
import { BUN, f1, loadavg, log, ms, state, type Config } from './scale/shared';

const DEFAULTS: Record<string, string> = {
  tasks: '200', concurrency: '16', warmup: '8', workers: '1,2,4', 'task-timeout': '30s', 'pool-size': '20',
  'pg-durability': 'full', 'crud-duration': '5s', 'crud-warmup': '1s', connections: '32', 'probe-tasks': '200', 'max-time': '30m', skip: '',
};
const SWITCHES = ['json'];
const HELP = `Usage: npx bun scripts/bench/scale.ts [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v || '""'}`).join(', ')}; switches: --json.
--tasks: measured pipeline tasks per configuration (after --warmup more); --concurrency: tasks in flight (closed
loop), also every engine's --max-concurrent-tasks (the SQLite server's and each worker's); --workers: the worker
counts to run on PostgreSQL; --pool-size: --database-pool-size of every PostgreSQL process;
--pg-durability: full (fsync, synchronous_commit, full_page_writes on: PostgreSQL's defaults), async
(synchronous_commit off: like SQLite's WAL + synchronous=NORMAL, a crash may lose the last commits) or off
(the test server's fsync off); --crud-duration/--crud-warmup/--connections: the CRUD phases (apply, get);
--probe-tasks: tasks of the lock probe (statement log on; not measured); --skip: comma list of sqlite, pg,
crud, probe. --json prints the results as JSON instead of markdown.`;

const opts: Record<string, string> = { ...DEFAULTS };
const on = new Set<string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--help' || a === '-h') (console.log(HELP), process.exit(0));
  const eq = a.indexOf('=');
  const key = a.slice(2, eq >= 0 ? eq : undefined);
  if (a.startsWith('--') && SWITCHES.includes(key)) on.add(key);
  else if (a.startsWith('--') && key in DEFAULTS) opts[key] = eq >= 0 ? a.slice(eq + 1) : process.argv[++i] ?? '';
  else throw new Error(`unknown argument ${a}\n${HELP}`);
}
const N = Number(opts.tasks);
const C = Number(opts.concurrency);
const WARMUP = Number(opts.warmup);
const TASK_TIMEOUT = ms(opts['task-timeout']);
const WORKERS = opts.workers.split(',').filter(Boolean).map(Number);
const POOL = Number(opts['pool-size']);
const PROBE_TASKS = Number(opts['probe-tasks']);
const skip = new Set(opts.skip.split(',').filter(Boolean));
if (!(N >= 1) || !(C >= 1) || !(WARMUP >= 0) || WORKERS.some((w) => !(w >= 1))) throw new Error('--tasks, --concurrency and every --workers entry must be at least 1');
const DURABILITY: Record<string, Record<string, string>> = {
  full: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
  async: { fsync: 'on', synchronous_commit: 'off', full_page_writes: 'on' },
  off: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
};
if (!DURABILITY[opts['pg-durability']]) throw new Error(`--pg-durability must be one of ${Object.keys(DURABILITY).join(', ')}`);
const cfg: Config = {
  tasks: N, concurrency: C, warmup: WARMUP, taskTimeoutMs: TASK_TIMEOUT, poolSize: POOL, probeTasks: PROBE_TASKS,
  connections: opts.connections, crudDuration: opts['crud-duration'], crudWarmup: opts['crud-warmup'],
};

state.tmpRoot = mkdtempSync(join(tmpdir(), 'orrery-scale-bench-'));
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(state.procs.map((p) => stopProcess(p)));
  await state.admin?.close().catch(() => {});
  await state.pg?.stop();
  rmSync(state.tmpRoot, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

// ---- main -------------------------------------------------------------------------------------

const watchdog = startWatchdog(ms(opts['max-time']), opts['max-time'], cleanup);
try {
  const machine = await describeMachine();
  const results: Results = {
    machine, tree: describeTree(), command: ['bun scripts/bench/scale.ts', ...process.argv.slice(2)].join(' '), started: new Date().toISOString(), loadStart: loadavg(),
    postgres: { version: '', durability: opts['pg-durability'], settings: {} }, tasks: N, concurrency: C, warmup: WARMUP, poolSize: POOL, modelRtt: { p50: NaN, p99: NaN }, engine: [],
  };
  log(`bench dir ${state.tmpRoot}; ${machine}; load average ${results.loadStart}; ${N} tasks, ${C} in flight, ${WARMUP} warm-up; workers ${WORKERS.join(',')}`);
  const fake = await spawnServer([BUN, join(import.meta.dir, 'fake-model.ts'), '--port', '0']);
  state.procs.push(fake.proc);
  state.fakeUrl = fake.url;
  state.fakePid = fake.proc.pid;
  results.modelRtt = await modelRoundTrip(200, state.fakeUrl);
  results.fdatasync = syncLatency();
  log(`fdatasync of 8 KiB in ${tmpdir()}: p50 ${results.fdatasync.p50.toFixed(2)} ms, mean ${results.fdatasync.mean.toFixed(2)} ms, p99 ${results.fdatasync.p99.toFixed(2)} ms`);
  if (!skip.has('pg') || !skip.has('crud') || !skip.has('probe')) {
    const settings = { ...DURABILITY[opts['pg-durability']], shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.max': '10000', 'pg_stat_statements.track': 'top' };
    const pg = (state.pg = await startPostgres({ settings }));
    state.pgPid = postmasterPid(pg.port);
    const admin = (state.admin = await connectPg(pg.url, { max: 2, applicationName: 'bench-admin' }));
    await admin.sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    const shown = await admin.sql`SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'max_connections', 'shared_buffers', 'commit_delay') ORDER BY name`;
    for (const s of shown as { name: string; setting: string }[]) {
      if (s.name === 'server_version') results.postgres.version = s.setting;
      else results.postgres.settings[s.name] = s.setting;
    }
    log(`postgres ${results.postgres.version} on port ${pg.port} (pid ${state.pgPid}): ${JSON.stringify(results.postgres.settings)}`);
  }
  if (!skip.has('sqlite')) results.engine.push(await engineSqlite(cfg));
  if (!skip.has('pg')) for (const w of WORKERS) results.engine.push(await enginePg(cfg, w));
  for (const e of results.engine) log(`  ${e.config}: ${f1(e.rps)} tasks/s, p50 ${f1(e.p50)} ms, p99 ${f1(e.p99)} ms, ${e.failed} failed`);
  if (!skip.has('probe')) results.probe = await lockProbe(cfg);
  if (!skip.has('crud')) results.crud = await crud(cfg);
  results.loadEnd = loadavg();
  console.log(on.has('json') ? JSON.stringify(results, null, 2) : report(results, cfg));
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
