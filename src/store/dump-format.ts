// The export format of `orrery export` / `orrery import`, shared by both dialects: the tables that
// hold a database's state, one JSON line per row between a header line and a trailer line, and the
// driver-free halves of exporting (paging by key, sizing pages, encoding rows) and importing
// (parsing and checking lines, batching rows, checking counts). src/store/dump.ts (SQLite) and
// src/store/pg/dump.ts (PostgreSQL) run the queries.
//
//   {"format":"orrery-export","version":1,"dialect":"sqlite","revision":42,…,"counts":{…}}
//   {"table":"resources","row":{"id":1,"kind":"Agent",…}}
//   …
//   {"end":true,"rows":57}
//
// Column names are the database's own. Integers are JSON numbers, blobs base64 strings. Secret
// values, password hashes and token digests are written exactly as stored: nothing is decrypted.

export const DUMP_FORMAT = 'orrery-export';
export const DUMP_VERSION = 1;

type ColumnType = 'int' | 'text' | 'blob';

export interface DumpColumn {
  name: string;
  type: ColumnType;
  nullable?: boolean;
}

export interface DumpTable {
  name: string;
  columns: DumpColumn[];
  /** A unique key: the export pages through the table in this order. */
  key: string[];
  /**
   * 'newest': only the row with the greatest key. The newest change carries the global revision on
   * SQLite (MAX(revision)) and the newest event the next event id, so both are exported as anchors
   * even when the logs themselves are not.
   */
  rows?: 'all' | 'newest' | 'events';
}

/** Meta rows worth carrying over; the others (readyz, leader leases) belong to running processes. */
export const EXPORTED_META = ['secret_key_check', 'sealing_key'];

const col = (name: string, type: ColumnType = 'text', nullable = false): DumpColumn => ({ name, type, nullable });

const changeColumns = [col('revision', 'int'), col('kind'), col('namespace'), col('name'), col('type'), col('object'), col('created_at')];
const eventColumns = ['timestamp', 'source', 'type', 'kind', 'name', 'namespace', 'action', 'message'].map((n) => col(n));

export const DUMP_TABLES: readonly DumpTable[] = [
  { name: 'meta', columns: [col('key'), col('value')], key: ['key'] },
  {
    name: 'resources',
    columns: [col('id', 'int'), col('kind'), col('namespace'), col('name'), col('uid'), col('resource_version', 'int'), col('generation', 'int'), col('labels'), col('annotations'), col('spec'), col('status'), col('created_at'), col('updated_at')],
    key: ['id'],
  },
  { name: 'changes', columns: changeColumns, key: ['revision'], rows: 'newest' },
  { name: 'events', columns: [col('id', 'int'), ...eventColumns, col('data', 'text', true)], key: ['id'], rows: 'events' },
  { name: 'auth_users', columns: [col('username'), col('role'), col('password_hash'), col('created_at'), col('updated_at')], key: ['username'] },
  { name: 'api_tokens', columns: [col('name'), col('role'), col('token_hash'), col('created_at'), col('owner')], key: ['name'] },
  { name: 'task_records', columns: [col('field'), col('task_uid'), col('seq', 'int'), col('key'), col('body')], key: ['field', 'task_uid', 'seq'] },
  { name: 'task_journal', columns: [col('task_uid'), col('key'), col('value'), col('created_at')], key: ['task_uid', 'key'] },
  { name: 'object_logs', columns: [col('id', 'int'), col('kind'), col('namespace'), col('name'), col('line')], key: ['id'] },
  {
    name: 'webhook_dedupe',
    columns: [col('endpoint_id'), col('event_id'), col('task_namespace'), col('task_name'), col('expires_at', 'int'), col('created_at')],
    key: ['endpoint_id', 'event_id'],
  },
  {
    name: 'memory_entries',
    columns: [col('id', 'int'), col('namespace'), col('memory'), col('key'), col('value'), col('embedding', 'blob', true), col('updated_at')],
    key: ['id'],
  },
];

const TABLES = new Map(DUMP_TABLES.map((t) => [t.name, t]));

/** Tables that must be empty before an import: every exported one, and sessions (never exported). */
export const STATE_TABLES = [...DUMP_TABLES.map((t) => t.name), 'auth_sessions'];

/** Meta rows an empty target may already hold: its own key check, its readiness probe, leases. */
export const OCCUPIED_META = "key NOT IN ('secret_key_check', 'readyz') AND key NOT LIKE 'lease:%'";

