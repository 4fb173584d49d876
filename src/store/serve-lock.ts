// One server per data directory: an exclusive SQLite lock on <data-dir>/serve.lock, held for the
// server's life. The operating system drops it when the process dies, so a crash leaves no stale
// lock behind; `orrery worker` processes do not take it and share the directory as before.
import { Database } from 'bun:sqlite';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'serve.lock';
const PID_FILE = 'serve.pid';

export class DataDirLocked extends Error {}

export interface ServeLock {
  release(): void;
}

/** Takes the lock or throws DataDirLocked naming the process that holds it. */
export function lockDataDir(dataDir: string): ServeLock {
  const db = new Database(join(dataDir, LOCK_FILE), { create: true });
  try {
    db.exec('PRAGMA busy_timeout = 0');
    db.exec('PRAGMA journal_mode = MEMORY'); // no -journal file beside it: the lock is all it is for
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    const holder = readHolder(dataDir);
    throw new DataDirLocked(
      `data directory ${dataDir} is already served by another orrery server${holder ? ` (${holder})` : ''}: stop it first, ` +
        `give this one its own --data-dir, or add a worker to it with \`orrery worker --data-dir ${dataDir}\``,
    );
  }
  // Only for the message above; the lock itself is what keeps a second server out.
  writeFileSync(join(dataDir, PID_FILE), `pid ${process.pid}\n`);
  return {
    release() {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

function readHolder(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, PID_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
