// Opens everything persistent in a data directory: the database (migrated), the resource store
// and the secret cipher, refusing to start when the key cannot open data written earlier.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type OpenDatabase } from './database';
import { KeyError, SecretCipher } from './secret-cipher';
import { sqliteBackend, type SqliteBackend } from './sqlite-backend';

/** An open data directory: the SQLite backend with its handle. */
export type PersistentStore = SqliteBackend;

export const DB_FILE = 'orrery.db';

export function openStore(dataDir: string, envKey: string | undefined, opts: { migrate?: boolean } = {}): PersistentStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { cipher, source } = SecretCipher.load(dataDir, envKey);
  const handle = openDatabase(join(dataDir, DB_FILE), opts);
  try {
    checkKey(handle, cipher, source);
  } catch (e) {
    handle.close();
    throw e;
  }
  return sqliteBackend(handle, cipher, source);
}

/** The first start stores a check value; later starts must be able to open it. */
function checkKey(handle: OpenDatabase, cipher: SecretCipher, source: string): void {
  const row = handle.sqlite.query<{ value: string }, []>("SELECT value FROM meta WHERE key = 'secret_key_check'").get();
  if (!row) {
    handle.sqlite.query("INSERT OR IGNORE INTO meta (key, value) VALUES ('secret_key_check', ?)").run(cipher.checkValue());
    return;
  }
  if (!cipher.verify(row.value)) {
    throw new KeyError(
      `the secret encryption key from ${source} is not the key this database was written with; ` +
        'start with the original ORLOJ_SECRET_ENCRYPTION_KEY or restore the original secret-encryption.key file',
    );
  }
}
