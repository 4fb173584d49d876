// Watcher processes for scripts/bench/watch.ts. Child side (main): opens `--count` SSE streams on
// /v1/agents/watch, parses frames at the byte level, and matches every received revision against
// the commit times the parent sends on stdin; talks JSON lines on stdout. Parent side:
// spawnWatcherProcess (a handle on one child) and fanout (merges the children's reports).
import type { Subprocess } from 'bun';
//   stdin:  `c <phase> <rev>:<ms>,<rev>:<ms>…`  commit times (epoch ms) of writes in a phase
//           `p <ms>` clock check · `r <phase> <newest rev>` report on a phase · `x` exit
//   stdout: {"type":"ready"|"progress"|"pong"|"report", …}

export const now = () => performance.timeOrigin + performance.now();

/** Latency histogram buckets: 10 µs wide from −50 to 100 ms, then 1 ms wide up to 60 s. */
export function bucketOf(ms: number): number {
  if (ms < -50) return 0;
  if (ms < 100) return 1 + Math.floor((ms + 50) * 100);
  return 15_001 + Math.min(59_900, Math.floor(ms - 100));
}

/** Upper edge of a bucket in ms (so percentiles never flatter). */
export function bucketTop(b: number): number {
  if (b === 0) return -50;
  if (b <= 15_000) return b / 100 - 50;
  return 100 + (b - 15_000);
}

export interface PhaseReport {
  type: 'report';
  phase: string;
  watchers: number;
  /** Deliveries received: (watcher, revision) pairs of this phase's writes. */
  received: number;
  /** Latency histogram, sparse: bucket → count. */
  hist: Record<string, number>;
  /** Receipts whose revision the parent never reported as written (should be 0). */
  unmatched: number;
  /** Frames that did not arrive in increasing revision order on their stream. */
  outOfOrder: number;
  disconnects: Record<string, number>;
  open: number;
  /** Open watchers that have received the phase's newest revision (revisions arrive in order). */
  caughtUp: number;
  bytes: number;
}

interface Rev { phase: string; commit: number; received: number; pending?: number[] }
interface Watcher { open: boolean; snapshot: number; lastRev: number; updates: number }

const LF = 10;
const ID_AT = 'event: resource\nid: '.length;

