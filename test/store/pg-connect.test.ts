// The PostgreSQL infrastructure against a real server (test/support/postgres.ts): connecting and
// its errors, migrations applied exactly once under concurrency, the pending check, the revision
// counter's ordering, the optional pgvector column, and the test server itself.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrations } from '../../db/pg/migrations';
import { connectPg, parsePgUrl, PgConnectError, redactPgUrl, type PgConnection } from '../../src/store/pg/connect';
import { applyPgMigrations, migrationsPending, PendingMigrationsError, PgMigrationError, requireMigrated, type PgMigration } from '../../src/store/pg/migrate';
import { enableVectorSearch, ensureVectorIndex } from '../../src/store/pg/vector';
import { freshDatabase, hydrateSymlinks, startPostgres, testPostgres, type PostgresServer } from '../support/postgres';

let server: PostgresServer;
const open: PgConnection[] = [];
async function pool(url: string, max = 4): Promise<PgConnection> {
  const c = await connectPg(url, { max });
  open.push(c);
  return c;
}

beforeAll(async () => {
  server = await testPostgres();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close(0)));
});

describe('connecting', () => {
  test('connects and reports the target without the password', async () => {
    const c = await pool(server.url);
    expect(c.target).toEqual({ host: '127.0.0.1', port: server.port, database: 'postgres', user: server.user });
    expect(c.redactedUrl).not.toContain(server.password);
    expect(c.redactedUrl).toContain('***');
    const [row] = await c.sql`SELECT current_database() AS db`;
    expect(row.db).toBe('postgres');
  });

  test('a wrong password names host, port, database and user but never the password', async () => {
    const secret = 'Tr0ub4dor&3-wrong';
    const url = `postgres://${server.user}:${encodeURIComponent(secret)}@127.0.0.1:${server.port}/postgres`;
    const e = await connectPg(url).catch((x) => x);
    expect(e).toBeInstanceOf(PgConnectError);
    expect(e.message).toContain(`127.0.0.1:${server.port}`);
    expect(e.message).toContain('database "postgres"');
    expect(e.message).toContain(`user "${server.user}"`);
    expect(e.sqlState).toBe('28P01');
    for (const text of [e.message, e.stack ?? '', JSON.stringify(e), String(e.cause ?? '')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(encodeURIComponent(secret));
    }
  });

  test('a closed port and a missing database are named, the password is not', async () => {
    const refused = await connectPg(`postgres://u:hunter2-secret@127.0.0.1:1/orrery`, { connectionTimeout: 5 }).catch((x) => x);
    expect(refused.message).toContain('127.0.0.1:1');
    expect(refused.message).toContain('database "orrery"');
    expect(refused.message).not.toContain('hunter2-secret');
    const u = new URL(server.url);
    u.pathname = '/no_such_db';
    const missing = await connectPg(u.toString()).catch((x) => x);
    expect(missing.sqlState).toBe('3D000');
    expect(missing.message).toContain('database "no_such_db"');
    expect(missing.message).not.toContain(server.password);
  });

  test('PG* environment variables do not override the URL (Bun alone lets PGDATABASE win)', async () => {
    const saved = { PGDATABASE: process.env.PGDATABASE, PGPORT: process.env.PGPORT, PGUSER: process.env.PGUSER };
    Object.assign(process.env, { PGDATABASE: 'template1', PGPORT: '1', PGUSER: 'someone_else' });
    try {
      const c = await pool(server.url);
      const [row] = await c.sql`SELECT current_database() AS db, current_user AS u`;
      expect(row).toEqual({ db: 'postgres', u: server.user });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('URLs: defaults, sockets, bad input without echoing it', () => {
    expect(parsePgUrl('postgresql://bob@db.example:6543').target).toEqual({ host: 'db.example', port: 6543, database: 'bob', user: 'bob' });
    expect(parsePgUrl('postgres:///orrery?host=/run/postgresql').target.host).toBe('/run/postgresql');
    expect(parsePgUrl('postgres://[::1]/x').target.host).toBe('::1');
    expect(parsePgUrl('postgres://a:p%40ss@h/d').password).toBe('p@ss');
    for (const bad of ['not a url s3cretpw', 'mysql://u:s3cretpw@h/d', 'postgres://u:s3cretpw@h:99999/d']) {
      const e = (() => {
        try {
          parsePgUrl(bad);
        } catch (x) {
          return x as Error;
        }
      })();
      expect(e).toBeInstanceOf(PgConnectError);
      expect(e!.message).not.toContain('s3cretpw');
    }
    expect(redactPgUrl('postgres://u:s3cretpw@h/d')).toBe('postgres://u:***@h/d');
  });
});

describe('migrations', () => {
  test('an empty database has every migration pending; after migrating none', async () => {
    const c = await pool(await freshDatabase('mig'));
    expect(await migrationsPending(c.sql)).toEqual(migrations.map((m) => m.tag));
    const e = await requireMigrated(c.sql).catch((x) => x);
    expect(e).toBeInstanceOf(PendingMigrationsError);
    expect(e.message).toContain(migrations[0].tag);
    expect(await applyPgMigrations(c.sql)).toEqual(migrations.map((m) => m.tag));
    expect(await migrationsPending(c.sql)).toEqual([]);
    await requireMigrated(c.sql);
    // The schema is there: the seeded revision counter and the full-text column work.
    const [{ value }] = await c.sql`SELECT value FROM revision_counter WHERE id = 1`;
    expect(Number(value)).toBe(0);
    await c.sql`INSERT INTO memory_entries (namespace, memory, key, value, updated_at) VALUES ('ns', 'm', 'k1', 'Orbits of the OUTER planets', 'now')`;
    const hits = await c.sql`SELECT key FROM memory_entries WHERE search @@ to_tsquery('simple', 'outer & planets')`;
    expect(hits.map((r: { key: string }) => r.key)).toEqual(['k1']);
    const counter = await c.sql`INSERT INTO revision_counter (id, value) VALUES (3, 0)`.catch((x) => x);
    expect(counter.errno).toBe('23514'); // check violation: the revision and event rows only
    // The partial JSON indexes serve queries written with the same expression.
    const plan = await c.sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL enable_seqscan = off');
      return tx.unsafe(`EXPLAIN SELECT id FROM resources WHERE kind = 'Task' AND (status::jsonb ->> 'phase') = 'Pending'`);
    });
    expect(plan.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).toContain('resources_task_phase');
  });

  test('two pools migrating at once apply each migration exactly once; a restart applies nothing', async () => {
    const url = await freshDatabase('mig');
    // The real migrations plus two slow ones, so that the two runners overlap for a while.
    const list: PgMigration[] = [
      ...migrations,
      { tag: '9001_slow', sql: 'SELECT pg_sleep(0.2);\n--> statement-breakpoint\nCREATE TABLE extra_a (id int)' },
      { tag: '9002_slow', sql: 'SELECT pg_sleep(0.2);\n--> statement-breakpoint\nCREATE TABLE extra_b (id int)' },
    ];
    const [a, b] = await Promise.all([pool(url), pool(url)]);
    const [ranA, ranB] = await Promise.all([applyPgMigrations(a.sql, list), applyPgMigrations(b.sql, list)]);
    expect([...ranA, ...ranB].sort()).toEqual(list.map((m) => m.tag).sort());
    expect(ranA.filter((t) => ranB.includes(t))).toEqual([]);
    const rows = await a.sql`SELECT tag, hash FROM __orrery_migrations ORDER BY tag`;
    expect(rows.map((r: { tag: string }) => r.tag)).toEqual(list.map((m) => m.tag).sort());
    expect(rows.every((r: { hash: string }) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    const again = await pool(url);
    expect(await applyPgMigrations(again.sql, list)).toEqual([]);
  });

  test('a failing migration is rolled back whole, named, and not recorded', async () => {
    const c = await pool(await freshDatabase('mig'));
    const list: PgMigration[] = [{ tag: '0000_bad', sql: 'CREATE TABLE half (id int);\n--> statement-breakpoint\nSELECT no_such_function()' }];
    const e = await applyPgMigrations(c.sql, list).catch((x) => x);
    expect(e).toBeInstanceOf(PgMigrationError);
    expect(e.message).toContain('0000_bad');
    expect(e.message).toContain('no_such_function');
    const [{ t }] = await c.sql`SELECT to_regclass('half') AS t`;
    expect(t).toBeNull();
    expect(await migrationsPending(c.sql, list)).toEqual(['0000_bad']);
  });
});

describe('revision counter', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase('rev');
    const c = await pool(url);
    await applyPgMigrations(c.sql);
  });

  const bump = 'UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value';

  test('a transaction holding revision N blocks the next allocation until it commits', async () => {
    const c = await pool(url, 3);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first = 0;
    const allocated = new Promise<void>((ready) => {
      void c.sql.begin(async (tx) => {
        first = Number((await tx.unsafe(bump))[0].value);
        ready();
        await held;
      });
    });
    await allocated;
    let second = 0;
    const next = c.sql.begin(async (tx) => (second = Number((await tx.unsafe(bump))[0].value)));
    await Bun.sleep(300);
    expect(second).toBe(0); // still waiting for the first transaction's row lock
    release();
    await next;
    expect(second).toBe(first + 1);
  });

  test('20 concurrent writers get distinct, gapless revisions and commit in revision order', async () => {
    const c = await pool(url, 22);
    const [{ value: start }] = await c.sql.unsafe('SELECT value FROM revision_counter WHERE id = 1');
    const committed: number[] = [];
    let stop = false;
    let reads = 0;
    const violations: string[] = [];
    // Commit order is revision order exactly when no reader ever sees revision N without every
    // revision below it (the client sees commits complete in whatever order its sockets are read).
    const reader = (async () => {
      while (!stop) {
        const [r] = await c.sql`SELECT count(*)::int AS n, coalesce(max(revision), 0)::int AS top FROM changes WHERE revision > ${Number(start)}`;
        if (r.top !== 0 && r.top - Number(start) !== r.n) violations.push(`saw top ${r.top} with ${r.n} rows`);
        reads++;
      }
    })();
    const writers = Array.from({ length: 20 }, (_, i) =>
      c.sql
        .begin(async (tx) => {
          const rev = Number((await tx.unsafe(bump))[0].value);
          await Bun.sleep(Math.floor(Math.random() * 10));
          await tx`INSERT INTO changes (revision, kind, namespace, name, type, object, created_at) VALUES (${rev}, 'Agent', 'default', ${`a${i}`}, 'added', ${'x'.repeat(1024)}, 'now')`;
          return rev;
        })
        .then((rev) => committed.push(Number(rev))),
    );
    await Promise.all(writers);
    stop = true;
    await reader;
    const expected = Array.from({ length: 20 }, (_, i) => Number(start) + i + 1);
    expect(committed.sort((x, y) => x - y)).toEqual(expected);
    expect(violations).toEqual([]);
    expect(reads).toBeGreaterThan(5);
  });

  test('a rolled-back allocation leaves no gap', async () => {
    const c = await pool(url, 2);
    const before = Number((await c.sql.unsafe('SELECT value FROM revision_counter WHERE id = 1'))[0].value);
    await c.sql
      .begin(async (tx) => {
        await tx.unsafe(bump);
        throw new Error('abandon');
      })
      .catch(() => {});
    const [{ value }] = await c.sql.unsafe(bump);
    expect(Number(value)).toBe(before + 1);
  });
});

describe('pgvector', () => {
  test('enables the vector column where the extension exists, else refuses with the reason', async () => {
    const c = await pool(await freshDatabase('vec'));
    await applyPgMigrations(c.sql);
    const [ext] = await c.sql`SELECT 1 AS one FROM pg_available_extensions WHERE name = 'vector'`;
    const support = await enableVectorSearch(c.sql);
    const columns = async () => (await c.sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'memory_entries' AND column_name = 'embedding_vector'`).length;
    if (!ext) {
      console.log('pg-connect: this server has no pgvector; checking the refusal only');
      expect(support.available).toBe(false);
      if (!support.available) expect(support.reason).toContain('pgvector extension is not installed');
      expect(await columns()).toBe(0);
      expect(ensureVectorIndex(c.sql, 3)).rejects.toThrow(/not enabled/);
      return;
    }
    expect(support.available).toBe(true);
    expect(await enableVectorSearch(c.sql)).toEqual(support); // idempotent
    expect(await columns()).toBe(1);
    expect(await ensureVectorIndex(c.sql, 3)).toBe(true);
    expect(await ensureVectorIndex(c.sql, 4096)).toBe(false);
    await c.sql`INSERT INTO memory_entries (namespace, memory, key, value, updated_at, embedding_vector) VALUES ('ns', 'm', 'near', 'a', 'now', '[1,0,0]'), ('ns', 'm', 'far', 'b', 'now', '[0,1,0]')`;
    const rows = await c.sql`SELECT key FROM memory_entries WHERE vector_dims(embedding_vector) = 3 ORDER BY embedding_vector::vector(3) <=> '[0.9,0.1,0]' LIMIT 1`;
    expect(rows[0].key).toBe('near');
  });
});

describe('the test server', () => {
  test('each fresh database is empty and separate', async () => {
    const [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
    expect(a).not.toBe(b);
    const c = await pool(a);
    const [{ n }] = await c.sql`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
    expect(n).toBe(0);
  });

  test('a server that cannot start fails with the reason, quickly, and leaves no directory', async () => {
    const dirs = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('orrery-pg-')));
    const before = dirs();
    const t0 = Date.now();
    const e = await startPostgres({ binDir: join(tmpdir(), 'orrery-no-such-pg', 'bin'), timeoutMs: 10_000 }).catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain('test PostgreSQL did not start');
    expect(e.message).toMatch(/ENOENT|no such file/i);
    expect(Date.now() - t0).toBeLessThan(10_000);
    // The watchdog removes the directory once told to.
    const left = () => [...dirs()].filter((d) => !before.has(d));
    for (let i = 0; i < 100 && left().length > 0; i++) await Bun.sleep(20);
    expect(left()).toEqual([]);
  });

  test('library symlinks missing after an install without scripts are recreated', () => {
    const pkg = mkdtempSync(join(tmpdir(), 'orrery-links-'));
    try {
      mkdirSync(join(pkg, 'native', 'lib'), { recursive: true });
      writeFileSync(join(pkg, 'native', 'lib', 'libx.so.1.2'), '');
      writeFileSync(join(pkg, 'native', 'pg-symlinks.json'), JSON.stringify([{ source: 'native/lib/libx.so.1.2', target: 'native/lib/libx.so.1' }]));
      expect(hydrateSymlinks(pkg)).toBe(1);
      expect(readlinkSync(join(pkg, 'native', 'lib', 'libx.so.1'))).toBe('libx.so.1.2');
      expect(existsSync(join(pkg, 'native', 'lib', 'libx.so.1'))).toBe(true);
      expect(hydrateSymlinks(pkg)).toBe(0);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
