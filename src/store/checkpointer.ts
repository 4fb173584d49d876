// Background WAL checkpoints on a worker thread with its own connection: PASSIVE checkpoints never
// block writers, so copying the WAL into the database no longer stalls requests (p99) and uses
// the second core. The request thread turns its own auto-checkpoint off while this runs.
import type { Logger } from '../log';

const WORKER_SOURCE = `
import { Database } from 'bun:sqlite';
let db;
self.onmessage = (e) => {
  const m = e.data;
  try {
    if (m.open) {
      db = new Database(m.open);
      db.exec('PRAGMA busy_timeout = 50');
      return;
    }
    if (m.checkpoint) {
      if (!db) throw new Error('no database open');
      const r = db.query('PRAGMA wal_checkpoint(PASSIVE)').get();
      postMessage({ id: m.id, log: r.log, checkpointed: r.checkpointed, busy: r.busy });
    }
    if (m.close) { if (db) db.close(); db = undefined; postMessage({ id: m.id, closed: true }); }
  } catch (err) {
    postMessage({ id: m.id, error: String(err && err.message || err) });
  }
};`;

export interface CheckpointResult {
  log: number;
  checkpointed: number;
  busy: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly waiting = new Map<number, (r: any) => void>();
  private nextId = 1;
  private inFlight = false;
  private failed = false;

  /**
   * onFailure runs once if a checkpoint fails, so the caller can fall back to auto-checkpoints.
   * While `paused` says so (the disk is full) no checkpoint starts: copying the WAL would take the
   * room freed for deletes; DiskSpace checkpoints itself when the copy fits.
   */
  constructor(path: string, private readonly log: Logger, private readonly onFailure: () => void, intervalMs = 250, private readonly paused: () => boolean = () => false) {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'application/javascript' }));
    this.worker = new Worker(url);
    this.worker.onmessage = (e: MessageEvent) => {
      const m = e.data;
      // A full disk stops checkpoints only until space returns (the next one simply runs again).
      if (m.error && !/database or disk is full/i.test(m.error)) this.fail(m.error);
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    };
    // A worker that cannot start or crashes must not leave checkpoints (or stop) waiting forever.
    this.worker.onerror = (e: ErrorEvent) => {
      this.fail(e.message || 'checkpoint worker failed');
      for (const resolve of this.waiting.values()) resolve({ error: 'checkpoint worker failed', log: 0, checkpointed: 0, busy: 0 });
      this.waiting.clear();
    };
    this.worker.postMessage({ open: path });
    this.timer = setInterval(() => {
      if (this.inFlight || this.paused()) return;
      this.inFlight = true;
      void this.checkpoint().finally(() => (this.inFlight = false));
    }, intervalMs);
    // The interval must not keep a finished process alive.
    (this.timer as { unref?: () => void }).unref?.();
    (this.worker as { unref?: () => void }).unref?.();
  }

  private fail(error: string): void {
    if (this.failed) return;
    this.failed = true;
    this.log.warn('background checkpoint failed; falling back to checkpoints on the request thread', { error });
    this.onFailure();
  }

  /** Runs one PASSIVE checkpoint now. */
  checkpoint(): Promise<CheckpointResult> {
    return this.send({ checkpoint: true });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // Never let shutdown hang on the worker: give it a moment to close its connection cleanly.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.send({ close: true }), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    this.worker.terminate();
  }

  private send(msg: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ ...msg, id });
    });
  }
}
