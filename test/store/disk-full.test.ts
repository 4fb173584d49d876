// A full data directory over HTTP on a real server: writes answer 507 with the Status body, /readyz
// says the database is not writable, one log line says so, DELETE still works and frees room, and
// writes and readiness come back without a restart. As root the data directory is a real 8 MiB
// tmpfs; otherwise (or when mounting fails) SQLite is capped with max_page_count by a test hook,
// so SQLite itself answers SQLITE_FULL.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDiskFull } from '../../src/store/disk-space';
import { startServer, type ServerProcess } from '../support/server-process';

const work = mkdtempSync(join(tmpdir(), 'orrery-disk-full-'));
const dataDir = join(work, 'data');
let mounted = false;
let srv: ServerProcess;

function mountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  spawnSync('mkdir', ['-p', dataDir]);
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir]).status === 0;
}

beforeAll(async () => {
  mounted = mountTmpfs();
  console.log(mounted ? `disk-full: data directory on an 8 MiB tmpfs at ${dataDir}` : 'disk-full: no tmpfs (not root or mount failed); SQLITE_FULL injected with max_page_count');
  srv = await startServer(dataDir, { env: mounted ? {} : { ORRERY_TEST_MAX_DB_PAGES: '2048' } });
});

afterAll(async () => {
  srv?.proc.kill('SIGTERM');
  await srv?.proc.exited;
  if (mounted) spawnSync('umount', [dataDir]);
  rmSync(work, { recursive: true, force: true });
});

const PROMPT_BYTES = 96 * 1024;
const agent = (name: string, bytes = PROMPT_BYTES) => JSON.stringify({ metadata: { name }, spec: { model_ref: 'm', prompt: `${name} `.padEnd(bytes, 'x') } });
const post = (name: string, bytes?: number) => fetch(`${srv.url}/v1/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: agent(name, bytes) });
const readyz = async () => {
  const r = await fetch(`${srv.url}/readyz`);
  return { status: r.status, body: await r.json() };
};
const count = (text: string, needle: string) => text.split(needle).length - 1;

const FULL_LINE = 'WARN  data directory is full: writes answer 507 Insufficient Storage until space is freed; deletes still work';
const ROOM_LINE = 'INFO  data directory has room again: writes accepted';

test('a full disk answers 507, is not ready, frees room through DELETE and recovers without a restart', async () => {
  expect((await readyz()).status).toBe(200);
  const fullStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code: 507,
    reason: 'InsufficientStorage',
    message: `the data directory ${dataDir} is full: delete objects or free disk space there, then retry`,
  };

  // Fill: every write is 201 until the first 507.
  const stored: string[] = [];
  let first: Response | undefined;
  for (let i = 0; i < 500 && !first; i++) {
    const name = `a${String(i).padStart(3, '0')}`;
    const r = await post(name);
    if (r.status === 201) stored.push(name);
    else first = r;
  }
  expect(first?.status).toBe(507);
  expect(await first!.json()).toEqual(fullStatus);
  expect(stored.length).toBeGreaterThan(3);

  // Still full: other writes (a small one too) are refused the same way, and not ready.
  const again = await post('small', 100);
  expect(again.status).toBe(507);
  expect(await again.json()).toEqual(fullStatus);
  const got = await fetch(`${srv.url}/v1/agents/${stored[0]}`);
  const status = await fetch(`${srv.url}/v1/agents/${stored[0]}/status`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'if-match': got.headers.get('etag')! },
    body: JSON.stringify({ status: { phase: 'Ready' } }),
  });
  expect(status.status).toBe(507);
  expect(await status.json()).toEqual(fullStatus);
  expect(await readyz()).toEqual({
    status: 503,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: `not ready: database not writable: the data directory ${dataDir} is full` },
  });
  expect(count(srv.log(), FULL_LINE)).toBe(1);
  expect(srv.log()).not.toContain(' ERROR ');

  // Deletes work while full, and free room: a new write of the same size is accepted again.
  for (const name of stored.slice(0, 3)) {
    const d = await fetch(`${srv.url}/v1/agents/${name}`, { method: 'DELETE' });
    expect(d.status).toBe(200);
    expect(((await d.json()) as any).metadata.name).toBe(name);
  }
  const after = await post('after');
  expect(after.status).toBe(201);
  expect((await readyz()).status).toBe(200);
  expect((await fetch(`${srv.url}/v1/agents/after`)).status).toBe(200);
  expect(count(srv.log(), FULL_LINE)).toBe(1);
  expect(count(srv.log(), ROOM_LINE)).toBe(1);
  expect(srv.log()).not.toContain(' ERROR ');
});

test('which driver errors mean a full disk', () => {
  expect(isDiskFull({ code: 'SQLITE_FULL', errno: 13 })).toBe(true);
  expect(isDiskFull({ code: 'ENOSPC', errno: -28 })).toBe(true);
  // An I/O error is a full disk only when the data directory's file system has (almost) no room.
  expect(isDiskFull({ code: 'SQLITE_IOERR_WRITE', errno: 778 }, work)).toBe(false);
  expect(isDiskFull({ code: 'SQLITE_IOERR_WRITE', errno: 778 })).toBe(false);
  expect(isDiskFull({ code: 'SQLITE_CONSTRAINT_UNIQUE', errno: 2067 }, work)).toBe(false);
  expect(isDiskFull(new Error('database or disk is full'))).toBe(false);
});