export interface DumpHeader {
  format: typeof DUMP_FORMAT;
  version: number;
  dialect: 'sqlite' | 'postgres';
  exportedAt: string;
  /** The global revision: new writes after an import get greater ones. */
  revision: number;
  /** The newest event id: new events after an import get greater ones. */
  lastEventId: number;
  includesEvents: boolean;
  /** meta.secret_key_check of the source: the importer's key must open it. */
  secretKeyCheck: string;
  /** Rows that follow, per table. */
  counts: Record<string, number>;
}

export type Row = Record<string, unknown>;

/** What a dialect runs for the shared export: queries in one snapshot, with `ph(i)` placeholders. */
export interface DumpReader {
  dialect: DumpHeader['dialect'];
  ph(i: number): string;
  all(text: string, params: unknown[]): Promise<Row[]>;
  revision(): Promise<number>;
  lastEventId(): Promise<number>;
}

export interface Progress {
  done: number;
  total: number;
  table: string;
}

export interface ExportOptions {
  includeEvents: boolean;
  /** Receives each line (newline included); awaited, so a slow reader slows the export. */
  write(line: string): void | Promise<void>;
  progress?(p: Progress): void;
}

/** Rows of one page stay under this many bytes of values (one larger row goes alone). */
const PAGE_BYTES = 4 * 1024 * 1024;
/** At most this many rows per page, and sizes looked ahead per page. */
const PAGE_ROWS = 1000;

const q = (name: string) => `"${name}"`;
const scopeOf = (t: DumpTable, includeEvents: boolean) => (t.rows === 'events' ? (includeEvents ? 'all' : 'newest') : (t.rows ?? 'all'));

function filter(t: DumpTable, params: unknown[], ph: (i: number) => string, after?: unknown[]): string {
  const conds: string[] = [];
  if (t.name === 'meta') conds.push(`"key" IN (${EXPORTED_META.map((k) => ph(params.push(k))).join(', ')})`);
  if (after) conds.push(`(${t.key.map(q).join(', ')}) > (${after.map((v) => ph(params.push(v))).join(', ')})`);
  return conds.length ? ` WHERE ${conds.join(' AND ')}` : '';
}

/** Writes the header, every row and the trailer; the caller holds one snapshot around it. */
export async function writeDump(r: DumpReader, opts: ExportOptions): Promise<DumpHeader> {
  const counts: Record<string, number> = {};
  for (const t of DUMP_TABLES) {
    const params: unknown[] = [];
    const [c] = await r.all(`SELECT count(*) AS n FROM ${q(t.name)}${filter(t, params, r.ph)}`, params);
    counts[t.name] = scopeOf(t, opts.includeEvents) === 'newest' ? Math.min(1, Number(c.n)) : Number(c.n);
  }
  const [check] = await r.all(`SELECT "value" FROM meta WHERE "key" = ${r.ph(1)}`, ['secret_key_check']);
  if (!check) throw new Error('the database has no secret_key_check in its meta table: no server has opened it yet, so it holds nothing to export');
  const header: DumpHeader = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    dialect: r.dialect,
    exportedAt: new Date().toISOString(),
    revision: await r.revision(),
    lastEventId: await r.lastEventId(),
    includesEvents: opts.includeEvents,
    secretKeyCheck: String(check.value),
    counts,
  };
  await opts.write(`${JSON.stringify(header)}\n`);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  let done = 0;
  for (const t of DUMP_TABLES) {
    const cols = t.columns.map((c) => q(c.name)).join(', ');
    const order = t.key.map(q).join(', ');
    if (scopeOf(t, opts.includeEvents) === 'newest') {
      const rows = await r.all(`SELECT ${cols} FROM ${q(t.name)} ORDER BY ${t.key.map((k) => `${q(k)} DESC`).join(', ')} LIMIT 1`, []);
      for (const row of rows) await opts.write(rowLine(t, row));
      done += rows.length;
      continue;
    }
    const size = t.columns.filter((c) => c.type !== 'int').map((c) => `COALESCE(octet_length(${q(c.name)}), 0)`).join(' + ');
    let after: unknown[] | undefined;
    for (;;) {
      // Sizes first: a page is as many rows as fit PAGE_BYTES, so memory stays bounded however big the rows.
      const sp: unknown[] = [];
      const sizes = await r.all(`SELECT ${size} AS size FROM ${q(t.name)}${filter(t, sp, r.ph, after)} ORDER BY ${order} LIMIT ${r.ph(sp.push(PAGE_ROWS))}`, sp);
      if (!sizes.length) break;
      let n = 0;
      for (let bytes = 0; n < sizes.length && (n === 0 || bytes + Number(sizes[n].size) <= PAGE_BYTES); n++) bytes += Number(sizes[n].size);
      const pp: unknown[] = [];
      const rows = await r.all(`SELECT ${cols} FROM ${q(t.name)}${filter(t, pp, r.ph, after)} ORDER BY ${order} LIMIT ${r.ph(pp.push(n))}`, pp);
      if (!rows.length) break;
      for (const row of rows) await opts.write(rowLine(t, row));
      const last = rows[rows.length - 1];
      after = t.key.map((k) => last[k]);
      done += rows.length;
      opts.progress?.({ done, total, table: t.name });
    }
  }
  await opts.write(`${JSON.stringify({ end: true, rows: done })}\n`);
  return header;
}

