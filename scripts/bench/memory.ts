// Memory benchmark: the sqlite memory backend (the default provider) on a real database file.
// Ingests N entries one put at a time (each its own transaction, as the entries API and the memory
// tools write), then measures keyword search (FTS5, top 10) and prefix listing (limit 100) against
// a get by key in the same run, the baseline. In-process: no HTTP, so the numbers are the store's.
// Run: npx bun scripts/bench/memory.ts [--entries 100000] [--queries 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteBackend } from '../../src/runtime/memory/sqlite';
import { openDatabase } from '../../src/store/database';
import { MemoryEntryStore } from '../../src/store/memory-entries';
import { systemClock } from '../../src/util/time';
import { describeMachine, percentile, startWatchdog } from './load';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1] ?? dflt) : dflt;
}

/** A fixed pseudo-random sequence, so every run ingests and asks the same things. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const VOCABULARY = 5000;
const words = Array.from({ length: VOCABULARY }, (_, i) => `w${i.toString(36)}x`);
/** Zipf-like: low indexes are common words, as in real text. */
const zipfWord = (r: () => number) => words[Math.min(VOCABULARY - 1, Math.floor(VOCABULARY ** r()) - 1)];

async function timed(count: number, op: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op(i);
    ms[i] = performance.now() - t;
  }
  ms.sort();
  return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

const total = arg('entries', 100_000);
const queries = arg('queries', 1000);
const work = mkdtempSync(join(tmpdir(), 'orrery-bench-memory-'));
const handle = openDatabase(join(work, 'orrery.db'));
const cleanup = async () => {
  handle.close();
  rmSync(work, { recursive: true, force: true });
};
const watchdog = startWatchdog(20 * 60_000, 'memory bench', cleanup);
try {
  const backend = sqliteBackend({ entries: new MemoryEntryStore(handle), namespace: 'default', name: 'bench', clock: systemClock });
  const r = rng(42);
  const CHUNKS = 10;
  const keyOf = (i: number) => `doc-${String(Math.floor(i / CHUNKS)).padStart(5, '0')}/chunk-${String(i % CHUNKS).padStart(4, '0')}`;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const n = 20 + Math.floor(r() * 20);
    await backend.put(keyOf(i), Array.from({ length: n }, () => zipfWord(r)).join(' '));
    if ((i + 1) % 10_000 === 0) {
      const s = (performance.now() - started) / 1000;
      console.error(`  ingest: ${i + 1} entries in ${s.toFixed(1)} s (${Math.round((i + 1) / s)}/s)`);
    }
  }
  const ingestPerSec = total / ((performance.now() - started) / 1000);

  const q = rng(7);
  const pick = () => Math.floor(q() * total);
  const get = await timed(queries, () => backend.get(keyOf(pick())));
  const rare = await timed(queries, () => backend.search(words[1000 + Math.floor(q() * 4000)], 10));
  const mixed = await timed(queries, () => backend.search(Array.from({ length: 1 + Math.floor(q() * 3) }, () => zipfWord(q)).join(' '), 10));
  const common = await timed(Math.min(queries, 200), () => backend.search(words[Math.floor(q() * 10)], 10));
  const list = await timed(queries, () => backend.list(`doc-${String(Math.floor(pick() / CHUNKS)).padStart(5, '0')}/`, 100));
  const listAll = await timed(Math.min(queries, 200), () => backend.list('', 100));

  console.log(`# Memory (sqlite provider) — ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(`${await describeMachine()}; ${total} entries of 20–39 words (Zipf over ${VOCABULARY} words), one Memory\n`);
  console.log(`Ingest: ${Math.round(ingestPerSec)} entries/s (one put per transaction)\n`);
  console.log('| operation | p50 ms | p99 ms | p99 × baseline |');
  console.log('|---|---|---|---|');
  const rows: [string, { p50: number; p99: number }][] = [
    ['get by key (baseline)', get],
    ['search, one rare word (top 10)', rare],
    ['search, 1–3 Zipf words (top 10)', mixed],
    ['search, one of the 10 commonest words (top 10)', common],
    ['list by prefix (one document, ≤ 100)', list],
    ['list all (first 100 keys)', listAll],
  ];
  for (const [name, t] of rows) console.log(`| ${name} | ${t.p50.toFixed(3)} | ${t.p99.toFixed(3)} | ${(t.p99 / get.p99).toFixed(1)} |`);
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
