// Starting `orrery serve` and `orrery worker` as real processes: a busy address fails before
// anything is written to disk; a data directory served by a running server, or a worker id in use
// on it, is refused (a crashed process's is not).
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_WORKER, startServer, startWorker } from '../support/server-process';

const work = mkdtempSync(join(tmpdir(), 'orrery-start-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const main = join(import.meta.dir, '../../src/main.ts');
const serve = (...args: string[]) =>
  Bun.spawn([process.execPath, main, 'serve', ...args], { cwd: work, stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '', ...NO_WORKER.env } });

test('a busy address is named, and nothing is created on disk', async () => {
  const busy = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('taken') });
  try {
    const dataDir = join(work, 'never-created');
    const proc = serve('--addr', `127.0.0.1:${busy.port}`, '--data-dir', dataDir);
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain(
      `cannot start: cannot listen on 127.0.0.1:${busy.port} (--addr): the address is already in use (another orrery server, or another program): pick another port with --addr`,
    );
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    void busy.stop(true); // Bun's stop promise, not waited for (as before)
  }
});

test('a second server on a served data directory is refused; after a crash the directory is free', async () => {
  const dataDir = join(work, 'shared-dir');
  const first = await startServer(dataDir, NO_WORKER);
  const second = serve('--addr', '127.0.0.1:0', '--data-dir', dataDir);
  expect(await second.exited).toBe(1);
  const message = await new Response(second.stderr).text();
  expect(message).toContain(`cannot start: data directory ${dataDir} is already served by another orrery server (pid ${first.proc.pid})`);
  expect(message).toContain(`orrery worker --data-dir ${dataDir}`);
  // The first server is untouched: still serving, and the refused start wrote nothing.
  expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
  expect(readdirSync(dataDir).sort()).toEqual(['locks', 'orrery.db', 'orrery.db-shm', 'orrery.db-wal', 'reserve', 'secret-encryption.key']);
  expect(readdirSync(join(dataDir, 'locks')).sort()).toEqual(['serve.lock', 'serve.pid']);
  // The operating system drops the lock with the process: no stale lock after kill -9.
  first.proc.kill('SIGKILL');
  await first.proc.exited;
  const third = await startServer(dataDir, NO_WORKER);
  expect((await fetch(`${third.url}/readyz`)).status).toBe(200);
  third.proc.kill('SIGTERM');
  expect(await third.proc.exited).toBe(0);
});

test('a worker id is held by one process at a time, the embedded worker\'s included', async () => {
  const dataDir = join(work, 'worker-ids');
  const server = await startServer(dataDir);
  const first = startWorker(dataDir, 'w1');
  try {
    for (const [id, holder] of [['embedded-worker', server.proc.pid], ['w1', first.proc.pid]] as const) {
      // The first worker may still be starting: its lock is taken before it logs anything.
      while (id === 'w1' && !first.log().includes('worker running')) await Bun.sleep(20);
      const second = startWorker(dataDir, id);
      expect(await second.proc.exited).toBe(1);
      expect(second.log()).toContain(`cannot start: worker id ${id} is already in use on ${dataDir} (pid ${holder}): give this process its own --worker-id`);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  } finally {
    first.proc.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    server.proc.kill('SIGTERM');
    expect(await server.proc.exited).toBe(0);
  }
  // Released on a clean stop: the same id starts again.
  const again = startWorker(dataDir, 'w1');
  while (!again.log().includes('worker running')) {
    expect(again.proc.exitCode).toBeNull();
    await Bun.sleep(20);
  }
  again.proc.kill('SIGTERM');
  expect(await again.proc.exited).toBe(0);
});