/** A row as its export line: integers as numbers, blobs as base64, columns in table order. */
function rowLine(t: DumpTable, raw: Row): string {
  const row: Row = {};
  for (const c of t.columns) {
    const v = raw[c.name];
    if (v === null || v === undefined) row[c.name] = null;
    else if (c.type === 'int') row[c.name] = Number(v);
    else if (c.type === 'blob') row[c.name] = Buffer.from(v as Uint8Array).toString('base64');
    else row[c.name] = String(v);
  }
  return `${JSON.stringify({ table: t.name, row })}\n`;
}

/** An export that cannot be read: names the line and what is wrong with it. */
export class DumpFormatError extends Error {
  override readonly name = 'DumpFormatError';
}

/** The target already holds state: names the tables. */
export class NotEmptyError extends Error {
  override readonly name = 'NotEmptyError';
  constructor(readonly tables: string[]) {
    super(
      `the target is not empty (${tables.join(', ')} hold rows): import only into a new database ` +
        '(a new --data-dir, or a new PostgreSQL database); nothing was imported',
    );
  }
}

/** Reads and checks the first line. */
export function parseHeader(line: string | undefined): DumpHeader {
  if (line === undefined || !line.trim()) throw new DumpFormatError('the input is empty: expected an `orrery export` file');
  let h: any;
  try {
    h = JSON.parse(line);
  } catch {
    throw new DumpFormatError('line 1 is not JSON: expected the header of an `orrery export` file');
  }
  if (h?.format !== DUMP_FORMAT) throw new DumpFormatError(`line 1 is not an ${DUMP_FORMAT} header (its "format" is ${JSON.stringify(h?.format)})`);
  if (h.version !== DUMP_VERSION) throw new DumpFormatError(`the export has format version ${JSON.stringify(h.version)}; this build reads version ${DUMP_VERSION}`);
  const bad = (field: string) => new DumpFormatError(`the header's "${field}" is missing or invalid`);
  if (h.dialect !== 'sqlite' && h.dialect !== 'postgres') throw bad('dialect');
  for (const f of ['revision', 'lastEventId']) if (!Number.isSafeInteger(h[f]) || h[f] < 0) throw bad(f);
  if (typeof h.secretKeyCheck !== 'string' || !h.secretKeyCheck) throw bad('secretKeyCheck');
  if (typeof h.includesEvents !== 'boolean') throw bad('includesEvents');
  if (!h.counts || typeof h.counts !== 'object') throw bad('counts');
  for (const [t, n] of Object.entries(h.counts)) {
    if (!TABLES.has(t)) throw new DumpFormatError(`the header counts rows of an unknown table "${t}"`);
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw bad(`counts.${t}`);
  }
  return h as DumpHeader;
}

/** What a dialect runs for the shared import, inside its one transaction. */
export interface DumpWriter {
  /** State tables that hold rows already. */
  occupied(): Promise<string[]>;
  /** Rows decoded for the driver: integers as numbers, blobs as bytes. */
  insert(t: DumpTable, rows: Row[]): Promise<void>;
  /** Counters after the last row: new revisions above `revision`, new event ids above `lastEventId`. */
  finish(revision: number, lastEventId: number): Promise<void>;
}

/** Rows or bytes of one insert batch. */
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Loads the lines after the header through `w`: refuses a non-empty target before writing, checks
 * every line, and fails (so the caller rolls back) unless the trailer arrives and every table's
 * count matches the header. Returns the rows per table.
 */
