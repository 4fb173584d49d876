// `orrery export` and `orrery import` on SQLite: the queries behind src/store/dump-format.ts. An
// export reads one snapshot (a read transaction: the WAL lets writers go on meanwhile); an import
// is one IMMEDIATE transaction, so a crash or a bad line leaves the target as it was.
import type { SQLQueryBindings } from 'bun:sqlite';
import type { OpenDatabase } from './database';
import { insertSql, loadDump, occupiedSql, STATE_TABLES, writeDump, type DumpHeader, type DumpTable, type DumpWriter, type ExportOptions, type Progress, type Row } from './dump-format';

const ph = (i: number) => `?${i}`;

export async function exportSqlite(handle: OpenDatabase, opts: ExportOptions): Promise<DumpHeader> {
  const sqlite = handle.sqlite;
  const all = async (text: string, params: unknown[]) => sqlite.query<Row, SQLQueryBindings[]>(text).all(...(params as SQLQueryBindings[]));
  const one = (text: string) => Number(sqlite.query<{ v: number }, []>(text).get()?.v ?? 0);
  sqlite.exec('BEGIN DEFERRED');
  try {
    return await writeDump(
      {
        dialect: 'sqlite',
        ph,
        all,
        // Revisions and event ids are derived from the newest rows on SQLite (src/store/resource-store.ts).
        revision: async () => one('SELECT COALESCE(MAX(revision), 0) AS v FROM changes'),
        lastEventId: async () => one('SELECT COALESCE(MAX(id), 0) AS v FROM events'),
      },
      opts,
    );
  } finally {
    if (sqlite.inTransaction) sqlite.exec('COMMIT');
  }
}

/**
 * Loads an export's rows (after its header) into an empty database in one transaction. New writes
 * continue after the imported revision because the export's newest change row is imported with the
 * rest: the next revision is MAX(changes.revision) + 1, and the next event id likewise.
 */
export async function importSqlite(handle: OpenDatabase, header: DumpHeader, lines: AsyncIterable<string>, progress?: (p: Progress) => void): Promise<Record<string, number>> {
  const sqlite = handle.sqlite;
  const statements = new Map<string, ReturnType<typeof sqlite.prepare>>();
  const writer: DumpWriter = {
    async occupied() {
      return STATE_TABLES.filter((t) => sqlite.query(occupiedSql(t)).get() !== null);
    },
    async insert(t: DumpTable, rows: Row[]) {
      let stmt = statements.get(t.name);
      if (!stmt) {
        // The target's own secret_key_check (written when it was opened) gives way to the export's.
        const text = insertSql(t, 1, ph);
        stmt = sqlite.prepare(t.name === 'meta' ? text.replace(/^INSERT/, 'INSERT OR REPLACE') : text);
        statements.set(t.name, stmt);
      }
      for (const row of rows) stmt.run(...(t.columns.map((c) => row[c.name]) as SQLQueryBindings[]));
    },
    async finish(revision, lastEventId) {
      const have = Number(sqlite.query<{ v: number }, []>('SELECT COALESCE(MAX(revision), 0) AS v FROM changes').get()!.v);
      if (have < revision) throw new Error(`after the import the revision would be ${have}, below the export's ${revision}`);
      const event = Number(sqlite.query<{ v: number }, []>('SELECT COALESCE(MAX(id), 0) AS v FROM events').get()!.v);
      if (event < lastEventId) throw new Error(`after the import the newest event would be ${event}, below the export's ${lastEventId}`);
    },
  };
  // The write lock first: the emptiness check and the rows then see no other writer.
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    const counts = await loadDump(header, lines, writer, progress);
    sqlite.exec('COMMIT');
    return counts;
  } catch (e) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw e;
  } finally {
    for (const s of statements.values()) s.finalize();
  }
}
