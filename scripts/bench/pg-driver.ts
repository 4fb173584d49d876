// PostgreSQL driver benchmark: Bun's built-in SQL client (through src/store/pg/connect.ts) against
// the `postgres` npm package, on the same server and schema (db/pg migrations), with the same
// queries, N concurrent callers each, for a fixed time per case:
//   write — a transaction: revision bump on revision_counter + insert of a ~1 KB changes row
//   get   — a point select of a resources row by primary key (10,000 rows of ~1 KB)
//   list  — a keyset page of 50 resources rows over the (kind, namespace, name) index
// Each case runs --rounds times per driver, the drivers alternating (A B, then B A) so that a
// change in the machine's load weighs on both alike. Prints ops/s, latency p50/p99 and the
// client's CPU per operation (user + system of this process, which runs nothing else meanwhile),
// then the ratios. The server is the one test/support/postgres.ts starts (fsync off unless
// --durable), or --database-url (a new database is made on it and dropped afterwards).
// Run: npx bun scripts/bench/pg-driver.ts [--seconds 3] [--rounds 2] [--concurrency 16] [--durable] [--database-url URL]
import postgres from 'postgres';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectPg, type PgConnection } from '../../src/store/pg/connect';
import { applyPgMigrations } from '../../src/store/pg/migrate';
import { startPostgres, withDatabase, type PostgresServer } from '../../test/support/postgres';
import { describeMachine, percentile, startWatchdog } from './load';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const seconds = Number(arg('seconds') ?? 3);
const rounds = Number(arg('rounds') ?? 2);
const concurrency = Number(arg('concurrency') ?? 16);
const durable = process.argv.includes('--durable');
const ROWS = 10_000;
const PAYLOAD = JSON.stringify({ spec: { text: 'x'.repeat(1000) } });

interface Driver {
  name: string;
  write(i: number): Promise<unknown>;
  get(id: number): Promise<unknown>;
  list(after: string): Promise<unknown>;
  close(): Promise<void>;
}
type Case = 'write' | 'get' | 'list';
const CASES: Case[] = ['write', 'get', 'list'];

async function bunDriver(url: string): Promise<Driver> {
  const { sql, close } = await connectPg(url, { max: concurrency });
  return {
    name: 'bun:sql',
    write: (i) =>
      sql.begin(async (tx) => {
        const [{ value }] = await tx`UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value`;
        await tx`INSERT INTO changes (revision, kind, namespace, name, type, object, created_at) VALUES (${value}, 'Agent', 'default', ${`w${i}`}, 'added', ${PAYLOAD}, ${new Date().toISOString()})`;
      }),
    get: (id) => sql`SELECT * FROM resources WHERE id = ${id}`,
    list: (after) => sql`SELECT * FROM resources WHERE kind = 'Agent' AND namespace = 'default' AND name > ${after} ORDER BY name LIMIT 50`,
    close: () => close(),
  };
}

async function postgresJsDriver(url: string): Promise<Driver> {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  await sql`SELECT 1`;
  return {
    name: 'postgres',
    write: (i) =>
      sql.begin(async (tx) => {
        const [{ value }] = await tx`UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value`;
        await tx`INSERT INTO changes (revision, kind, namespace, name, type, object, created_at) VALUES (${value}, 'Agent', 'default', ${`w${i}`}, 'added', ${PAYLOAD}, ${new Date().toISOString()})`;
      }),
    get: (id) => sql`SELECT * FROM resources WHERE id = ${id}`,
    list: (after) => sql`SELECT * FROM resources WHERE kind = 'Agent' AND namespace = 'default' AND name > ${after} ORDER BY name LIMIT 50`,
    close: () => sql.end({ timeout: 5 }),
  };
}

const nameOf = (i: number) => `agent-${String(i).padStart(6, '0')}`;
let writes = 0;

interface Run {
  lat: number[];
  wallMs: number;
  cpuUs: number;
}

interface Result {
  opsPerSec: number;
  cpuUsPerOp: number;
  p50: number;
  p99: number;
}

function summarize(runs: Run[]): Result {
  const lat = Float64Array.from(runs.flatMap((r) => r.lat)).sort();
  const wall = runs.reduce((a, r) => a + r.wallMs, 0);
  const cpu = runs.reduce((a, r) => a + r.cpuUs, 0);
  return { opsPerSec: (lat.length * 1000) / wall, cpuUsPerOp: cpu / lat.length, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99) };
}