async function main(argv: string[]) {
  const arg = (k: string, d: string) => (argv.includes(`--${k}`) ? argv[argv.indexOf(`--${k}`) + 1] : d);
  const url = arg('url', 'http://127.0.0.1:8080') + '/v1/agents/watch';
  const count = Number(arg('count', '100'));
  const snapshot = Number(arg('snapshot', '100'));
  const revs = new Map<number, Rev>();
  const hist = new Map<string, Int32Array>();
  const disconnects: Record<string, number> = {};
  const watchers: Watcher[] = [];
  const aborts: AbortController[] = [];
  let ready = 0;
  let outOfOrder = 0;
  let bytes = 0;
  let firstError = '';
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  const histOf = (phase: string) => {
    let h = hist.get(phase);
    if (!h) hist.set(phase, (h = new Int32Array(75_002)));
    return h;
  };
  const gone = (w: Watcher, reason: string, err?: unknown) => {
    if (!w.open && reason !== 'connect') return;
    if (w.open) w.open = false;
    disconnects[reason] = (disconnects[reason] ?? 0) + 1;
    if (err && !firstError) firstError = `${reason}: ${(err as Error).message ?? err}`;
    if (w.snapshot < snapshot) markReady(w);
  };
  const markReady = (w: Watcher) => {
    w.snapshot = Infinity;
    if (++ready === count) out({ type: 'ready', count, open: watchers.filter((x) => x.open).length, disconnects, firstError, now: now() });
  };
  const received = (w: Watcher, rev: number, added: boolean, t: number) => {
    if (rev <= w.lastRev) outOfOrder++;
    w.lastRev = rev;
    if (added) {
      if (++w.snapshot === snapshot) markReady(w);
      return;
    }
    w.updates++;
    let r = revs.get(rev);
    if (!r) revs.set(rev, (r = { phase: '', commit: NaN, received: 0 }));
    r.received++;
    if (r.phase) histOf(r.phase)[bucketOf(t - r.commit)]++;
    else (r.pending ??= []).push(t);
  };
  // One frame: bytes [s, e) without the blank line.
  const frame = (w: Watcher, buf: Uint8Array, s: number, e: number, t: number) => {
    if (buf[s] === 58 /* ':' comment */) return;
    if (buf[s + 7] === 114 /* 'event: r' */) {
      let rev = 0;
      let i = s + ID_AT;
      for (; buf[i] !== LF; i++) rev = rev * 10 + buf[i] - 48;
      // data: {"type":"a… → added (snapshot) or another change
      received(w, rev, buf[i + 1 + 6 + 9] === 97, t);
    } else if (buf[s + 7] === 101 /* 'event: e' */) {
      const text = new TextDecoder().decode(buf.subarray(s, e));
      const data = /^data: (.*)$/m.exec(text)?.[1] ?? '{}';
      gone(w, (JSON.parse(data) as { reason?: string }).reason ?? 'error');
    }
  };
  const watch = async (w: Watcher, ac: AbortController) => {
    let res: Response;
    try {
      res = await fetch(url, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
    } catch (e) {
      return gone(w, 'connect', e);
    }
    if (res.status !== 200) return gone(w, 'connect', new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 200)}`));
    w.open = true;
    const reader = res.body!.getReader();
    let rest: Uint8Array | undefined;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return gone(w, 'ended');
        const t = now();
        bytes += value.byteLength;
        let buf = value;
        if (rest) {
          buf = new Uint8Array(rest.byteLength + value.byteLength);
          buf.set(rest);
          buf.set(value, rest.byteLength);
          rest = undefined;
        }
        let start = 0;
        let i = buf.indexOf(LF);
        while (i >= 0) {
          if (buf[i + 1] === LF) {
            frame(w, buf, start, i, t);
            start = i + 2;
            if (!w.open) return void reader.cancel().catch(() => {});
            i = buf.indexOf(LF, start);
          } else if (i + 1 >= buf.byteLength) break;
          else i = buf.indexOf(LF, i + 1);
        }
        if (start < buf.byteLength) rest = buf.slice(start);
      }
    } catch (e) {
      if (!ac.signal.aborted) gone(w, 'error', e);
    }
  };

  for (let i = 0; i < count; i++) {
    const w: Watcher = { open: false, snapshot: 0, lastRev: 0, updates: 0 };
    const ac = new AbortController();
    watchers.push(w);
    aborts.push(ac);
    void watch(w, ac);
    if (i % 50 === 49) await Bun.sleep(20); // do not open them all in the same tick
  }
  const progress = setInterval(() => {
    let updates = 0;
    for (const w of watchers) updates += w.updates;
    out({ type: 'progress', updates, open: watchers.filter((w) => w.open).length, disconnects, bytes });
  }, 1000);

  for await (const line of console) {
    const [cmd, a, b] = line.split(' ');
    if (cmd === 'c') {
      for (const pair of (b ?? '').split(',')) {
        const colon = pair.indexOf(':');
        if (colon < 0) continue;
        const rev = Number(pair.slice(0, colon));
        const commit = Number(pair.slice(colon + 1));
        let r = revs.get(rev);
        if (!r) revs.set(rev, (r = { phase: a, commit, received: 0 }));
        r.phase = a;
        r.commit = commit;
        if (r.pending) {
          const h = histOf(a);
          for (const t of r.pending) h[bucketOf(t - commit)]++;
          r.pending = undefined;
        }
      }
    } else if (cmd === 'p') out({ type: 'pong', sent: Number(a), at: now() });
    else if (cmd === 'r') {
      let got = 0;
      let unmatched = 0;
      for (const r of revs.values()) {
        if (r.phase === a) got += r.received;
        else if (!r.phase) unmatched += r.received;
      }
      const sparse: Record<string, number> = {};
      const h = histOf(a);
      for (let i = 0; i < h.length; i++) if (h[i]) sparse[i] = h[i];
      const open = watchers.filter((w) => w.open);
      const report: PhaseReport = {
        type: 'report', phase: a, watchers: count, received: got, hist: sparse, unmatched, outOfOrder,
        disconnects: { ...disconnects }, open: open.length, caughtUp: open.filter((w) => w.lastRev >= Number(b)).length, bytes,
      };
      out(report);
    } else if (cmd === 'x') break;
  }
  clearInterval(progress);
  for (const ac of aborts) ac.abort();
  process.exit(0);
}

export interface Child {
  proc: Subprocess<'pipe', 'pipe', 'inherit'>;
  progress: { updates: number; open: number; disconnects: Record<string, number> };
  send(line: string): void;
  /** The next stdout message of this type. */
  next<T>(type: string, timeoutMs: number): Promise<T>;
}

export function spawnWatcherProcess(bun: string, base: string, count: number, snapshot: number): Child {
  const proc = Bun.spawn([bun, import.meta.path, '--url', base, '--count', String(count), '--snapshot', String(snapshot)], {
    // Bun's fetch keeps at most 256 requests open at once unless told otherwise.
    stdin: 'pipe', stdout: 'pipe', stderr: 'inherit', env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '65000' },
  });
  const waiters = new Map<string, ((o: any) => void)[]>();
  const c: Child = {
    proc, progress: { updates: 0, open: 0, disconnects: {} },
    send(line) {
      if (proc.exitCode !== null) return;
      void proc.stdin.write(line + '\n'); // a promise only while the pipe is backed up; as flush, not waited for
      void proc.stdin.flush();
    },
    next(type, timeoutMs) {
      return new Promise((resolve, reject) => {
        const list = waiters.get(type) ?? [];
        waiters.set(type, list);
        const t = setTimeout(() => reject(new Error(`watcher process ${proc.pid}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        list.push((o) => (clearTimeout(t), resolve(o)));
      });
    },
  };
  void (async () => {
    const d = new TextDecoder();
    let buf = '';
    for await (const chunk of proc.stdout) {
      buf += d.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const o = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (o.type === 'progress') c.progress = o;
        waiters.get(o.type)?.shift()?.(o);
      }
    }
  })();
  return c;
}

/** Merges the children's reports on one phase: deliveries, latency percentiles (ms), disconnects. */
export function fanout(reports: PhaseReport[], expected: number) {
  const hist = new Map<number, number>();
  let received = 0;
  const disconnects: Record<string, number> = {};
  for (const r of reports) {
    received += r.received;
    for (const [b, n] of Object.entries(r.hist)) hist.set(Number(b), (hist.get(Number(b)) ?? 0) + n);
    for (const [k, n] of Object.entries(r.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + n;
  }
  const buckets = [...hist.keys()].sort((a, b) => a - b);
  const q = (p: number) => {
    let acc = 0;
    for (const b of buckets) if ((acc += hist.get(b)!) >= Math.ceil(p * received)) return bucketTop(b);
    return NaN;
  };
  const sum = (k: 'open' | 'unmatched' | 'outOfOrder' | 'bytes') => reports.reduce((a, r) => a + r[k], 0);
  return {
    received, expected, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: buckets.length ? bucketTop(buckets[buckets.length - 1]) : NaN,
    disconnects, open: sum('open'), unmatched: sum('unmatched'), outOfOrder: sum('outOfOrder'), bytes: sum('bytes'),
  };
}

if (import.meta.main) await main(process.argv.slice(2));
