// `orrery export` and `orrery import` as real processes, between SQLite and a real PostgreSQL:
// every object (Secrets compared decrypted), user, token, memory entry, task record and the
// revision arrive; new writes and watches continue after the imported revision; a non-empty
// target, a wrong key and a truncated file are refused with nothing written.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgAuthStore } from '../../src/auth/pg-store';
import { sha256Hex } from '../../src/auth/secrets';
import { AuthStore } from '../../src/auth/store';
import { createCore } from '../../src/core';
import { Registry } from '../../src/registry/registry';
import { kinds } from '../../src/resources';
import { SealingKeys } from '../../src/sealing/keys';
import { exportSqlite } from '../../src/store/dump';
import { openStore } from '../../src/store/open-store';
import { openPgBackend, type PgBackend } from '../../src/store/pg/backend';
import { connectPg } from '../../src/store/pg/connect';
import { exportPg } from '../../src/store/pg/dump';
import type { SqliteBackend } from '../../src/store/sqlite-backend';
import { systemClock } from '../../src/util/time';
import { applyAll, manifestsUnder } from '../support/manifests';
import { freshDatabase } from '../support/postgres';
import { json, SseReader } from '../support/sse';

const work = mkdtempSync(join(tmpdir(), 'orrery-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const main = join(import.meta.dir, '../../src/main.ts');

async function cli(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, main, ...args], { cwd: work, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ...env } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

const SECRET = 'sk-live-0123456789';
const EMBEDDING = [0.25, -1.5, 3];
const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

/** A data directory written through the registry and the stores, as a server would write it. */
async function seed(dir: string) {
  const backend = openStore(dir, undefined);
  const core = createCore({ backend, clock: systemClock });
  const reg = core.registry;
  const def = (plural: string) => reg.byPlural.get(plural)!;
  const [task] = await applyAll(reg, manifestsUnder(join(import.meta.dir, '../../examples/blueprints/pipeline')));
  await reg.apply(def('secrets'), { metadata: { name: 'api-keys' }, spec: { stringData: { token: SECRET } } }, {});
  await reg.apply(def('memories'), { metadata: { name: 'edge-notes' }, spec: { type: 'kv' } }, {});
  await reg.apply(def('agents'), { metadata: { name: 'doomed', namespace: 'other' }, spec: { model_ref: 'm' } }, {});
  const status = {
    phase: 'Running',
    messages: [{ message_id: 'm1', phase: 'Queued', to_agent: 'planner', content: 'hello' }],
    trace: [{ timestamp: 't1', type: 'agent_step', step_id: 'a001.s0001' }],
    history: [{ type: 'claim' }],
  };
  const running = await reg.replaceStatus(def('tasks'), 'default', task, { status }, '*');
  // The newest change is a delete: the revision is above every stored object's version.
  await reg.delete(def('agents'), 'other', 'doomed');
  await backend.memory().put('default', 'edge-notes', 'fact', 'the box has 8 GB', new Float32Array(EMBEDDING), '2026-01-02T03:04:05Z');
  await backend.memory().put('default', 'edge-notes', 'plain', 'no embedding', undefined, '2026-01-02T03:04:06Z');
  await backend.journal(systemClock).putIfAbsent(running.metadata.uid, 'm1/step', '{"reply":"ok"}');
  const logs = backend.logs(systemClock);
  for (const line of ['claimed', 'step 1 done']) await logs.append('Task', 'default', task, line);
  await backend.dedupe().put('ep-1', 'evt-1', { taskNamespace: 'default', taskName: task }, Date.now(), Date.now() + 3_600_000);
  await new SealingKeys(backend.meta, backend.cipher, { modulusLength: 2048 }).ensure();
  const auth = new AuthStore(backend.handle);
  await auth.createUser('alice', 'admin', '$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA', new Date());
  const { token } = await auth.createToken('ci', 'writer', new Date());
  await auth.createSession('alice', 3_600_000, new Date());
  const stored = backend.handle.sqlite.query<{ spec: string }, []>("SELECT spec FROM resources WHERE kind = 'Secret'").get()!.spec;
  expect(stored).not.toContain(Buffer.from(SECRET).toString('base64'));
  const revision = await backend.resources.currentRevision();
  core.stop();
  await backend.close();
  return { dir, key: readFileSync(join(dir, 'secret-encryption.key'), 'utf8').trim(), token, revision, task };
}

type Opened = SqliteBackend | PgBackend;

/** What a user sees of a database: objects (decoded), users, tokens, memory, records, revision. */
async function contents(b: Opened, token: string) {
  const reg = new Registry(kinds, b, systemClock);
  const objects: Record<string, unknown> = {};
  const records: Record<string, unknown> = {};
  const streams = Object.assign({}, ...kinds.map((k) => k.records ?? {}));
  for (const def of kinds) {
    for (const o of (await reg.list(def, {})).items) {
      objects[`${def.kind}/${o.metadata.namespace}/${o.metadata.name}`] = await reg.getDecoded(def, o.metadata.namespace, o.metadata.name);
      if (def.records) records[o.metadata.uid] = await b.records(streams).load(o.metadata.uid);
    }
  }
  const auth = b.dialect === 'postgres' ? new PgAuthStore(b.pg) : new AuthStore(b.handle);
  const mem = b.memory();
  const fact = (await mem.get('default', 'edge-notes', 'fact'))!;
  return {
    revision: await b.resources.currentRevision(),
    lastEventId: await b.events.lastId(),
    objects,
    records,
    users: await auth.listUsers(),
    alice: await auth.findUser('alice'),
    tokens: await auth.listTokens(),
    byToken: await auth.tokenByHash(sha256Hex(token)),
    entries: await mem.list('default', 'edge-notes', '', 100),
    fact: { ...fact, embedding: Array.from(fact.embedding ?? []) },
    sealingKey: await b.meta.get('sealing_key'),
  };
}

/** Every exported row of a database, the header without its dialect and time. */
async function rows(b: Opened, includeEvents = false): Promise<unknown[]> {
  const lines: string[] = [];
  const opts = { includeEvents, write: (l: string) => void lines.push(l) };
  await (b.dialect === 'postgres' ? exportPg(b.pg, opts) : exportSqlite(b.handle, opts));
  const [{ dialect: _d, exportedAt: _t, ...header }, ...rest] = lines.map((l) => JSON.parse(l));
  return [header, ...rest];
}

const openPg = (url: string, key: string) => openPgBackend(url, { secretKey: key, poolSize: 4 });

/** Database names of the test server whose tables exist, for "nothing was created" checks. */
async function tableCount(url: string): Promise<number> {
  const conn = await connectPg(url, { max: 1 });
  try {
    const [r] = await conn.sql`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`;
    return Number(r.n);
  } finally {
    await conn.close();
  }
}

let source: Awaited<ReturnType<typeof seed>>;
let exportFile: string;
let pgUrl: string;

beforeAll(async () => {
  source = await seed(join(work, 'source'));
  pgUrl = await freshDatabase('import');
});

test('SQLite → PostgreSQL with the CLI: everything a user had arrives, and writes continue after the revision', async () => {
  exportFile = join(work, 'source.jsonl');
  const exported = await cli(['export', '--data-dir', source.dir, '--output', exportFile], { ORRERY_TEST_PROGRESS_MS: '0' });
  expect(exported.err).toContain(`orrery export: wrote`);
  expect(exported.code).toBe(0);
  expect(exported.err).toMatch(/orrery export: \d+ of \d+ rows \(\d+%\), at resources/);
  expect(statSync(exportFile).mode & 0o777).toBe(0o600);
  expect(readdirSync(work).filter((f) => f.includes('.partial-'))).toEqual([]);
  const lines = readFileSync(exportFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ format: 'orrery-export', version: 1, dialect: 'sqlite', revision: source.revision, includesEvents: false });
  expect(lines.at(-1)).toEqual({ end: true, rows: lines.length - 2 });
  const tables = new Set(lines.slice(1, -1).map((l) => l.table));
  expect([...tables].sort()).toEqual(['api_tokens', 'auth_users', 'changes', 'events', 'memory_entries', 'meta', 'object_logs', 'resources', 'task_journal', 'task_records', 'webhook_dedupe']);
  // Anchors only: the newest change (the revision) and the newest event; sessions never.
  expect(lines.filter((l) => l.table === 'changes').map((l) => l.row.revision)).toEqual([source.revision]);
  expect(lines.filter((l) => l.table === 'events')).toHaveLength(1);
  // Nothing decrypted: the Secret's value is not in the file in any form.
  const text = readFileSync(exportFile, 'utf8');
  for (const form of [SECRET, Buffer.from(SECRET).toString('base64')]) expect(text).not.toContain(form);

  const imported = await cli(['import', '--database-url', pgUrl, '--input', exportFile], { ORLOJ_SECRET_ENCRYPTION_KEY: source.key, ORRERY_TEST_PROGRESS_MS: '0' });
  expect(imported.err).toContain(`orrery import: imported ${lines.length - 2} rows at revision ${source.revision}`);
  expect(imported.code).toBe(0);
  expect(imported.err).not.toContain(passwordOf(pgUrl));

  const sqlite = openStore(source.dir, undefined);
  const pg = await openPg(pgUrl, source.key);
  try {
    const before = await contents(sqlite, source.token);
    const after = await contents(pg, source.token);
    expect(after).toEqual(before);
    expect(before.revision).toBe(source.revision);
    expect((before.objects['Secret/default/api-keys'] as any).spec.data.token).toBe(Buffer.from(SECRET).toString('base64'));
    expect(Object.keys(before.objects)).toHaveLength(8);
    expect(before.fact.embedding).toEqual(EMBEDDING);
    expect(Object.values(before.records)[0]).toMatchObject({ messages: [{ message_id: 'm1' }], trace: [{ step_id: 'a001.s0001' }] });
    expect(before.byToken).toEqual({ name: 'ci', role: 'writer' });
    // Every exported table, row for row (journal, logs, dedupe, meta included).
    expect(await rows(pg)).toEqual(await rows(sqlite));
    expect(Number((await pg.pool`SELECT count(*) AS n FROM auth_sessions`)[0].n)).toBe(0);

    // New writes continue after the imported revision; a watch resumed from it sees them, and one
    // resumed from before it is told to list again (the change log did not travel).
    const core = createCore({ backend: pg, clock: systemClock });
    try {
      const agents = core.registry.byPlural.get('agents')!;
      const watch = (from: number) => core.watch.resourceWatch(agents, new Request('http://x/v1/agents/watch', { headers: { 'last-event-id': String(from) } }), {});
      const resumed = new SseReader(await watch(source.revision));
      const old = new SseReader(await watch(1));
      const written = await core.registry.apply(agents, { metadata: { name: 'after-import' }, spec: { model_ref: 'm' } }, {});
      expect(Number(written.object.metadata.resourceVersion)).toBe(source.revision + 1);
      const [frame] = await resumed.waitFor(1);
      expect(json(frame).resource.metadata).toMatchObject({ name: 'after-import', resourceVersion: String(source.revision + 1) });
      expect((await old.waitFor(1))[0].event).toBe('error');
      await resumed.close();
      await old.close();
      const event = await core.events.publish({ source: 'test', type: 'after.import' });
      expect(event.id).toBeGreaterThan(before.lastEventId);
    } finally {
      core.stop();
    }
  } finally {
    await sqlite.close();
    await pg.close();
  }
});

test('PostgreSQL → SQLite round trip through standard output and input, events included', async () => {
  const target = join(work, 'round-trip');
  const pg = await openPg(pgUrl, source.key);
  const want = await contents(pg, source.token);
  await pg.close();
  const file = join(work, 'from-pg.jsonl');
  const env = { ORLOJ_DATABASE_URL: pgUrl };
  const proc = Bun.spawn([process.execPath, main, 'export', '--include-events'], { stdout: Bun.file(file), stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ...env } });
  expect(await proc.exited).toBe(0);
  expect(await new Response(proc.stderr).text()).not.toContain(passwordOf(pgUrl));
  const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]);
  expect(header).toMatchObject({ dialect: 'postgres', revision: want.revision, includesEvents: true });
  const load = Bun.spawn([process.execPath, main, 'import', '--data-dir', target], { stdin: Bun.file(file), stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ORLOJ_SECRET_ENCRYPTION_KEY: source.key } });
  const err = await new Response(load.stderr).text();
  expect(err).toContain('orrery import: imported');
  expect(await load.exited).toBe(0);
  const sqlite = openStore(target, source.key);
  try {
    expect(await contents(sqlite, source.token)).toEqual(want);
    const agents = new Registry(kinds, sqlite, systemClock).byPlural.get('agents')!;
    const written = await new Registry(kinds, sqlite, systemClock).apply(agents, { metadata: { name: 'on-sqlite' }, spec: { model_ref: 'm' } }, {});
    expect(Number(written.object.metadata.resourceVersion)).toBe(want.revision + 1);
  } finally {
    await sqlite.close();
  }
});

