// Baseline for the CRUD benchmark: bare Bun.serve + bun:sqlite (WAL, synchronous=NORMAL), no
// framework, doing Orrery's agent CRUD as directly as possible. Usage: --data-dir DIR [--port N]
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
};
const dataDir = arg('data-dir', './baseline-data');
mkdirSync(dataDir, { recursive: true });

const db = new Database(join(dataDir, 'baseline.db'), { create: true, strict: true });
db.exec('PRAGMA busy_timeout = 5000');
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS objects (
  ns TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (ns, name))`);

const selVersion = db.query<{ version: number }, [string, string]>('SELECT version FROM objects WHERE ns = ? AND name = ?');
const selBody = db.query<{ body: string }, [string, string]>('SELECT body FROM objects WHERE ns = ? AND name = ?');
const upsert = db.query(
  'INSERT INTO objects (ns, name, version, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns, name) DO UPDATE SET version = ?3, body = ?4',
);
const update = db.query('UPDATE objects SET version = ?, body = ? WHERE ns = ? AND name = ? AND version = ?');
const list = db.query<{ name: string; body: string }, [string, string, number]>(
  'SELECT name, body FROM objects WHERE ns = ? AND name > ? ORDER BY ns, name LIMIT ?',
);

const JSON_HEADERS = { 'content-type': 'application/json' };
const reply = (body: string, status = 200, version?: number) =>
  new Response(body, { status, headers: version === undefined ? JSON_HEADERS : { ...JSON_HEADERS, etag: `"${version}"` } });
const problem = (status: number, message: string) => reply(JSON.stringify({ kind: 'Status', code: status, message }), status);

type Manifest = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; [k: string]: unknown }; spec?: unknown };

async function readManifest(req: Request): Promise<Manifest | Response> {
  let m: Manifest;
  try {
    m = (await req.json()) as Manifest;
  } catch {
    return problem(400, 'body is not JSON');
  }
  if (!m || typeof m !== 'object' || typeof m.metadata?.name !== 'string' || typeof m.spec !== 'object') {
    return problem(400, 'metadata.name and spec are required');
  }
  return m;
}

/** POST: insert or replace in one IMMEDIATE transaction (one commit), version + 1. */
const applyTx = db.transaction((ns: string, name: string, m: Manifest) => {
  const version = (selVersion.get(ns, name)?.version ?? 0) + 1;
  const body = JSON.stringify({ ...m, metadata: { ...m.metadata, namespace: ns, resourceVersion: String(version) } });
  upsert.run(ns, name, version, body);
  return { version, body, created: version === 1 };
});

async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  if (path === '/healthz') return reply('{"status":"ok"}');
  if (!path.startsWith('/v1/agents')) return problem(404, 'not found');
  const ns = url.searchParams.get('namespace') || 'default';
  const name = path.length > '/v1/agents/'.length ? decodeURIComponent(path.slice('/v1/agents/'.length)) : '';
  if (!name) {
    if (req.method === 'POST') {
      const m = await readManifest(req);
      if (m instanceof Response) return m;
      const r = applyTx.immediate(ns, m.metadata!.name as string, m);
      return reply(r.body, r.created ? 201 : 200, r.version);
    }
    if (req.method === 'GET') {
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit')) || 1000, 1), 1000);
      const after = url.searchParams.get('after') ?? '';
      const afterName = after.includes('/') ? after.slice(after.indexOf('/') + 1) : after;
      const rows = list.all(ns, afterName, limit + 1);
      const page = rows.slice(0, limit);
      const more = rows.length > limit ? `,"continue":${JSON.stringify(`${ns}/${page[page.length - 1].name}`)}` : '';
      return reply(`{"apiVersion":"orloj.dev/v1","kind":"AgentList","items":[${page.map((r) => r.body).join(',')}]${more}}`);
    }
    return problem(405, 'method not allowed');
  }
  if (req.method === 'GET') {
    const row = selBody.get(ns, name);
    return row ? reply(row.body) : problem(404, `agent ${name} not found`);
  }
  if (req.method === 'PUT') {
    const ifMatch = req.headers.get('if-match')?.replace(/^W\//i, '').replace(/"/g, '').trim();
    if (!ifMatch) return problem(428, 'If-Match is required');
    const expected = Number(ifMatch);
    const m = await readManifest(req);
    if (m instanceof Response) return m;
    const version = expected + 1;
    const body = JSON.stringify({ ...m, metadata: { ...m.metadata, name, namespace: ns, resourceVersion: String(version) } });
    // One statement in autocommit mode: the version check and the write are one commit.
    const res = update.run(version, body, ns, name, expected);
    if (res.changes === 1) return reply(body, 200, version);
    return selVersion.get(ns, name) ? problem(409, 'stale version') : problem(404, `agent ${name} not found`);
  }
  return problem(405, 'method not allowed');
}

const server = Bun.serve({ hostname: '127.0.0.1', port: Number(arg('port', '0')), fetch: handle });
process.stderr.write(`baseline listening url="http://127.0.0.1:${server.port}"\n`);

const shutdown = () => {
  void server.stop(false).then(() => {
    db.close();
    process.exit(0);
  });
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
