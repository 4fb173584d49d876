// `orrery import`: loads an `orrery export` file into an empty data directory or PostgreSQL
// database, in one transaction. The target's secret key must open the export's secret_key_check
// (checked before anything is created or written), so no Secret arrives that could not be read.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { importSqlite } from '../store/dump';
import { parseHeader, type DumpHeader } from '../store/dump-format';
import { importPg } from '../store/pg/dump';
import { lockDataDir, type ProcessLock } from '../store/process-locks';
import { SecretCipher } from '../store/secret-cipher';
import { countsText, progressReporter } from './export';
import { flagHelp, type FlagSpec } from './flags';
import { failure, parseVerbFlags, usageError, WHERE_FLAGS } from './migrate';
import { DATABASE_FLAGS, openConfiguredStore, storeConfig, storeLocation, type Backend, type StoreConfig } from './store-config';

/** The key file SecretCipher.load reads (and would generate) in a data directory. */
const KEY_FILE = 'secret-encryption.key';

const IMPORT_FLAGS: FlagSpec[] = [
  { ...WHERE_FLAGS[0], description: 'Data directory to import into: new, or without objects (unused with --database-url)' },
  WHERE_FLAGS[1],
  { name: 'input', description: 'Export file to read, or - for standard input', default: '-' },
  DATABASE_FLAGS.find((f) => f.name === 'migrate')!,
];

export function importHelp(): string {
  return `Usage: orrery import [--data-dir DIR | --database-url URL] [--input FILE|-]

Loads a file written by \`orrery export\` into an EMPTY data directory or PostgreSQL database (a
target that holds any object, user, token or other state is refused). Everything is written in one
transaction: if anything fails (a bad or truncated file, the database), nothing is kept. New writes
continue after the export's revision; watchers of the old server list again.

The target must use the export's secret encryption key, since Secret values arrive encrypted:
ORLOJ_SECRET_ENCRYPTION_KEY (required with --database-url), or with --data-dir the same variable
or the source's secret-encryption.key copied into the directory. A key that cannot open the
export's key check is refused before anything is created.

Stop the servers of the target first (a served data directory is refused). Progress goes to
standard error.

Flags:
${flagHelp(IMPORT_FLAGS)}
`;
}

export async function importCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(importHelp());
    return 0;
  }
  let values: Record<string, string>;
  try {
    values = parseVerbFlags(args, IMPORT_FLAGS, env);
    if (!values.input) throw new Error('--input (ORLOJ_INPUT) must name a file, or - for standard input');
  } catch (e) {
    return usageError('import', e);
  }
  const store = storeConfig(values, env);
  const where = Object.values(storeLocation(store))[0];
  let lock: ProcessLock | undefined;
  let backend: Backend | undefined;
  try {
    if (values.input !== '-' && !existsSync(values.input)) throw new Error(`there is no file ${values.input} (--input)`);
    const lines = readLines(values.input === '-' ? Bun.stdin.stream() : Bun.file(values.input).stream());
    const first = await lines.next();
    const header = parseHeader(first.done ? undefined : first.value);
    checkKey(store, header);
    // One process on a data directory at a time: a running server would not see the import.
    if (!store.databaseUrl) lock = lockDataDir(store.dataDir);
    backend = await openConfiguredStore({ ...store, poolSize: 2 }, 'orrery import');
    const rest = { [Symbol.asyncIterator]: () => lines };
    const progress = progressReporter('import', env);
    const counts = backend.dialect === 'postgres' ? await importPg(backend.pg, header, rest, progress) : await importSqlite(backend.handle, header, rest, progress);
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    const events = header.includesEvents ? '' : '; events were not exported';
    process.stderr.write(`orrery import: imported ${rows} rows at revision ${header.revision} (exported from ${header.dialect} at ${header.exportedAt}) into ${where} (${countsText(counts)})${events}\n`);
    return 0;
  } catch (e) {
    return failure('import', e, store.databaseUrl);
  } finally {
    await backend?.close();
    lock?.release();
  }
}

/** Refuses, before the target is opened, a key that cannot open the export's secret_key_check. */
function checkKey(store: StoreConfig, header: DumpHeader): void {
  const envKey = store.secretKey?.trim() ? store.secretKey : undefined;
  if (store.databaseUrl && !envKey) {
    throw new Error('with --database-url, set ORLOJ_SECRET_ENCRYPTION_KEY to the secret encryption key of the exported database (its Secrets arrive encrypted with it)');
  }
  // SecretCipher.load would generate a key file, which could never be the export's key.
  if (!envKey && !existsSync(join(store.dataDir, KEY_FILE))) {
    throw new Error(
      `no secret encryption key for ${store.dataDir}: set ORLOJ_SECRET_ENCRYPTION_KEY to the exported database's key, or copy its ${KEY_FILE} into ${store.dataDir}; nothing was imported`,
    );
  }
  const { cipher, source } = SecretCipher.load(store.dataDir, envKey);
  if (!cipher.verify(header.secretKeyCheck)) {
    throw new Error(
      `the secret encryption key from ${source} is not the key of the exported database (it cannot open the export's secret_key_check); ` +
        'use the source database\'s ORLOJ_SECRET_ENCRYPTION_KEY or its secret-encryption.key file; nothing was imported',
    );
  }
}

/** The stream's lines without their newline, read a chunk at a time as the caller asks for them. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      // Only the new text is searched: a line of megabytes arrives in many chunks.
      let from = pending.length;
      pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let at: number;
      let start = 0;
      while ((at = pending.indexOf('\n', from)) >= 0) {
        yield pending.slice(start, at).replace(/\r$/, '');
        start = from = at + 1;
      }
      pending = pending.slice(start);
      if (done) break;
    }
    if (pending) yield pending;
  } finally {
    reader.releaseLock();
  }
}
