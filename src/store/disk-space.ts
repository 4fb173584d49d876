// The data directory's disk as the store sees it. A write that fails because the disk is full
// becomes InsufficientStorage (507), puts the store in the "full" state (logged once) and releases
// the reserve file, so deletes can still commit; a recheck (readiness, the next write, a delete)
// gives freed pages back to the file system and accepts writes again once there is room.
import type { Database } from 'bun:sqlite';
import { closeSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InsufficientStorage } from '../errors';
import { silentLogger, type Logger } from '../log';

/** Preallocated in the data directory while there is room; deleted when the disk fills. */
export const RESERVE_FILE = 'reserve';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The reserve: a sixteenth of the capacity, between 64 KiB and 16 MiB. */
const RESERVE_MIN = 64 * KiB;
const RESERVE_MAX = 16 * MiB;
/** Room needed, beyond the reserve, before writes are accepted again. */
const MIN_ROOM = 256 * KiB;
/** An I/O error (fsync, truncate, the WAL index) counts as a full disk with less than this left. */
const NEARLY_FULL = MiB;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;

/** Bytes free to this process on the file system of `dir`, or undefined when unknown. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** A numeric PRAGMA (page_size, page_count, freelist_count, max_page_count). */
function pragmaOf(sqlite: Database, name: string): number {
  return Number(Object.values(sqlite.query(`PRAGMA ${name}`).get() as object)[0]);
}

/** SQLITE_FULL, ENOSPC, or an SQLITE_IOERR_* while the file system of `dir` is (nearly) full. */
export function isDiskFull(e: unknown, dir?: string): boolean {
  const err = e as { code?: unknown; errno?: unknown } | null | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  const primary = typeof err?.errno === 'number' && err.errno > 0 ? err.errno & 0xff : -1;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || (code.startsWith('SQLITE') && primary === SQLITE_FULL)) return true;
  if (!code.startsWith('SQLITE_IOERR') && !(code.startsWith('SQLITE') && primary === SQLITE_IOERR)) return false;
  return dir !== undefined && (freeBytes(dir) ?? Infinity) < NEARLY_FULL;
}

export class DiskSpace {
  private full = false;
  private rechecking = false;
  private reserveBytes = 0;
  /** The WAL auto-checkpoint interval before space ran low, and before the disk was full. */
  private autocheckpoint = 1000;
  private fullAutocheckpoint = 1000;
  private lowSpace = false;
  private lastLook = -Infinity;
  private pageSize?: number;
  private log: Logger = silentLogger;

  /** `dataDir` is undefined for an in-memory database (no disk, no reserve). */
  constructor(
    readonly dataDir: string | undefined,
    private readonly sqlite: Database,
  ) {}

  get isFull(): boolean {
    return this.full;
  }

  /** The error every write gets while the disk is full. */
  error(): InsufficientStorage {
    return new InsufficientStorage(this.dataDir ?? ':memory:');
  }

  /** Logs the state changes from now on and keeps the reserve file (the serve process does this). */
  start(log: Logger): void {
    this.log = log;
    if (!this.dataDir) return;
    try {
      // The capacity: the file system, or less when max_page_count caps the database.
      const s = statfsSync(this.dataDir);
      const capacity = Math.min(Number(s.blocks) * Number(s.bsize), pragmaOf(this.sqlite, 'max_page_count') * pragmaOf(this.sqlite, 'page_size'));
      this.reserveBytes = Math.min(RESERVE_MAX, Math.max(RESERVE_MIN, Math.floor(capacity / 16 / 4096) * 4096));
    } catch {
      return;
    }
    if (!this.reserveInPlace() && !this.fillReserve()) log.warn('could not preallocate the disk reserve: the data directory is short of space', { dataDir: this.dataDir, bytes: this.reserveBytes });
  }

  /** Called with every error of the connection: a full disk becomes InsufficientStorage. */
  translate(e: unknown): unknown {
    if (e instanceof InsufficientStorage || !isDiskFull(e, this.dataDir)) return e;
    if (!this.full) {
      this.full = true;
      try {
        this.fullAutocheckpoint = pragmaOf(this.sqlite, 'wal_autocheckpoint');
        // Checkpoints wait for DiskSpace.recheck, which runs them only when they fit.
        this.sqlite.exec('PRAGMA wal_autocheckpoint = 0');
      } catch {
        // the connection is busy: automatic checkpoints keep their interval
      }
      // Deletes (and the change and event rows they write) need a little room to commit.
      this.releaseReserve();
      this.log.warn('data directory is full: writes answer 507 Insufficient Storage until space is freed; deletes still work', { dataDir: this.dataDir ?? ':memory:' });
    }
    return this.error();
  }

