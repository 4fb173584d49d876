// A leader lease on PostgreSQL: the same calls and row as src/store/leader-lease.ts (key
// `lease:<name>` in `meta`, value {holder, expiresAt, version}). Taking or renewing it is one
// UPDATE that names the lease exactly as read; of two servers racing for an expired lease the
// second waits for the first's row lock, re-checks the row, finds it changed and updates nothing.
import type { Clock } from '../../util/time';
import { parseLease, type LeaderLease, type LeaseValue } from '../leader-lease';
import type { PgResourceStore } from './resource-store';

export class PgLeaderLease implements Pick<LeaderLease, 'holder' | 'ttlMs' | 'current' | 'acquire' | 'release'> {
  private readonly key: string;

  constructor(
    private readonly store: PgResourceStore,
    name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    this.key = `lease:${name}`;
  }

  /** The lease as stored, or undefined when nobody has held it. */
  async current(): Promise<LeaseValue | undefined> {
    const [row] = await this.store.sql`SELECT value FROM meta WHERE key = ${this.key}`;
    return row ? parseLease(row.value as string) : undefined;
  }

  /**
   * Takes the lease when it is free or expired, renews it when this holder has it; true when this
   * holder is the leader until now + ttl.
   */
  async acquire(): Promise<boolean> {
    const now = this.clock.now().getTime();
    const cur = await this.current();
    const next: LeaseValue = { holder: this.holder, expiresAt: now + this.ttlMs, version: (cur?.version ?? 0) + 1 };
    if (!cur) {
      const won = await this.store.sql`INSERT INTO meta (key, value) VALUES (${this.key}, ${JSON.stringify(next)}) ON CONFLICT (key) DO NOTHING RETURNING key`;
      return won.length === 1;
    }
    if (cur.holder !== this.holder && cur.expiresAt > now) return false;
    return this.replace(next, { version: cur.version, holder: cur.holder, expiresAt: cur.expiresAt });
  }

  /** Gives the lease up (when held) so another process takes over without waiting for expiry. */
  async release(): Promise<void> {
    const cur = await this.current();
    if (!cur || cur.holder !== this.holder) return;
    await this.replace({ holder: '', expiresAt: 0, version: cur.version + 1 }, { version: cur.version, holder: cur.holder });
  }

  /**
   * Writes `next` only while the stored lease still has the fields of `seen` (jsonb containment:
   * numbers compare by value, so the check does not depend on how the JSON was spelled). The
   * parameter is cast through text: Bun's driver would encode a string sent as jsonb as a JSON string.
   */
  private async replace(next: LeaseValue, seen: Partial<LeaseValue>): Promise<boolean> {
    const done = await this.store.sql`
      UPDATE meta SET value = ${JSON.stringify(next)}
      WHERE key = ${this.key} AND value::jsonb @> ${JSON.stringify(seen)}::text::jsonb RETURNING key`;
    return done.length === 1;
  }
}
