// Bytes a SQLite database uses, per table (its indexes counted with it), read with the dbstat
// virtual table: payload and headers of the pages in use, not the file size (free pages and the
// unused tail of each page are left out). The server may keep running: this opens a second
// connection and reads the committed state, WAL included.
import { Database } from 'bun:sqlite';

export type TableBytes = Record<string, number>;

export function dbBytes(path: string): TableBytes {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .query<{ tbl: string; used: number }, []>(
        `SELECT COALESCE(s.tbl_name, d.name) AS tbl, SUM(d.pgsize - d.unused) AS used
         FROM dbstat d LEFT JOIN sqlite_schema s ON s.name = d.name GROUP BY tbl`,
      )
      .all();
    return Object.fromEntries(rows.map((r) => [r.tbl, r.used]));
  } finally {
    db.close();
  }
}

/** What each table grew by between two readings, per unit (e.g. per task), largest first. */
export function growthPer(before: TableBytes, after: TableBytes, units: number): { total: number; tables: [string, number][] } {
  const tables = Object.keys(after)
    .map((t): [string, number] => [t, ((after[t] ?? 0) - (before[t] ?? 0)) / units])
    .filter(([, b]) => Math.abs(b) >= 1)
    .sort((a, b) => b[1] - a[1]);
  return { total: tables.reduce((s, [, b]) => s + b, 0), tables };
}
