// A leader lease in the `meta` key/value table: one row per lease (key `lease:<name>`) holding the
// holder id, its expiry and a version. Taking or renewing it is one UPDATE that names the version
// it read, so of two processes racing for an expired lease exactly one wins.
import type { Database } from 'bun:sqlite';
import type { Clock } from '../util/time';

export interface LeaseValue {
  holder: string;
  expiresAt: number;
  version: number;
}

/** A stored lease value; an unreadable one counts as free (version 0), so it can be taken over. */
export function parseLease(value: string): LeaseValue {
  try {
    return JSON.parse(value) as LeaseValue;
  } catch {
    return { holder: '', expiresAt: 0, version: 0 };
  }
}

export class LeaderLease {
  private readonly key: string;

  constructor(
    private readonly sqlite: Database,
    name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    this.key = `lease:${name}`;
  }

  /** The lease as stored, or undefined when nobody has held it. */
  async current(): Promise<LeaseValue | undefined> {
    const row = this.sqlite.query<{ value: string }, [string]>('SELECT value FROM meta WHERE key = ?').get(this.key);
    return row ? parseLease(row.value) : undefined;
  }

  /**
   * Takes the lease when it is free or expired, renews it when this holder has it; true when this
   * holder is the leader until now + ttl. Never waits: a busy database counts as not leading.
   */
  async acquire(): Promise<boolean> {
    const now = this.clock.now().getTime();
    try {
      const cur = await this.current();
      const next: LeaseValue = { holder: this.holder, expiresAt: now + this.ttlMs, version: (cur?.version ?? 0) + 1 };
      if (!cur) {
        return this.sqlite.query('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(this.key, JSON.stringify(next)).changes === 1;
      }
      if (cur.holder !== this.holder && cur.expiresAt > now) return false;
      // Version- and expiry-checked: only the row exactly as read is replaced.
      const res = this.sqlite
        .query("UPDATE meta SET value = ? WHERE key = ? AND json_extract(value, '$.version') = ? AND json_extract(value, '$.holder') = ? AND json_extract(value, '$.expiresAt') = ?")
        .run(JSON.stringify(next), this.key, cur.version, cur.holder, cur.expiresAt);
      return res.changes === 1;
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
      throw e;
    }
  }

  /** Gives the lease up (when held) so another process takes over without waiting for expiry. */
  async release(): Promise<void> {
    const cur = await this.current();
    if (!cur || cur.holder !== this.holder) return;
    this.sqlite
      .query("UPDATE meta SET value = ? WHERE key = ? AND json_extract(value, '$.version') = ? AND json_extract(value, '$.holder') = ?")
      .run(JSON.stringify({ holder: '', expiresAt: 0, version: cur.version + 1 }), this.key, cur.version, cur.holder);
  }
}
