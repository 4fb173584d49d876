// The CRUD runs of scripts/bench/scale.ts: crud.ts's apply and get ops and load generator against a
// SQLite and a PostgreSQL serve, with PostgreSQL's cost per request.
import { join } from 'node:path';
import { ops, type Target } from '../crud';
import { runLoad, sleep, stopProcess, type LoadResult } from '../load';
import { pgCpuMs } from './machine';
import { dbStats, newDatabase, sampleLock, statements, type DbStats, type LockSample } from './pg-cost';
import { serveArgs, startOrrery, URL_LINE, type LogCount, type Proc } from './processes';
import { f1, loadavg, log, ms, state, type Config } from './shared';

export interface CrudRow { op: string; store: 'sqlite' | 'postgres'; r: LoadResult; pgCpuUsPerReq?: number; statementsPerReq?: number; commitsPerReq?: number; walFsyncsPerReq?: number; lock?: LockSample }

export async function crud(cfg: Config): Promise<{ rows: CrudRow[]; loadBefore: string; loadAfter: string; logs: LogCount[] }> {
  const loadBefore = loadavg();
  const dbName = `scale_crud_${Date.now().toString(36)}`;
  const { url, conn, lockConn } = await newDatabase(dbName);
  const sqlite = await startOrrery('serve (SQLite, CRUD)', serveArgs(['--data-dir', join(state.tmpRoot, 'sqlite-crud')]), URL_LINE);
  const postgres = await startOrrery('serve (PostgreSQL, CRUD)', serveArgs(['--database-url', url, '--database-pool-size', String(cfg.poolSize)]), URL_LINE);
  const targets: [CrudRow['store'], Proc, Target][] = [
    ['sqlite', sqlite, { name: 'orrery', url: sqlite.url!, pid: sqlite.proc.pid, next: 0, created: [], versions: [] }],
    ['postgres', postgres, { name: 'orrery', url: postgres.url!, pid: postgres.proc.pid, next: 0, created: [], versions: [] }],
  ];
  const rows: CrudRow[] = [];
  const conns = Number(cfg.connections);
  try {
    await sleep(1000);
    for (const op of ['apply', 'get']) {
      for (const [store, , t] of targets) {
        const o = ops(t)[op];
        const warm = ms(cfg.crudWarmup);
        if (warm > 0) await runLoad(t.url, o, { connections: conns, durationMs: warm });
        let before: DbStats | undefined;
        let cpu0 = 0;
        if (store === 'postgres') {
          await sleep(1100);
          before = await dbStats(conn, dbName);
          await state.admin!.sql`SELECT pg_stat_statements_reset()`;
          cpu0 = await pgCpuMs(state.pgPid);
        }
        const lock = store === 'postgres' ? sampleLock(lockConn) : undefined;
        const r = await runLoad(t.url, o, { connections: conns, durationMs: ms(cfg.crudDuration), pid: t.pid });
        const row: CrudRow = { op, store, r, lock: await lock?.stop() };
        if (store === 'postgres') {
          const done = r.requests - r.errors;
          row.pgCpuUsPerReq = ((await pgCpuMs(state.pgPid)) - cpu0) * 1000 / done;
          row.statementsPerReq = (await statements(dbName)).reduce((a, s) => a + s.calls, 0) / done;
          await sleep(1100);
          const after = await dbStats(conn, dbName);
          row.commitsPerReq = (after.commits - before!.commits) / done;
          if (after.walFsyncs !== undefined && before!.walFsyncs !== undefined) row.walFsyncsPerReq = (after.walFsyncs - before!.walFsyncs) / done;
        }
        rows.push(row);
        log(`  crud ${op.padEnd(5)} ${store.padEnd(8)} ${f1(r.rps)} req/s  p50 ${f1(r.p50)} ms  p99 ${f1(r.p99)} ms  errors ${r.errors}/${r.requests}${r.firstError ? `  first error: ${r.firstError}` : ''}`);
      }
    }
  } finally {
    await Promise.all([sqlite, postgres].map((p) => stopProcess(p.proc)));
    await conn.close();
    await lockConn.close();
  }
  return { rows, loadBefore, loadAfter: loadavg(), logs: [sqlite.logs, postgres.logs] };
}
