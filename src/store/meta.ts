// Store-wide settings in the meta key/value table (the secret key check, the sealing keypair).
import type { OpenDatabase } from './database';

export class MetaStore {
  constructor(private readonly handle: OpenDatabase) {}

  async get(key: string): Promise<string | undefined> {
    return this.handle.sqlite.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  }

  /** Stores the value unless the key holds one already; true when this call stored it. */
  async putIfAbsent(key: string, value: string): Promise<boolean> {
    return this.handle.sqlite.query('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(key, value).changes === 1;
  }
}
