// The PostgreSQL backend: one database shared by any number of `orrery serve` and `orrery worker`
// processes on any machines. Opening it connects, applies the embedded migrations (or, with
// migrate off, refuses to start while some are pending) and proves the secret key is the one the
// database was written with.
import type { SQL } from 'bun';
import type { StoreBackend } from '../backend';
import { KeyError, SecretCipher } from '../secret-cipher';
import { PgChangeLog } from './change-log';
import { connectPg } from './connect';
import { PgEventLog } from './event-log';
import { PgLeaderLease } from './leader-lease';
import { PgMemoryEntryStore } from './memory-entries';
import { applyPgMigrations, migrationsPending, requireMigrated } from './migrate';
import { PgObjectLogs } from './object-logs';
import { CHANGES_CHANNEL, PgResourceStore } from './resource-store';
import { PgTaskJournalStore } from './task-journal';
import { PgTaskRecordStore } from './task-records';
import { PgWebhookDedupeStore } from './webhook-dedupe';

export interface PgBackend extends StoreBackend {
  readonly dialect: 'postgres';
  readonly pg: PgResourceStore;
  readonly pool: SQL;
  /** Calls `wake` whenever any server commits a change or an event (LISTEN); resolves to a stop function. */
  onCommitAnywhere(wake: () => void): Promise<() => Promise<void>>;
}

export interface PgBackendOptions {
  /** ORLOJ_SECRET_ENCRYPTION_KEY: every server and worker on the database must use the same key. */
  secretKey: string | undefined;
  /** Apply pending migrations (default); false refuses to start while any is pending. */
  migrate?: boolean;
  /** Connections in the pool. */
  poolSize?: number;
  applicationName?: string;
}

export async function openPgBackend(url: string, opts: PgBackendOptions): Promise<PgBackend> {
  if (!opts.secretKey?.trim()) {
    throw new KeyError(
      'with --database-url, set ORLOJ_SECRET_ENCRYPTION_KEY (64 hex characters or base64 of 32 bytes; for example from `openssl rand -hex 32`): every server and worker on the database must use the same key',
    );
  }
  const cipher = SecretCipher.load('', opts.secretKey).cipher;
  const conn = await connectPg(url, { max: opts.poolSize ?? 20, applicationName: opts.applicationName });
  try {
    if (opts.migrate === false) await requireMigrated(conn.sql);
    else await applyPgMigrations(conn.sql);
    const pg = new PgResourceStore(conn.sql);
    await checkKey(pg, cipher);
    return pgBackend(pg, cipher, conn.redactedUrl, () => conn.close());
  } catch (e) {
    await conn.close().catch(() => {});
    throw e;
  }
}

export function pgBackend(pg: PgResourceStore, cipher: SecretCipher, location: string, close: () => Promise<void>): PgBackend {
  const meta = {
    get: async (key: string) => ((await pg.sql`SELECT value FROM meta WHERE key = ${key}`)[0]?.value as string | undefined) ?? undefined,
    putIfAbsent: async (key: string, value: string) => (await pg.sql`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING RETURNING key`).length === 1,
  };
  return {
    dialect: 'postgres',
    location,
    cipher,
    keySource: 'ORLOJ_SECRET_ENCRYPTION_KEY',
    pg,
    pool: pg.pool,
    resources: pg,
    changes: new PgChangeLog(pg),
    events: new PgEventLog(pg),
    meta,
    checks: async () => {
      const checks: Record<string, string> = {};
      try {
        await pg.write(() => pg.sql`INSERT INTO meta (key, value) VALUES ('readyz', ${new Date().toISOString()}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
        checks.database = 'ok';
      } catch (e) {
        checks.database = `not writable: ${(e as Error).message}`;
      }
      try {
        checks.migrations = (await migrationsPending(pg.pool)).length ? 'pending' : 'ok';
      } catch (e) {
        checks.migrations = `unknown: ${(e as Error).message}`;
      }
      return checks;
    },
    records: (streams) => new PgTaskRecordStore(pg, streams),
    journal: (clock) => new PgTaskJournalStore(pg, clock),
    logs: (clock) => new PgObjectLogs(pg, clock),
    dedupe: () => new PgWebhookDedupeStore(pg),
    memory: () => new PgMemoryEntryStore(pg),
    lease: (name, holder, ttlMs, clock) => new PgLeaderLease(pg, name, holder, ttlMs, clock),
    async onCommitAnywhere(wake) {
      // Also after a reconnect of the listening connection: what was committed meanwhile is read.
      const sub = await pg.pool.listen(CHANGES_CHANNEL, () => wake(), () => wake());
      return () => sub.unlisten();
    },
    close,
  };
}

/** The first start stores a check value; later starts (any server) must be able to open it. */
async function checkKey(pg: PgResourceStore, cipher: SecretCipher): Promise<void> {
  await pg.sql`INSERT INTO meta (key, value) VALUES ('secret_key_check', ${cipher.checkValue()}) ON CONFLICT (key) DO NOTHING`;
  const [row] = await pg.sql`SELECT value FROM meta WHERE key = 'secret_key_check'`;
  if (!cipher.verify(row.value as string)) {
    throw new KeyError('ORLOJ_SECRET_ENCRYPTION_KEY is not the key this database was written with; start with the key the other servers use');
  }
}
