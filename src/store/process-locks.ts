// Who may run on a data directory: one server, and one process per worker id. Each is an exclusive
// SQLite lock on a file under <data-dir>/locks/, held for the process's life; the operating system
// drops it when the process ends, so a crash leaves no stale lock behind.
import { Database } from 'bun:sqlite';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCKS_DIR = 'locks';

export class LockHeld extends Error {}

export interface ProcessLock {
  release(): void;
}

/** Takes the server's lock, or throws LockHeld naming the process that holds it. */
export function lockDataDir(dataDir: string): ProcessLock {
  return take(dataDir, 'serve', (holder) =>
    `data directory ${dataDir} is already served by another orrery server${holder}: stop it first, ` +
    `give this one its own --data-dir, or add a worker to it with \`orrery worker --data-dir ${dataDir}\``,
  );
}

/** Takes a worker id on the data directory, or throws LockHeld naming the process that has it. */
export function lockWorkerId(dataDir: string, workerId: string): ProcessLock {
  return take(dataDir, `worker-${workerId}`, (holder) => `worker id ${workerId} is already in use on ${dataDir}${holder}: give this process its own --worker-id`);
}

function take(dataDir: string, name: string, message: (holder: string) => string): ProcessLock {
  const dir = join(dataDir, LOCKS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, `${name}.lock`), { create: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA journal_mode = MEMORY'); // no -journal file beside it: the lock is all it is for
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    const holder = readHolder(join(dir, `${name}.pid`));
    throw new LockHeld(message(holder ? ` (${holder})` : ''));
  }
  // Only for the message above; the lock itself is what keeps a second process out.
  writeFileSync(join(dir, `${name}.pid`), `pid ${process.pid}\n`);
  return {
    release() {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function readHolder(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
