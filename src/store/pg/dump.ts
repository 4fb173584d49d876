// `orrery export` and `orrery import` on PostgreSQL: the queries behind src/store/dump-format.ts. An
// export reads one REPEATABLE READ snapshot; an import is one transaction holding the state tables
// locked against other writers, so it commits whole or not at all, and no server writes between the
// emptiness check and the COMMIT.
import type { SQL } from 'bun';
import { insertSql, loadDump, occupiedSql, STATE_TABLES, writeDump, type DumpHeader, type DumpTable, type DumpWriter, type ExportOptions, type Progress, type Row } from '../dump-format';
import { EVENT_COUNTER } from './event-log';
import { CHANGES_CHANNEL, type PgResourceStore } from './resource-store';
import { VECTOR_COLUMN } from './vector';

const ph = (i: number) => `$${i}`;

/** Tables whose ids come from an identity column: after ids are given explicitly, it must follow them. */
const IDENTITY_TABLES = ['resources', 'events', 'object_logs', 'memory_entries'];

export async function exportPg(store: PgResourceStore, opts: ExportOptions): Promise<DumpHeader> {
  return store.pool.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => {
    const counter = async (id: number) => Number((await tx`SELECT value FROM revision_counter WHERE id = ${id}`)[0]?.value ?? 0);
    return writeDump(
      {
        dialect: 'postgres',
        ph,
        all: (text, params) => tx.unsafe(text, params) as Promise<Row[]>,
        revision: () => counter(1),
        lastEventId: () => counter(EVENT_COUNTER),
      },
      opts,
    );
  }) as Promise<DumpHeader>;
}

/**
 * Loads an export's rows (after its header) into an empty database in one transaction, then moves
 * the revision and event counters (revision_counter rows 1 and 2) and the identity sequences past
 * the imported values, so new writes continue after them.
 */
export async function importPg(store: PgResourceStore, header: DumpHeader, lines: AsyncIterable<string>, progress?: (p: Progress) => void): Promise<Record<string, number>> {
  return store.pool.begin(async (tx) => {
    // EXCLUSIVE: readers go on, every writer (on any server) waits for this transaction.
    await tx.unsafe(`LOCK TABLE revision_counter, ${STATE_TABLES.join(', ')} IN EXCLUSIVE MODE`);
    const [vector] = await tx`SELECT 1 AS one FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'memory_entries' AND column_name = ${VECTOR_COLUMN}`;
    const writer: DumpWriter = {
      async occupied() {
        const busy: string[] = [];
        for (const t of STATE_TABLES) if ((await tx.unsafe(occupiedSql(t))).length) busy.push(t);
        return busy;
      },
      insert: (t, rows) => insertRows(tx, t, rows, !!vector),
      async finish(revision, lastEventId) {
        await tx`UPDATE revision_counter SET value = GREATEST(value, ${revision}) WHERE id = 1`;
        await tx`UPDATE revision_counter SET value = GREATEST(value, ${lastEventId}) WHERE id = ${EVENT_COUNTER}`;
        for (const t of IDENTITY_TABLES) {
          // The table name is a constant of this file, not input.
          await tx.unsafe(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), m) FROM (SELECT MAX(id) AS m FROM ${t}) s WHERE m IS NOT NULL`);
        }
        // Running servers on this database read the new state at once (delivered on COMMIT).
        await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${String(revision)})`;
      },
    };
    return loadDump(header, lines, writer, progress);
  }) as Promise<Record<string, number>>;
}

async function insertRows(tx: SQL, t: DumpTable, rows: Row[], vector: boolean): Promise<void> {
  // With the pgvector column present, entries get their vector as PgMemoryEntryStore.put writes it.
  const extra = vector && t.name === 'memory_entries' ? [{ name: VECTOR_COLUMN, cast: '::text::vector' }] : [];
  let text = insertSql(t, rows.length, ph, extra);
  // The target's own secret_key_check (written when it was opened) gives way to the export's.
  if (t.name === 'meta') text += ' ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"';
  const params: unknown[] = [];
  for (const row of rows) {
    for (const c of t.columns) params.push(row[c.name]);
    if (extra.length) params.push(vectorText(row.embedding as Uint8Array | null));
  }
  await tx.unsafe(text, params);
}

/** pgvector's text form of a little-endian Float32 embedding; none for what pgvector refuses. */
function vectorText(bytes: Uint8Array | null): string | null {
  if (!bytes || bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) return null;
  const v = new Float32Array(new Uint8Array(bytes).buffer);
  return v.every(Number.isFinite) ? `[${Array.from(v).join(',')}]` : null;
}
