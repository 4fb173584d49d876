// Where a process keeps its data: SQLite in --data-dir (the default, one machine), or PostgreSQL at
// --database-url (any number of servers and workers on any machines). The same flags for
// `orrery serve`, `orrery worker`, `orrery migrate`, `orrery export` and `orrery import`.
import { mkdirSync } from 'node:fs';
import type { StoreBackend } from '../store/backend';
import { openStore } from '../store/open-store';
import { openPgBackend, type PgBackend } from '../store/pg/backend';
import { redactPgUrl } from '../store/pg/connect';
import type { SqliteBackend } from '../store/sqlite-backend';
import { isBool, parseBool, positiveInt, type FlagSpec } from './flags';

export type Backend = SqliteBackend | PgBackend;

export const DATA_DIR_FLAG: FlagSpec = { name: 'data-dir', description: 'Directory for the SQLite database and generated key files (unused with --database-url)', default: './data' };

export const DATABASE_FLAGS: FlagSpec[] = [
  {
    name: 'database-url',
    description: 'PostgreSQL to share with other servers and workers (postgres://user:password@host:5432/db); empty = SQLite in --data-dir',
    default: '',
    validate: (v) => (v === '' || /^postgres(ql)?:\/\//.test(v) ? undefined : 'must be a postgres:// URL'),
  },
  { name: 'database-pool-size', description: 'PostgreSQL connections this process opens at most', default: '20', validate: positiveInt },
  { name: 'migrate', description: 'Apply pending schema migrations at start; false refuses to start while any is pending (run `orrery migrate`)', default: 'true', validate: isBool },
];

export interface StoreConfig {
  dataDir: string;
  /** Empty: SQLite in dataDir. */
  databaseUrl: string;
  poolSize: number;
  migrate: boolean;
  secretKey: string | undefined;
}

export function storeConfig(v: Record<string, string>, env: Record<string, string | undefined>): StoreConfig {
  return {
    dataDir: v['data-dir'] ?? './data',
    databaseUrl: v['database-url'] ?? '',
    poolSize: Number(v['database-pool-size'] ?? 20),
    migrate: parseBool(v['migrate'] ?? 'true'),
    secretKey: env.ORLOJ_SECRET_ENCRYPTION_KEY,
  };
}

/** Where the data is, for logs: never the password. */
export function storeLocation(c: StoreConfig): Record<string, string> {
  return c.databaseUrl ? { database: redactPgUrl(c.databaseUrl) } : { dataDir: c.dataDir };
}

export async function openConfiguredStore(c: StoreConfig, applicationName = 'orrery'): Promise<Backend> {
  if (c.databaseUrl) return openPgBackend(c.databaseUrl, { secretKey: c.secretKey, migrate: c.migrate, poolSize: c.poolSize, applicationName });
  mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
  return openStore(c.dataDir, c.secretKey, { migrate: c.migrate });
}

export type { StoreBackend };