test('a target that holds anything is refused, and left as it was', async () => {
  const pg = await openPg(pgUrl, source.key);
  const before = await rows(pg, true);
  await pg.close();
  const again = await cli(['import', '--database-url', pgUrl, '--input', exportFile], { ORLOJ_SECRET_ENCRYPTION_KEY: source.key });
  expect(again.code).toBe(1);
  expect(again.err).toContain('orrery import: the target is not empty (meta, resources, changes, events, auth_users, api_tokens, task_records');
  expect(again.err).toContain('nothing was imported');
  const check = await openPg(pgUrl, source.key);
  expect(await rows(check, true)).toEqual(before);
  await check.close();
  // A data directory with only a user in it counts as occupied too.
  const dir = join(work, 'has-user');
  const b = openStore(dir, source.key);
  await new AuthStore(b.handle).createUser('bob', 'reader', 'x', new Date());
  await b.close();
  const refused = await cli(['import', '--data-dir', dir, '--input', exportFile], { ORLOJ_SECRET_ENCRYPTION_KEY: source.key });
  expect(refused.code).toBe(1);
  expect(refused.err).toContain('the target is not empty (auth_users hold rows)');
});

test('a key that cannot open the export is refused before anything is created', async () => {
  const url = await freshDatabase('wrongkey');
  const other = '11'.repeat(32);
  const wrong = await cli(['import', '--database-url', url, '--input', exportFile], { ORLOJ_SECRET_ENCRYPTION_KEY: other });
  expect(wrong.code).toBe(1);
  expect(wrong.err).toContain('the secret encryption key from ORLOJ_SECRET_ENCRYPTION_KEY is not the key of the exported database');
  expect(wrong.err).not.toContain(other);
  expect(await tableCount(url)).toBe(0);
  const none = await cli(['import', '--database-url', url, '--input', exportFile]);
  expect(none.err).toContain('set ORLOJ_SECRET_ENCRYPTION_KEY to the secret encryption key of the exported database');
  // A data directory without the key: no key file is generated, no database created.
  const dir = join(work, 'no-key');
  const noKey = await cli(['import', '--data-dir', dir, '--input', exportFile]);
  expect(noKey.code).toBe(1);
  expect(noKey.err).toContain(`no secret encryption key for ${dir}`);
  expect(existsSync(dir)).toBe(false);
  // The source's key file copied in is the documented way.
  mkdirSync(dir);
  writeFileSync(join(dir, 'secret-encryption.key'), `${'22'.repeat(32)}\n`, { mode: 0o600 });
  const wrongFile = await cli(['import', '--data-dir', dir, '--input', exportFile]);
  expect(wrongFile.err).toContain(`the secret encryption key from ${join(dir, 'secret-encryption.key')} is not the key of the exported database`);
  expect(readdirSync(dir)).toEqual(['secret-encryption.key']);
});

