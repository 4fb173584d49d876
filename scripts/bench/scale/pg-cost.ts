// What the runs of scripts/bench/scale.ts cost PostgreSQL: pg_stat_database, WAL position and
// relation sizes before and after, pg_stat_statements, peak connections, the revision_counter row
// lock sampler, and the per-task figures computed from them.
import { connectPg, type PgConnection } from '../../../src/store/pg/connect';
import { withDatabase } from '../../../test/support/postgres';
import { growthPer } from '../db-bytes';
import { sleep } from '../load';
import { state } from './shared';

export interface DbStats {
  commits: number; rollbacks: number; inserted: number; updated: number; deleted: number; fetched: number; returned: number;
  walLsn: string; walFsyncs?: number; relBytes: Record<string, number>; revisions: number; eventIds: number;
}

export async function dbStats(db: PgConnection, dbName: string): Promise<DbStats> {
  const [d] = await state.admin!.sql`SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned FROM pg_stat_database WHERE datname = ${dbName}`;
  const [w] = await state.admin!.sql`SELECT pg_current_wal_lsn()::text AS lsn`;
  let walFsyncs: number | undefined;
  try {
    const [io] = await state.admin!.sql`SELECT sum(fsyncs)::float8 AS n FROM pg_stat_io WHERE object = 'wal'`;
    walFsyncs = io?.n === null ? undefined : Number(io.n);
  } catch {
    // before PostgreSQL 18 the WAL is not in pg_stat_io
  }
  const rels = await db.sql`SELECT c.relname, pg_total_relation_size(c.oid)::float8 AS bytes FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace`;
  const counters = await db.sql`SELECT id, value FROM revision_counter`;
  const counter = (id: number) => Number(counters.find((r: { id: number }) => Number(r.id) === id)?.value ?? 0);
  return {
    commits: Number(d.xact_commit), rollbacks: Number(d.xact_rollback), inserted: Number(d.tup_inserted), updated: Number(d.tup_updated),
    deleted: Number(d.tup_deleted), fetched: Number(d.tup_fetched), returned: Number(d.tup_returned), walLsn: w.lsn as string, walFsyncs,
    relBytes: Object.fromEntries(rels.map((r: { relname: string; bytes: number }) => [r.relname, Number(r.bytes)])), revisions: counter(1), eventIds: counter(2),
  };
}

export interface Statement { query: string; calls: number; rows: number; totalMs: number; meanMs: number }

/** The bench's own statements on the bench databases (lock sampler, size readings): left out of the counts. */
const BENCH_QUERY = /pg_xact_status|pg_total_relation_size|pg_stat_statements|SELECT id, value FROM revision_counter/;

/** pg_stat_statements of one database since the last reset, busiest first, without the bench's own. */
export async function statements(dbName: string): Promise<Statement[]> {
  const rows = await state.admin!.sql`
    SELECT s.query, s.calls::float8 AS calls, s.rows::float8 AS rows, s.total_exec_time AS total, s.mean_exec_time AS mean
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ${dbName} ORDER BY s.calls DESC`;
  return rows
    .map((r: Record<string, unknown>) => ({ query: String(r.query).replace(/\s+/g, ' ').trim(), calls: Number(r.calls), rows: Number(r.rows), totalMs: Number(r.total), meanMs: Number(r.mean) }))
    .filter((s: Statement) => !BENCH_QUERY.test(s.query));
}

/** Highest number of connections to the database seen at once, in all and per application_name, sampled every 200 ms. */
export function sampleConnections(dbName: string) {
  const peak = { total: 0, byApp: {} as Record<string, number>, listening: 0 };
  let stop = false;
  const done = (async () => {
    while (!stop) {
      try {
        const rows = await state.admin!.sql`SELECT application_name AS app, count(*)::int AS n, count(*) FILTER (WHERE query ILIKE 'LISTEN%')::int AS l FROM pg_stat_activity WHERE datname = ${dbName} GROUP BY 1`;
        let total = 0;
        let listening = 0;
        for (const r of rows as { app: string; n: number; l: number }[]) {
          total += r.n;
          listening += r.l;
          peak.byApp[r.app] = Math.max(peak.byApp[r.app] ?? 0, r.n);
        }
        peak.total = Math.max(peak.total, total);
        peak.listening = Math.max(peak.listening, listening);
      } catch {
        // a sample lost is no harm
      }
      await sleep(200);
    }
  })();
  return { peak, stop: async () => ((stop = true), await done) };
}

/**
 * How busy the revision_counter row lock is: every ~5 ms, one read of the row's xmax on `conn`
 * (no lock, no write) and whether that transaction is still in progress (then it holds the row
 * lock: it updated the row or locked it FOR UPDATE and has not ended). The share of samples that
 * find it held is the lock's utilization; 1 ÷ utilization × the rate measured is the rate at which
 * the lock would be busy all the time.
 */
