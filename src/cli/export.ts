// `orrery export`: every object and the other state of a data directory or a PostgreSQL database as
// JSON Lines (src/store/dump-format.ts), streamed a page at a time from one consistent snapshot, for
// `orrery import` into another one (SQLite → PostgreSQL, or back). Nothing is decrypted: Secret
// values stay encrypted with the source's key, which the import must be given.
import { createWriteStream, existsSync, lstatSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { openDatabase } from '../store/database';
import { exportSqlite } from '../store/dump';
import type { DumpHeader, Progress } from '../store/dump-format';
import { DB_FILE } from '../store/open-store';
import { connectPg } from '../store/pg/connect';
import { exportPg } from '../store/pg/dump';
import { requireMigrated } from '../store/pg/migrate';
import { PgResourceStore } from '../store/pg/resource-store';
import { flagHelp, parseBool, type FlagSpec } from './flags';
import { boolFlag, failure, parseVerbFlags, usageError, WHERE_FLAGS } from './migrate';
import { storeConfig, storeLocation } from './store-config';

const EXPORT_FLAGS: FlagSpec[] = [
  { ...WHERE_FLAGS[0], description: 'Data directory to export (unused with --database-url)' },
  WHERE_FLAGS[1],
  { name: 'output', description: 'File to write (mode 0600; a regular file appears whole or not at all), or - for standard output', default: '-' },
  boolFlag('include-events', 'Also export the event log (GET /v1/events); by default only its newest event, so ids continue after an import'),
];

export function exportHelp(): string {
  return `Usage: orrery export [--data-dir DIR | --database-url URL] [--output FILE|-] [--include-events]

Writes everything stored in a data directory or a PostgreSQL database as JSON Lines, for
\`orrery import\` into an empty one (SQLite to PostgreSQL or back): every object with its status,
users and API tokens (as hashes), memory entries with their embeddings, task records and step
journals, task and agent logs, webhook dedupe rows, the sealing key, and the current revision.
Login sessions are left out (users log in again). The change log is not exported: watchers resume
with a fresh list after the import. Events only with --include-events.

Secret values stay encrypted exactly as stored: the import needs the same secret encryption key
(ORLOJ_SECRET_ENCRYPTION_KEY, or the data directory's secret-encryption.key). The file holds
password hashes and encrypted secrets: keep it as safe as the database.

The export reads one snapshot: servers may keep running and writing meanwhile. Progress goes to
standard error.

Flags:
${flagHelp(EXPORT_FLAGS)}
`;
}

export async function exportCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(exportHelp());
    return 0;
  }
  let values: Record<string, string>;
  try {
    values = parseVerbFlags(args, EXPORT_FLAGS, env);
    if (!values.output) throw new Error('--output (ORLOJ_OUTPUT) must name a file, or - for standard output');
    if (values.output !== '-' && !existsSync(dirname(values.output))) throw new Error(`--output (ORLOJ_OUTPUT): the directory ${dirname(values.output)} does not exist`);
  } catch (e) {
    return usageError('export', e);
  }
  const store = storeConfig(values, env);
  const where = Object.values(storeLocation(store))[0];
  const file = values.output === '-' ? undefined : values.output;
  const temp = file && replaceable(file) ? `${file}.partial-${process.pid}` : undefined;
  try {
    const out = lineSink(file ? createWriteStream(temp ?? file, { mode: 0o600 }) : process.stdout, !file);
    const opts = { includeEvents: parseBool(values['include-events']), write: out.write, progress: progressReporter('export', env) };
    const header = store.databaseUrl ? await fromPg(store.databaseUrl, opts) : await fromSqlite(store.dataDir, opts);
    await out.end();
    if (file && temp) renameSync(temp, file);
    const rows = Object.values(header.counts).reduce((a, b) => a + b, 0);
    process.stderr.write(`orrery export: wrote ${rows} rows at revision ${header.revision} from ${where} to ${file ?? 'standard output'} (${countsText(header.counts)})\n`);
    return 0;
  } catch (e) {
    if (temp) rmSync(temp, { force: true });
    return failure('export', e, store.databaseUrl);
  }
}

type Opts = Parameters<typeof exportSqlite>[1];

async function fromSqlite(dataDir: string, opts: Opts): Promise<DumpHeader> {
  const path = join(dataDir, DB_FILE);
  // Opening would create an empty database: a wrong --data-dir must not export nothing, successfully.
  if (!existsSync(path)) throw new Error(`there is no database at ${path} (--data-dir)`);
  // migrate off: an export never changes the source's schema (PendingMigrationsError names `orrery migrate`).
  const handle = openDatabase(path, { migrate: false });
  try {
    return await exportSqlite(handle, opts);
  } finally {
    handle.close();
  }
}

async function fromPg(url: string, opts: Opts): Promise<DumpHeader> {
  const conn = await connectPg(url, { max: 2, applicationName: 'orrery export' });
  try {
    await requireMigrated(conn.sql);
    return await exportPg(new PgResourceStore(conn.sql), opts);
  } finally {
    await conn.close();
  }
}

/**
 * A new or regular file is written beside itself and renamed into place at the end, so it is whole
 * or absent; anything else (a device such as /dev/null, a FIFO, a symlink) is written in place,
 * since a rename would replace it.
 */
function replaceable(file: string): boolean {
  try {
    return lstatSync(file).isFile();
  } catch {
    return true;
  }
}

/** "resources 12, auth_users 1, …": the tables that have rows. */
export const countsText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ') || 'no rows';

/**
 * A line on standard error at most once a second while rows move, so a long export or import shows
 * it is alive. ORRERY_TEST_PROGRESS_MS overrides the interval (tests).
 */
export function progressReporter(verb: string, env: Record<string, string | undefined>): (p: Progress) => void {
  const every = Number(env.ORRERY_TEST_PROGRESS_MS ?? 1000);
  let last = Date.now();
  return (p) => {
    if (Date.now() - last < every) return;
    last = Date.now();
    const pct = p.total ? ` (${Math.floor((100 * p.done) / p.total)}%)` : '';
    process.stderr.write(`orrery ${verb}: ${p.done} of ${p.total} rows${pct}, at ${p.table}\n`);
  };
}

/**
 * Lines gathered into chunks of about 256 KiB and written with back-pressure: the export waits
 * while the file or pipe is behind, so memory stays bounded. Standard output is not closed.
 */
function lineSink(stream: Writable, keepOpen: boolean): { write(line: string): Promise<void> | void; end(): Promise<void> } {
  let failed: Error | undefined;
  stream.on('error', (e) => (failed ??= e));
  let chunk = '';
  const flush = async () => {
    if (failed) throw failed;
    if (!chunk) return;
    const text = chunk;
    chunk = '';
    if (!stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done).off('error', done);
          resolve();
        };
        stream.on('drain', done).on('error', done);
      });
    }
    if (failed) throw failed;
  };
  return {
    write(line) {
      chunk += line;
      if (chunk.length >= 256 * 1024) return flush();
    },
    async end() {
      await flush();
      if (keepOpen) return;
      await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ?? failed ? reject(e ?? failed) : resolve())));
    },
  };
}