/** `concurrency` loops calling the case until the time is up. */
async function measure(d: Driver, c: Case, ms: number): Promise<Run> {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const call = (): Promise<unknown> =>
    c === 'write' ? d.write(writes++) : c === 'get' ? d.get(1 + Math.floor(rnd() * ROWS)) : d.list(nameOf(Math.floor(rnd() * (ROWS - 50))));
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await call();
        lat.push(performance.now() - s);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { lat, wallMs, cpuUs: cpu.user + cpu.system };
}

let server: PostgresServer | undefined;
let admin: PgConnection | undefined;
let database = '';
const drivers: Driver[] = [];
const cleanup = async () => {
  await Promise.all(drivers.map((d) => d.close().catch(() => {})));
  if (admin && database) await admin.sql.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => {});
  await admin?.close();
  await server?.stop();
};
const watchdog = startWatchdog((CASES.length * 2 * (rounds * seconds + 1) * 2 + 120) * 1000, 'pg-driver bench', cleanup);
try {
  const given = arg('database-url');
  if (!given) {
    const durability = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' };
    server = await startPostgres(durable ? { settings: durability } : {});
  }
  const base = given ?? server!.url;
  admin = await connectPg(base, { max: 1 });
  database = `bench_${Date.now().toString(36)}`;
  await admin.sql.unsafe(`CREATE DATABASE "${database}"`);
  const url = withDatabase(base, database);
  const setup = await connectPg(url, { max: 1 });
  await applyPgMigrations(setup.sql);
  await setup.sql.unsafe(
    `INSERT INTO resources (kind, namespace, name, uid, resource_version, generation, spec, status, created_at, updated_at)
     SELECT 'Agent', 'default', 'agent-' || lpad(i::text, 6, '0'), md5(i::text), i, 1, $1, '{}', now()::text, now()::text FROM generate_series(0, ${ROWS - 1}) i`,
    [PAYLOAD],
  );
  await setup.sql.unsafe('VACUUM ANALYZE resources');
  const [{ version }] = await setup.sql`SELECT current_setting('server_version') AS version`;
  await setup.close();
  drivers.push(await bunDriver(url), await postgresJsDriver(url));
  const pkg = JSON.parse(readFileSync(join(import.meta.dir, '../../node_modules/postgres/package.json'), 'utf8')) as { version: string };
  console.log(await describeMachine());
  console.log(
    `PostgreSQL ${version} (${given ? 'given server' : `test server, ${durable ? 'fsync on' : 'fsync off'}`}), ${concurrency} concurrent, ${rounds} × ${seconds} s per case and driver; ` +
      `Bun ${Bun.version} SQL vs postgres ${pkg.version}`,
  );
  console.log(`${'case'.padEnd(6)} ${'driver'.padEnd(9)} ${'ops/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'client CPU µs/op'.padStart(17)}`);
  const results = new Map<string, Result>();
  for (const c of CASES) {
    const runs = new Map<string, Run[]>(drivers.map((d) => [d.name, []]));
    for (const d of drivers) await measure(d, c, 1000); // warm-up: connections open, statements prepared, JIT warm
    for (let round = 0; round < rounds; round++) {
      for (const d of round % 2 ? [...drivers].reverse() : drivers) runs.get(d.name)!.push(await measure(d, c, seconds * 1000));
    }
    for (const d of drivers) {
      const r = summarize(runs.get(d.name)!);
      results.set(`${c}/${d.name}`, r);
      console.log(`${c.padEnd(6)} ${d.name.padEnd(9)} ${r.opsPerSec.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.cpuUsPerOp.toFixed(1).padStart(17)}`);
    }
  }
  for (const c of CASES) {
    const a = results.get(`${c}/bun:sql`)!;
    const b = results.get(`${c}/postgres`)!;
    console.log(`ratio ${c.padEnd(6)} bun:sql/postgres: ops/s ${(a.opsPerSec / b.opsPerSec).toFixed(2)}×, client CPU per op ${(a.cpuUsPerOp / b.cpuUsPerOp).toFixed(2)}×`);
  }
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
