// Starts `orrery serve` (from source or a compiled binary) as a real process on a free port and
// waits until /healthz answers, and `orrery worker` processes on the same data directory.
import { afterAll, beforeAll } from 'bun:test';
import type { Subprocess } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** For tests that count revisions exactly: no embedded worker writing its Worker resource. */
export const NO_WORKER = { env: { ORLOJ_EMBEDDED_WORKER: 'false' } };

export interface ServerProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  /** Everything the process wrote to stderr so far. */
  log(): string;
}

/** `args` are appended to the serve command line (`--database-url …`, engine flags). */
export async function startServer(dataDir: string, opts: { bin?: string; cwd?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<ServerProcess> {
  const cmd = opts.bin ? [opts.bin] : [process.execPath, join(import.meta.dir, '../../src/main.ts')];
  const proc = Bun.spawn([...cmd, 'serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'info', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '', ...(opts.env ?? {}) },
  });
  let text = '';
  const reader = proc.stderr.getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += new TextDecoder().decode(value);
    }
  })();
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    url = /url="([^"]+)"/.exec(text)?.[1];
    if (url) break;
    if (proc.exitCode !== null) throw new Error(`server exited early:\n${text}`);
    if (Date.now() > deadline) throw new Error(`server did not start in time:\n${text}`);
    await Bun.sleep(20);
  }
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`healthz never answered:\n${text}`);
    await Bun.sleep(20);
  }
  return { proc, url, log: () => text };
}

/**
 * Starts `orrery worker` on a data directory; its stderr is collected like the server's. `args` are
 * appended to its command line (`--database-url …`, engine flags).
 */
export function startWorker(dataDir: string, id: string, env: Record<string, string> = {}, args: string[] = []): { proc: Subprocess<'ignore', 'ignore', 'pipe'>; log(): string } {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts'), 'worker', '--data-dir', dataDir, '--worker-id', id, ...args], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let text = '';
  void (async () => {
    const reader = proc.stderr.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += new TextDecoder().decode(value);
    }
  })();
  return { proc, log: () => text };
}

/**
 * One server process for a whole test file, on a temporary data directory removed afterwards;
 * returns a getter for it (set once the file's beforeAll ran).
 */
export function serverForFile(prefix: string, opts: Parameters<typeof startServer>[1] = NO_WORKER): () => ServerProcess {
  const work = mkdtempSync(join(tmpdir(), `orrery-${prefix}-`));
  let srv: ServerProcess | undefined;
  beforeAll(async () => {
    srv = await startServer(work, opts);
  });
  afterAll(async () => {
    srv?.proc.kill('SIGTERM');
    await srv?.proc.exited;
    rmSync(work, { recursive: true, force: true });
  });
  return () => srv!;
}
