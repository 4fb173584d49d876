// `orrery migrate`: applies the pending schema migrations of a data directory or a PostgreSQL
// database and says which, so servers can start with --migrate=false (the production path: the
// schema changes once, by hand, not whenever some server starts). Also the helpers that the store
// verbs (migrate, export, import) share.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from '../../db/migrations';
import { ApiError } from '../errors';
import { openDatabase } from '../store/database';
import { PendingMigrationsError } from '../store/migrate';
import { DB_FILE } from '../store/open-store';
import { connectPg, parsePgUrl } from '../store/pg/connect';
import { applyPgMigrations, migrationsPending } from '../store/pg/migrate';
import { flagHelp, isBool, parseBool, parseFlags, type FlagSpec } from './flags';
import { DATA_DIR_FLAG, DATABASE_FLAGS, storeConfig, storeLocation } from './store-config';

/** --data-dir and --database-url: where the verb's database is. */
export const WHERE_FLAGS: FlagSpec[] = [DATA_DIR_FLAG, DATABASE_FLAGS.find((f) => f.name === 'database-url')!];

/** A boolean flag that may be given bare (`--dry-run`): true unless written `--dry-run=false`. */
export const boolFlag = (name: string, description: string): FlagSpec => ({ name, description, default: 'false', validate: isBool });

const MIGRATE_FLAGS: FlagSpec[] = [...WHERE_FLAGS, boolFlag('dry-run', 'List the pending migrations without applying them')];

/** Parses the flags, reading a bare boolean flag as `=true` (parseFlags would take the next argument as its value). */
export function parseVerbFlags(args: string[], specs: FlagSpec[], env: Record<string, string | undefined>): Record<string, string> {
  const bools = new Set(specs.filter((s) => s.validate === isBool).map((s) => `--${s.name}`));
  return parseFlags(
    args.map((a) => (bools.has(a) ? `${a}=true` : a)),
    specs,
    env,
  );
}

/** A usage error (exit 2): the message and where the flags are explained. */
export function usageError(verb: string, e: unknown): number {
  process.stderr.write(`orrery ${verb}: ${e instanceof ApiError || e instanceof Error ? e.message : String(e)}\nRun \`orrery ${verb} --help\` for the flags and their environment variables.\n`);
  return 2;
}

/** A failure (exit 1), with the database password removed should any message carry it. */
export function failure(verb: string, e: unknown, databaseUrl: string): number {
  let message = e instanceof Error ? e.message : String(e);
  if (databaseUrl) {
    let password = '';
    try {
      password = parsePgUrl(databaseUrl).password;
    } catch {
      // an unusable URL was already reported by its own error
    }
    for (const p of new Set([password, encodeURIComponent(password)])) if (p.length >= 4) message = message.split(p).join('***');
  }
  process.stderr.write(`orrery ${verb}: ${message}\n`);
  return 1;
}

export function migrateHelp(): string {
  return `Usage: orrery migrate [--data-dir DIR | --database-url URL] [--dry-run]

Applies the pending schema migrations of this build to a SQLite data directory (--data-dir) or a
PostgreSQL database (--database-url) and lists what it applied, or says it is up to date. Run it
before starting servers of a new build with --migrate=false, which refuses to start while any
migration is pending. With --dry-run it only lists the pending migrations. No key is needed.

Flags:
${flagHelp(MIGRATE_FLAGS)}
`;
}

export async function migrateCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(migrateHelp());
    return 0;
  }
  let values: Record<string, string>;
  try {
    values = parseVerbFlags(args, MIGRATE_FLAGS, env);
  } catch (e) {
    return usageError('migrate', e);
  }
  const store = storeConfig(values, env);
  const dryRun = parseBool(values['dry-run']);
  const where = Object.values(storeLocation(store))[0];
  try {
    const { pending, applied } = store.databaseUrl ? await migratePg(store.databaseUrl, dryRun) : migrateSqlite(store.dataDir, dryRun);
    const out = process.stdout;
    if (dryRun) {
      for (const tag of pending) out.write(`pending ${tag}\n`);
      out.write(pending.length ? `orrery migrate: ${pending.length} migration(s) pending on ${where} (dry run: nothing applied)\n` : `orrery migrate: ${where} is up to date\n`);
    } else {
      for (const tag of applied) out.write(`applied ${tag}\n`);
      out.write(applied.length ? `orrery migrate: applied ${applied.length} migration(s) to ${where}; it is up to date\n` : `orrery migrate: ${where} is up to date\n`);
    }
    return 0;
  } catch (e) {
    return failure('migrate', e, store.databaseUrl);
  }
}

async function migratePg(url: string, dryRun: boolean): Promise<{ pending: string[]; applied: string[] }> {
  const conn = await connectPg(url, { max: 1, applicationName: 'orrery migrate' });
  try {
    if (dryRun) return { pending: await migrationsPending(conn.sql), applied: [] };
    return { pending: [], applied: await applyPgMigrations(conn.sql) };
  } finally {
    await conn.close();
  }
}

function migrateSqlite(dataDir: string, dryRun: boolean): { pending: string[]; applied: string[] } {
  const path = join(dataDir, DB_FILE);
  // A dry run creates nothing: a data directory without a database has every migration pending.
  if (dryRun && !existsSync(path)) return { pending: migrations.map((m) => m.tag), applied: [] };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pending = sqlitePending(path);
  if (dryRun || !pending.length) return { pending, applied: [] };
  openDatabase(path).close();
  // What is still pending afterwards (another build's process racing this one) is an error, named.
  const left = sqlitePending(path);
  if (left.length) throw new PendingMigrationsError(left);
  return { pending: [], applied: pending };
}

/** Opening with migrations off names what is pending (PendingMigrationsError) instead of applying it. */
function sqlitePending(path: string): string[] {
  try {
    openDatabase(path, { migrate: false }).close();
    return [];
  } catch (e) {
    if (e instanceof PendingMigrationsError) return e.pending;
    throw e;
  }
}