export async function loadDump(header: DumpHeader, lines: AsyncIterable<string>, w: DumpWriter, progress?: (p: Progress) => void): Promise<Record<string, number>> {
  const busy = await w.occupied();
  if (busy.length) throw new NotEmptyError(busy);
  const total = Object.values(header.counts).reduce((a, b) => a + b, 0);
  const seen: Record<string, number> = {};
  let batch: { t: DumpTable; rows: Row[]; bytes: number } | undefined;
  let done = 0;
  let lineNo = 1;
  let end: number | undefined;
  let newestChange = 0;
  let newestEvent = 0;
  const flush = async () => {
    if (!batch) return;
    const { t, rows } = batch;
    batch = undefined;
    try {
      await w.insert(t, rows);
    } catch (e) {
      throw new Error(`rows of ${t.name} before line ${lineNo} could not be written: ${(e as Error).message}`);
    }
    done += rows.length;
    progress?.({ done, total, table: t.name });
  };
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    if (end !== undefined) throw new DumpFormatError(`line ${lineNo} follows the export's last line`);
    let parsed: any;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new DumpFormatError(`line ${lineNo} is not JSON`);
    }
    if (parsed?.end === true) {
      end = Number(parsed.rows);
      continue;
    }
    const t = TABLES.get(parsed?.table);
    if (!t) throw new DumpFormatError(`line ${lineNo}: unknown table ${JSON.stringify(parsed?.table)}`);
    const row = decodeRow(t, parsed.row, lineNo);
    if (t.name === 'changes') newestChange = Math.max(newestChange, row.revision as number);
    if (t.name === 'events') newestEvent = Math.max(newestEvent, row.id as number);
    seen[t.name] = (seen[t.name] ?? 0) + 1;
    if (batch && (batch.t !== t || batch.rows.length >= BATCH_ROWS || batch.bytes >= BATCH_BYTES)) await flush();
    batch ??= { t, rows: [], bytes: 0 };
    batch.rows.push(row);
    batch.bytes += line.length;
  }
  await flush();
  if (end === undefined) throw new DumpFormatError(`the export ends at line ${lineNo} without its last line: it is truncated`);
  for (const t of DUMP_TABLES) {
    if ((seen[t.name] ?? 0) !== (header.counts[t.name] ?? 0)) {
      throw new DumpFormatError(`the export holds ${seen[t.name] ?? 0} rows of ${t.name}, but its header says ${header.counts[t.name] ?? 0}`);
    }
  }
  if (end !== done) throw new DumpFormatError(`the export's last line says ${end} rows, but ${done} came before it`);
  // The newest change is the revision's anchor: without it a SQLite target would restart revisions.
  if (header.revision > 0 && newestChange !== header.revision) {
    throw new DumpFormatError(`the export's revision is ${header.revision}, but its newest change is ${newestChange}`);
  }
  await w.finish(header.revision, Math.max(header.lastEventId, newestEvent));
  return seen;
}

function decodeRow(t: DumpTable, raw: unknown, lineNo: number): Row {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DumpFormatError(`line ${lineNo} (${t.name}): "row" must be an object`);
  const r = raw as Row;
  const row: Row = {};
  for (const c of t.columns) {
    const v = r[c.name];
    const bad = (want: string) => new DumpFormatError(`line ${lineNo} (${t.name}): column "${c.name}" must be ${want}`);
    if (v === null || v === undefined) {
      if (!c.nullable) throw bad(c.type === 'int' ? 'an integer' : 'a string');
      row[c.name] = null;
    } else if (c.type === 'int') {
      if (!Number.isSafeInteger(v)) throw bad('an integer');
      row[c.name] = v;
    } else if (typeof v !== 'string') throw bad(c.type === 'blob' ? 'base64 text or null' : 'a string');
    else row[c.name] = c.type === 'blob' ? new Uint8Array(Buffer.from(v, 'base64')) : v;
  }
  const extra = Object.keys(r).find((k) => !t.columns.some((c) => c.name === k));
  if (extra) throw new DumpFormatError(`line ${lineNo} (${t.name}): unknown column "${extra}"`);
  return row;
}

/** `INSERT INTO t (cols) VALUES (…), …` for `n` rows, with `ph` placeholders and per-column casts. */
export function insertSql(t: DumpTable, n: number, ph: (i: number) => string, extra: { name: string; cast: string }[] = []): string {
  const names = [...t.columns.map((c) => q(c.name)), ...extra.map((e) => q(e.name))];
  const casts = [...t.columns.map(() => ''), ...extra.map((e) => e.cast)];
  let i = 0;
  const values = Array.from({ length: n }, () => `(${casts.map((cast) => `${ph(++i)}${cast}`).join(', ')})`);
  return `INSERT INTO ${q(t.name)} (${names.join(', ')}) VALUES ${values.join(', ')}`;
}

/** `SELECT 1 FROM t LIMIT 1` for each state table, in the dialect's placeholder-free SQL. */
export const occupiedSql = (table: string) => `SELECT 1 AS one FROM ${q(table)}${table === 'meta' ? ` WHERE ${OCCUPIED_META}` : ''} LIMIT 1`;