test('a truncated or damaged export commits nothing', async () => {
  const url = await freshDatabase('truncated');
  const lines = readFileSync(exportFile, 'utf8').trim().split('\n');
  const cut = join(work, 'cut.jsonl');
  writeFileSync(cut, `${lines.slice(0, -3).join('\n')}\n`);
  const env = { ORLOJ_SECRET_ENCRYPTION_KEY: source.key };
  const r = await cli(['import', '--database-url', url, '--input', cut], env);
  expect(r.code).toBe(1);
  expect(r.err).toContain('without its last line: it is truncated');
  const damaged = join(work, 'damaged.jsonl');
  writeFileSync(damaged, [...lines.slice(0, 3), '{"table":"resources","row":{"id":"x"}}', ...lines.slice(3)].join('\n'));
  const d = await cli(['import', '--database-url', url, '--input', damaged], env);
  expect(d.err).toContain('line 4 (resources): column "id" must be an integer');
  const pg = await openPg(url, source.key);
  try {
    expect(await pg.resources.currentRevision()).toBe(0);
    expect(Number((await pg.pool`SELECT count(*) AS n FROM resources`)[0].n)).toBe(0);
  } finally {
    await pg.close();
  }
  // Only a regular file is replaced by rename; a symlink (like a device) is written through.
  const real = join(work, 'real.jsonl');
  writeFileSync(real, '');
  symlinkSync(real, join(work, 'link.jsonl'));
  expect((await cli(['export', '--data-dir', source.dir, '--output', join(work, 'link.jsonl')])).code).toBe(0);
  expect(lstatSync(join(work, 'link.jsonl')).isSymbolicLink()).toBe(true);
  expect(readFileSync(real, 'utf8').split('\n')[0]).toContain('"format":"orrery-export"');
  const usage = await cli(['export', '--data-dir', join(work, 'nowhere')]);
  expect([usage.code, usage.err]).toEqual([1, `orrery export: there is no database at ${join(work, 'nowhere', 'orrery.db')} (--data-dir)\n`]);
  expect(existsSync(join(work, 'nowhere'))).toBe(false);
});