export function sampleLock(conn: PgConnection) {
  const seen = { held: 0, free: 0, unknown: 0 };
  let stop = false;
  const done = (async () => {
    while (!stop) {
      try {
        const [r] = await conn.sql`
          SELECT CASE WHEN xmax = '0'::xid THEN 'free'
            ELSE pg_xact_status((((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32) << 32) + xmax::text::bigint)::text::xid8) END AS s
          FROM revision_counter WHERE id = 1`;
        if (r?.s === 'in progress') seen.held++;
        else if (r?.s === 'committed' || r?.s === 'aborted' || r?.s === 'free') seen.free++;
        else seen.unknown++;
      } catch {
        seen.unknown++; // a multixact in xmax, say
      }
      await sleep(5);
    }
  })();
  return {
    seen,
    stop: async () => {
      stop = true;
      await done;
      const n = seen.held + seen.free;
      return { ...seen, utilization: n ? seen.held / n : NaN };
    },
  };
}
export type LockSample = Awaited<ReturnType<ReturnType<typeof sampleLock>['stop']>>;

export async function newDatabase(name: string): Promise<{ url: string; conn: PgConnection; lockConn: PgConnection }> {
  await state.admin!.sql.unsafe(`CREATE DATABASE "${name}"`);
  const url = withDatabase(state.pg!.url, name);
  return { url, conn: await connectPg(url, { max: 1, applicationName: 'bench-stats' }), lockConn: await connectPg(url, { max: 1, applicationName: 'bench-lock-sampler' }) };
}

export interface DbCost {
  statementsPerTask: number; execMsPerTask: number; commitsPerTask: number; rollbacksPerTask: number; insertedPerTask: number; updatedPerTask: number; deletedPerTask: number;
  fetchedPerTask: number; walBytesPerTask: number; walFsyncsPerTask?: number; relBytesPerTask: number; relTables: [string, number][];
  revisionsPerTask: number; eventsPerTask: number; notifiesPerTask: number; claimScansPerTask: number; catchUpReadsPerTask: number;
  versionMissesPerTask: number; revisionLockWaitMs: number; lock: LockSample; lockCeilingTasksPerSec: number; statementsTop: (Statement & { perTask: number })[];
}

export function costs(tasks: number, seconds: number, a: DbStats, b: DbStats, st: Statement[], wal: number, lockSample: LockSample): DbCost {
  const per = (x: number) => x / tasks;
  const sum = (re: RegExp, f: (s: Statement) => number = (s) => s.calls) => st.filter((s) => re.test(s.query)).reduce((t, s) => t + f(s), 0);
  const rel = growthPer(a.relBytes, b.relBytes, tasks);
  const lock = st.filter((s) => /^UPDATE revision_counter/i.test(s.query) || /FROM revision_counter .*FOR UPDATE/i.test(s.query));
  const lockCalls = lock.reduce((t, s) => t + s.calls, 0);
  const versioned = st.filter((s) => /^UPDATE resources SET/i.test(s.query) && /resource_version = \$\d+ RETURNING/i.test(s.query));
  return {
    statementsPerTask: per(st.reduce((t, s) => t + s.calls, 0)),
    execMsPerTask: per(st.reduce((t, s) => t + s.totalMs, 0)),
    commitsPerTask: per(b.commits - a.commits),
    rollbacksPerTask: per(b.rollbacks - a.rollbacks),
    insertedPerTask: per(b.inserted - a.inserted),
    updatedPerTask: per(b.updated - a.updated),
    deletedPerTask: per(b.deleted - a.deleted),
    fetchedPerTask: per(b.fetched - a.fetched),
    walBytesPerTask: per(wal),
    walFsyncsPerTask: a.walFsyncs === undefined || b.walFsyncs === undefined ? undefined : per(b.walFsyncs - a.walFsyncs),
    relBytesPerTask: rel.total,
    relTables: rel.tables,
    revisionsPerTask: per(b.revisions - a.revisions),
    eventsPerTask: per(b.eventIds - a.eventIds),
    notifiesPerTask: per(sum(/pg_notify/i)),
    claimScansPerTask: per(sum(/FROM resources WHERE kind = \$1 AND \(\(status::jsonb/i)),
    catchUpReadsPerTask: per(sum(/FROM (changes|events) WHERE (revision|id) > \$1 AND/i)),
    versionMissesPerTask: per(versioned.reduce((t, s) => t + s.calls - s.rows, 0)),
    revisionLockWaitMs: lockCalls ? lock.reduce((t, s) => t + s.totalMs, 0) / lockCalls : NaN,
    lock: lockSample,
    lockCeilingTasksPerSec: tasks / seconds / lockSample.utilization,
    statementsTop: st.slice(0, 25).map((s) => ({ ...s, perTask: per(s.calls) })),
  };
}