  /**
   * After a write: close to full, the WAL is copied into the database every quarter reserve, so
   * that what it holds beyond the database never outgrows the reserve and a checkpoint still fits
   * once the reserve is released. Close to full: less free than four reserves plus the WAL the
   * usual checkpoint interval lets grow.
   */
  afterWrite(): void {
    if (!this.reserveBytes || this.full) return;
    // At most one look at the disk every 50 ms: the margin (four reserves and a checkpoint's worth)
    // is far more than a burst of writes adds in that time, and statfs per write cost 6-11% of an
    // apply.
    const now = performance.now();
    if (now - this.lastLook < 50) return;
    this.lastLook = now;
    const pageSize = (this.pageSize ??= pragmaOf(this.sqlite, 'page_size'));
    const usual = this.lowSpace ? this.autocheckpoint : pragmaOf(this.sqlite, 'wal_autocheckpoint');
    const low = (freeBytes(this.dataDir!) ?? Infinity) < 4 * this.reserveBytes + usual * pageSize;
    if (low === this.lowSpace) return;
    this.lowSpace = low;
    if (low) {
      this.autocheckpoint = usual;
      this.sqlite.exec(`PRAGMA wal_autocheckpoint = ${Math.max(16, Math.floor(this.reserveBytes / 4 / pageSize))}`);
    } else this.sqlite.exec(`PRAGMA wal_autocheckpoint = ${this.autocheckpoint}`);
  }

  /** Refuses a write that grows the store while the disk is full (the reserve is for deletes). */
  assertRoom(): void {
    if (this.full) throw this.error();
  }

  /**
   * While full: hands pages freed by deletes back to the file system, puts the reserve back and
   * accepts writes again when room is left beyond it. Outside a transaction only; true when
   * writes are accepted.
   */
  recheck(): boolean {
    if (!this.full) return true;
    if (this.rechecking || this.sqlite.inTransaction) return false;
    this.rechecking = true;
    try {
      this.giveBackPages();
      // Room for the reserve and as much again, so that writes do not flap back to full at once.
      if (!this.enoughRoom(2 * this.reserveBytes + MIN_ROOM)) return false;
      if (this.reserveBytes && !this.reserveInPlace() && !this.fillReserve()) return false;
      this.full = false;
      this.sqlite.exec(`PRAGMA wal_autocheckpoint = ${this.fullAutocheckpoint}`);
      this.log.info('data directory has room again: writes accepted', { dataDir: this.dataDir ?? ':memory:' });
      return true;
    } catch {
      // busy, or the disk still refuses: not yet
      return false;
    } finally {
      this.rechecking = false;
    }
  }

  /**
   * Room for `bytes` more: free on the file system or in the database's free pages (which writes
   * reuse before the file grows), and for the database to take them (max_page_count may cap it).
   */
  private enoughRoom(bytes: number): boolean {
    const pageSize = pragmaOf(this.sqlite, 'page_size');
    const fs = (this.dataDir ? freeBytes(this.dataDir) : undefined) ?? Infinity;
    const freePages = pragmaOf(this.sqlite, 'freelist_count') * pageSize;
    const growth = (pragmaOf(this.sqlite, 'max_page_count') - pragmaOf(this.sqlite, 'page_count')) * pageSize;
    return fs + freePages >= bytes && freePages + growth >= bytes;
  }

  /**
   * Copies the WAL into the database and empties it, when the copy fits in what is free (a copy
   * that fails half-way would take the room kept for deletes); then, for databases created with
   * auto_vacuum=INCREMENTAL, moves free pages to the end and truncates them away a few at a time
   * (older databases reuse their free pages in place).
   */
  private giveBackPages(): void {
    const pageSize = pragmaOf(this.sqlite, 'page_size');
    const step = Math.max(16, Math.floor((this.reserveBytes || MIN_ROOM) / 4 / pageSize));
    try {
      for (let i = 0; i < 64; i++) {
        if (!this.checkpointFits(pageSize)) return;
        this.sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        const before = pragmaOf(this.sqlite, 'freelist_count');
        // Moving pages writes them to the WAL first.
        if (before === 0 || ((this.dataDir ? freeBytes(this.dataDir) : undefined) ?? Infinity) < 2 * step * pageSize) return;
        this.sqlite.query(`PRAGMA incremental_vacuum(${step})`).all();
        if (pragmaOf(this.sqlite, 'freelist_count') >= before) return;
      }
    } catch {
      // still full, or busy: the next recheck tries again
    }
  }

  /** The database file grows to its page count when the WAL is copied in: is that room free? */
  private checkpointFits(pageSize: number): boolean {
    if (!this.dataDir) return true;
    let allocated = 0;
    try {
      allocated = statSync(this.sqlite.filename).blocks * 512;
    } catch {
      return false;
    }
    const growth = pragmaOf(this.sqlite, 'page_count') * pageSize - allocated;
    return (freeBytes(this.dataDir) ?? 0) >= growth + MIN_ROOM / 4;
  }

  private reservePath(): string {
    return join(this.dataDir!, RESERVE_FILE);
  }

  private reserveInPlace(): boolean {
    if (!this.reserveBytes) return true;
    try {
      return statSync(this.reservePath()).size >= this.reserveBytes;
    } catch {
      return false;
    }
  }

  /** Writes the reserve with real blocks (a sparse file would free nothing); false when no room. */
  private fillReserve(): boolean {
    const path = this.reservePath();
    let fd: number | undefined;
    try {
      fd = openSync(path, 'w', 0o600);
      const block = new Uint8Array(64 * KiB);
      for (let written = 0; written < this.reserveBytes; ) written += writeSync(fd, block, 0, Math.min(block.length, this.reserveBytes - written));
      return true;
    } catch {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      this.releaseReserve();
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private releaseReserve(): void {
    if (!this.dataDir || !this.reserveBytes) return;
    try {
      unlinkSync(this.reservePath());
    } catch {
      // already gone
    }
  }
}
