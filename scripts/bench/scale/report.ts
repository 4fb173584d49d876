// The results of scripts/bench/scale.ts (printed as JSON with --json) and their markdown report.
import { tmpdir } from 'node:os';
import type { crud } from './crud-runs';
import type { EngineRow } from './engine-runs';
import type { LockProbe } from './lock-probe';
import { f1, kb, ROOT, type Config } from './shared';

export interface Results {
  machine: string; tree: string; command: string; started: string; loadStart: string; loadEnd?: string; postgres: { version: string; durability: string; settings: Record<string, string> };
  tasks: number; concurrency: number; warmup: number; poolSize: number; modelRtt: { p50: number; p99: number }; fdatasync?: { p50: number; p99: number; mean: number };
  engine: EngineRow[]; crud?: Awaited<ReturnType<typeof crud>>; probe?: LockProbe;
}

export function report(r: Results, cfg: Config): string {
  const base = r.engine.find((e) => e.workers === 0);
  const x = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '–');
  const out = [
    `Machine: ${r.machine}; command: \`${r.command}\`; started ${r.started}; load average at start ${r.loadStart}, at end ${r.loadEnd}.`,
    '',
    `Tree: ${r.tree}.`,
    '',
    `PostgreSQL ${r.postgres.version} (test/support/postgres.ts, --pg-durability ${r.postgres.durability}: ${Object.entries(r.postgres.settings).map(([k, v]) => `${k}=${v}`).join(', ')}). ` +
      `${r.tasks} measured tasks per configuration after ${r.warmup} warm-up tasks, ${r.concurrency} in flight (closed loop); every engine (the SQLite server's embedded worker, each PostgreSQL worker) has --max-concurrent-tasks ${r.concurrency}; ` +
      `--database-pool-size ${r.poolSize}. Fake model round trip p50 ${f1(r.modelRtt.p50)} ms.` +
      (r.fdatasync ? ` 8 KiB write + fdatasync in ${tmpdir()} (the PostgreSQL data's file system): p50 ${r.fdatasync.p50.toFixed(2)} ms, mean ${r.fdatasync.mean.toFixed(2)} ms, p99 ${r.fdatasync.p99.toFixed(2)} ms.` : ''),
    '',
    '### Engine: 3-agent pipeline',
    '',
    '| configuration | tasks | failed | tasks/s | × SQLite | p50 ms | p99 ms | p99 × SQLite | queue / run p50 ms | Orrery CPU ms/task | PostgreSQL CPU ms/task | cores: serve / workers / PostgreSQL / fake model / bench / other | load avg before → after |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.engine.map((e) =>
      `| ${e.config} | ${e.tasks} | ${e.failed} | ${f1(e.rps)} | ${x(e.rps, base?.rps)} | ${f1(e.p50)} | ${f1(e.p99)} | ${x(e.p99, base?.p99)} | ${f1(e.queueP50)} / ${f1(e.execP50)} | ${f1(e.cpuPerTask)} | ${e.workers ? f1(e.pgCpuPerTask) : '–'} | ` +
        `${e.procCores[0].toFixed(2)} / ${e.procCores.slice(1).map((c) => c.toFixed(2)).join(' + ') || '–'} / ${e.workers ? e.pgCores.toFixed(2) : '–'} / ${e.cores.fake.toFixed(2)} / ${e.cores.self.toFixed(2)} / ${e.cores.other.toFixed(2)} | ${e.loadBefore} → ${e.loadAfter} |`),
    '',
    'p50/p99: client side, POST /v1/tasks → terminal watch frame (as engine.ts). Orrery CPU: serve and workers together. "other": the machine\'s busy time minus every process named here (other sessions\' work).',
  ];
  for (const e of r.engine) if (e.firstError) out.push('', `${e.config}, first failure: ${e.firstError}`);
  const pgRows = r.engine.filter((e) => e.db);
  if (pgRows.length) {
    out.push(
      '',
      '### PostgreSQL cost per task (measured phase ÷ tasks)',
      '',
      '| workers | statements | exec ms | commits | rollbacks | version misses (UPDATE … resource_version → 0 rows) | rows inserted / updated / deleted | rows fetched | revisions | events | pg_notify | claim scans | catch-up reads | WAL bytes | WAL fsyncs | relation bytes | revision lock statement mean ms | revision lock busy (samples) | tasks/s at lock busy 100% | peak connections (listening) |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...pgRows.map((e) => {
        const d = e.db!;
        return `| ${e.workers} | ${f1(d.statementsPerTask)} | ${f1(d.execMsPerTask)} | ${f1(d.commitsPerTask)} | ${f1(d.rollbacksPerTask)} | ${f1(d.versionMissesPerTask)} | ${f1(d.insertedPerTask)} / ${f1(d.updatedPerTask)} / ${f1(d.deletedPerTask)} | ${f1(d.fetchedPerTask)} | ${f1(d.revisionsPerTask)} | ${f1(d.eventsPerTask)} | ${f1(d.notifiesPerTask)} | ${f1(d.claimScansPerTask)} | ${f1(d.catchUpReadsPerTask)} | ${kb(d.walBytesPerTask)} | ${f1(d.walFsyncsPerTask)} | ${kb(d.relBytesPerTask)} | ${d.revisionLockWaitMs.toFixed(3)} | ${(d.lock.utilization * 100).toFixed(0)}% (${d.lock.held + d.lock.free}${d.lock.unknown ? `, ${d.lock.unknown} unknown` : ''}) | ${f1(d.lockCeilingTasksPerSec)} | ${e.connections?.total} (${e.connections?.listening}) |`;
      }),
      '',
      'Statements: pg_stat_statements calls (BEGIN/COMMIT included); rows: pg_stat_database tup_*; WAL bytes: pg_current_wal_lsn() difference; relation bytes: pg_total_relation_size() of every table (indexes and TOAST included, dead row versions too until vacuum). ' +
        '"revision lock statement mean": mean execution time of the statements that take the revision_counter row lock, which includes waiting for it. ' +
        '"revision lock busy": share of samples (one every ~5 ms, reading the row\'s xmax) that found a transaction in progress holding the lock; "tasks/s at lock busy 100%" = tasks/s ÷ that share.',
    );
    const one = pgRows[0];
    out.push('', `Busiest statements with ${one.workers} worker(s), per task:`, '', '| calls / task | rows / call | mean ms | statement |', '|---|---|---|---|');
    for (const s of one.db!.statementsTop.slice(0, 20)) out.push(`| ${f1(s.perTask)} | ${f1(s.calls ? s.rows / s.calls : 0)} | ${s.meanMs.toFixed(3)} | \`${s.query.slice(0, 140).replace(/\|/g, '\\|')}\` |`);
    out.push('', 'Peak connections per process (application_name):', '');
    for (const e of pgRows) out.push(`- ${e.workers} worker(s): ${Object.entries(e.connections?.byApp ?? {}).map(([k, v]) => `${k || '(none)'} ${v}`).join(', ')}`);
    out.push('', `PostgreSQL relation growth per task (${one.workers} worker(s)): ${one.db!.relTables.map(([t, b]) => `${t} ${kb(b)}`).join(', ')}.`);
  }
  if (base?.sqliteBytesPerTask) out.push(`SQLite database growth per task (dbstat, bytes in use): ${kb(base.sqliteBytesPerTask.total)} — ${base.sqliteBytesPerTask.tables.map(([t, b]) => `${t} ${kb(b)}`).join(', ')}.`);
  if (r.probe) {
    const p = r.probe;
    out.push(
      '',
      '### revision_counter row lock: probe run with every statement logged (slower than the measured runs; not a throughput figure)',
      '',
      '| workers | tasks | tasks/s (logging on) | locking transactions / task | hold mean ms | hold p50 / p99 ms | statements after the lock (COMMIT included) | of which PostgreSQL executing, mean ms | COMMIT mean ms | lock statement mean ms (incl. wait) | write transaction mean ms (BEGIN → COMMIT) | rolled back | 1 ÷ hold: locking transactions/s | tasks/s |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      `| ${p.workers} | ${p.tasks} | ${f1(p.tasks / p.seconds)} | ${f1(p.lockTxPerTask)} | ${p.holdMean.toFixed(2)} | ${f1(p.holdP50)} / ${f1(p.holdP99)} | ${f1(p.statementsInHoldMean)} | ${p.execInHoldMean.toFixed(3)} | ${p.commitMean.toFixed(3)} | ${p.waitMean.toFixed(3)} | ${p.writeTxMean.toFixed(2)} | ${p.rolledBack} | ${f1(p.maxLockTxPerSec)} | ${f1(p.maxTasksPerSec)} |`,
      '',
      `Hold: from the end of a transaction's first statement that locks the revision_counter row to the end of its COMMIT/ROLLBACK, per backend, from ${p.logLines} log lines (millisecond timestamps).`,
      '',
      `Commonest locking transactions (of ${p.lockTx}), from the locking statement to COMMIT:`,
      '',
      ...p.shapes.map((sh) => `- ${sh.count}×: ${sh.statements.map((q) => `\`${q.replace(/\|/g, '\\|')}\``).join(' → ')}`),
    );
  }
  if (r.crud) {
    const c = r.crud;
    out.push('', `### CRUD (${cfg.connections} connections, ${cfg.crudDuration} per phase after ${cfg.crudWarmup} warm-up; load average ${c.loadBefore} → ${c.loadAfter})`, '');
    out.push('| op | store | req/s | p50 ms | p99 ms | errors / requests | serve CPU µs/req | PostgreSQL CPU µs/req | statements / req | commits / req | WAL fsyncs / req | revision lock busy | bench client cores | other cores |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const row of c.rows) {
      const serverCores = ((row.r.serverCpuUsPerReq ?? 0) * row.r.rps) / 1e6;
      const pgCores = ((row.pgCpuUsPerReq ?? 0) * row.r.rps) / 1e6;
      out.push(`| ${row.op} | ${row.store} | ${f1(row.r.rps)} | ${f1(row.r.p50)} | ${f1(row.r.p99)} | ${row.r.errors} / ${row.r.requests} | ${f1(row.r.serverCpuUsPerReq)} | ${f1(row.pgCpuUsPerReq)} | ${f1(row.statementsPerReq)} | ${f1(row.commitsPerReq)} | ${f1(row.walFsyncsPerReq)} | ${row.lock ? `${(row.lock.utilization * 100).toFixed(0)}%` : '–'} | ${row.r.clientCpu.toFixed(2)} | ${Math.max(0, row.r.machineCpu - serverCores - pgCores - row.r.clientCpu).toFixed(2)} |`);
    }
    out.push('', 'PostgreSQL ÷ SQLite:', '', '| op | throughput | p50 latency | p99 latency |', '|---|---|---|---|');
    for (const op of ['apply', 'get']) {
      const s = c.rows.find((x) => x.op === op && x.store === 'sqlite')?.r;
      const p = c.rows.find((x) => x.op === op && x.store === 'postgres')?.r;
      if (s && p) out.push(`| ${op} | ${(p.rps / s.rps).toFixed(2)}× | ${(p.p50 / s.p50).toFixed(2)}× | ${(p.p99 / s.p99).toFixed(2)}× |`);
    }
  }
  const logs = [...r.engine.flatMap((e) => e.logs.map((l) => ({ ...l, where: e.config })))];
  const noisy = logs.filter((l) => l.warn || l.error);
  out.push('', '### Server and worker logs', '', noisy.length ? '' : 'No WARN or ERROR line in any Orrery process of the engine runs.');
  for (const l of noisy) out.push(`- ${l.where}, ${l.name}: ${l.warn} WARN, ${l.error} ERROR; e.g. ${l.samples.map((s) => `\`${s.slice(0, 200)}\``).join('; ')}`);
  if (r.crud) for (const [i, l] of r.crud.logs.entries()) if (l.warn || l.error) out.push(`- CRUD ${i ? 'PostgreSQL' : 'SQLite'} serve: ${l.warn} WARN, ${l.error} ERROR; e.g. ${l.samples.map((s) => `\`${s.slice(0, 200)}\``).join('; ')}`);
  return out.join('\n');
}

/** The commit measured, and which files under src/ differed from it (uncommitted) when the run started. */
export function describeTree(): string {
  const git = (...args: string[]) => Bun.spawnSync(['git', ...args], { cwd: ROOT }).stdout.toString();
  const head = git('log', '-1', '--format=%h %s').trim().slice(0, 80);
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).map((l) => l.slice(3));
  return `${head || 'unknown commit'}${dirty.length ? `; uncommitted under src/: ${dirty.join(', ')}` : ''}`;
}
