// Stalled-watcher memory benchmark (`bun scripts/bench/watch.ts --stalled …`): N raw TCP watchers
// open /v1/agents/watch?resourceVersion=0 over existing large objects and never read, M more large
// objects are posted, and the server's RSS is compared with the same run without watchers.
// Loopback only; every loop is bounded by a count or a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMachine, procKiB, sleep, spawnServer, startWatchdog, stopProcess } from './load';

const ROOT = join(import.meta.dir, '..', '..');
const DEFAULTS: Record<string, string> = { watchers: '20', existing: '1500', objects: '3000', size: '102400', connections: '8', 'server-flags': '', 'max-time': '20m' };
const HELP = `Usage: bun scripts/bench/watch.ts --stalled [--flag value]…
Flags (defaults): ${Object.entries(DEFAULTS).map(([k, v]) => `--${k} ${v || '""'}`).join(', ')}
--watchers: raw TCP watchers that never read; --existing: objects created before they connect;
--objects: objects posted while they are connected; --size: prompt bytes per object;
--server-flags: extra flags for orrery serve (e.g. "--watch-buffer-bytes 1MiB").`;

interface Run {
  watchers: number;
  /** RSS in KiB at each step. */
  afterExisting: number;
  withWatchers: number;
  peak: number;
  afterPosts: number;
  afterClose: number;
  /** Streams still open on the server after the posts, and of them still subscribed (not cut). */
  openAfterPosts: number;
  subscribedAfterPosts: number;
  resumed?: { bytes: number; slowConsumer: boolean; how: string };
  postSeconds: number;
}

/** A watch request on a raw socket that reads nothing until `drain`. */
function stalledWatcher(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.pause();
  socket.write('GET /v1/agents/watch?resourceVersion=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
  socket.on('error', () => {});
  return {
    socket,
    /** Reads what the server sent until it closes the connection (or 30 s pass). */
    async drain() {
      let bytes = 0;
      let tail = '';
      const done = new Promise<string>((resolve) => {
        socket.on('end', () => resolve('closed by the server'));
        socket.on('error', (e) => resolve(`error ${e.message}`));
        setTimeout(() => resolve('still open after 30 s'), 30_000);
      });
      socket.on('data', (c: Buffer) => {
        bytes += c.length;
        tail = (tail + c.toString('latin1')).slice(-400);
      });
      socket.resume();
      const how = await done;
      return { bytes, slowConsumer: tail.includes('"reason":"SlowConsumer"'), how };
    },
  };
}

async function gauge(base: string, name: string): Promise<number> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text());
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

async function postAll(base: string, from: number, count: number, prompt: string, connections: number): Promise<void> {
  let next = from;
  const end = from + count;
  const loop = async () => {
    while (next < end) {
      const name = `big-${String(next++).padStart(5, '0')}`;
      const res = await fetch(`${base}/v1/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name }, spec: { model_ref: 'm', prompt } }) });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST ${name}: ${res.status} ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

async function runOnce(dir: string, opts: Record<string, string>, watchers: number): Promise<Run> {
  const flags = opts['server-flags'].split(/\s+/).filter(Boolean);
  const server = await spawnServer([process.execPath, join(ROOT, 'src/main.ts'), 'serve', '--addr', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'info', '--embedded-worker=false', ...flags]);
  const pid = server.proc.pid;
  const port = Number(new URL(server.url).port);
  const prompt = 'x'.repeat(Number(opts.size));
  const existing = Number(opts.existing);
  const objects = Number(opts.objects);
  const connections = Number(opts.connections);
  const rss = () => procKiB(pid, 'VmRSS');
  const sockets: ReturnType<typeof stalledWatcher>[] = [];
  try {
    await postAll(server.url, 0, existing, prompt, connections);
    await sleep(1000);
    const afterExisting = await rss();
    console.error(`  ${watchers} watchers: ${existing} objects posted, RSS ${(afterExisting / 1024).toFixed(0)} MiB; opening the watchers …`);
    for (let i = 0; i < watchers; i++) sockets.push(stalledWatcher(port));
    const deadline = Date.now() + 30_000;
    while ((await gauge(server.url, 'orrery_watch_streams')) < watchers && Date.now() < deadline) await sleep(50);
    await sleep(1000);
    const withWatchers = await rss();
    const t0 = performance.now();
    let peak = withWatchers;
    let posting = true;
    const sampler = (async () => {
      while (posting) {
        peak = Math.max(peak, await rss());
        await sleep(100);
      }
    })();
    await postAll(server.url, existing, objects, prompt, connections);
    posting = false;
    await sampler;
    const postSeconds = (performance.now() - t0) / 1000;
    await sleep(1000);
    const afterPosts = await rss();
    const openAfterPosts = await gauge(server.url, 'orrery_watch_streams');
    const subscribedAfterPosts = await gauge(server.url, 'orrery_watch_subscribers');
    console.error(`  ${watchers} watchers: ${objects} objects posted in ${postSeconds.toFixed(1)} s; ${openAfterPosts} streams open, ${subscribedAfterPosts} not cut off`);
    const resumed = sockets.length ? await sockets[0].drain() : undefined;
    for (const s of sockets) s.socket.destroy();
    await sleep(2000);
    const afterClose = await rss();
    peak = Math.max(peak, await procKiB(pid, 'VmHWM'));
    return { watchers, afterExisting, withWatchers, peak, afterPosts, afterClose, openAfterPosts, subscribedAfterPosts, resumed, postSeconds };
  } finally {
    for (const s of sockets) s.socket.destroy();
    await stopProcess(server.proc);
  }
}

export async function stalledBench(args: string[]): Promise<void> {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') return console.log(HELP);
    const eq = a.indexOf('=');
    const key = a.slice(2, eq >= 0 ? eq : undefined);
    if (!a.startsWith('--') || !(key in DEFAULTS)) throw new Error(`unknown argument ${a}\n${HELP}`);
    opts[key] = eq >= 0 ? a.slice(eq + 1) : args[++i] ?? '';
  }
  const watchers = Number(opts.watchers);
  if (!(watchers >= 1) || !(Number(opts.objects) >= 1) || !(Number(opts.size) >= 1)) throw new Error('--watchers, --objects and --size must be at least 1');
  const tmp = mkdtempSync(join(tmpdir(), 'orrery-stalled-bench-'));
  const maxMs = Number(/^(\d+)m$/.exec(opts['max-time'])?.[1] ?? 20) * 60_000;
  const watchdog = startWatchdog(maxMs, opts['max-time'], async () => rmSync(tmp, { recursive: true, force: true }));
  try {
    const machine = await describeMachine();
    console.error(`stalled watchers: ${machine}`);
    const runs: Run[] = [];
    for (const n of [0, watchers]) {
      runs.push(await runOnce(join(tmp, `w${n}`), opts, n));
      rmSync(join(tmp, `w${n}`), { recursive: true, force: true });
    }
    const mib = (kib: number) => (kib / 1024).toFixed(0);
    const [none, some] = runs;
    const out = [
      `Machine: ${machine}. Command: \`${['bun scripts/bench/watch.ts --stalled', ...args].join(' ')}\` (${Object.entries(opts).filter(([, v]) => v).map(([k, v]) => `--${k} ${v}`).join(' ')}).`,
      '',
      '| watchers (never read) | RSS after existing objects | with watchers open | peak (VmHWM) | after posts | after sockets closed | streams open / not cut off after posts | posts took |',
      '|---|---|---|---|---|---|---|---|',
      ...runs.map((r) => `| ${r.watchers} | ${mib(r.afterExisting)} MiB | ${mib(r.withWatchers)} MiB | ${mib(r.peak)} MiB | ${mib(r.afterPosts)} MiB | ${mib(r.afterClose)} MiB | ${r.openAfterPosts} / ${r.subscribedAfterPosts} | ${r.postSeconds.toFixed(1)} s |`),
      '',
      `Peak RSS with ${watchers} stalled watchers / without: **${(some.peak / none.peak).toFixed(2)}×**; after the sockets closed: ${(some.afterClose / none.afterClose).toFixed(2)}×.`,
      some.resumed ? `One stalled socket that starts reading after the posts receives ${(some.resumed.bytes / 1048576).toFixed(1)} MiB, ${some.resumed.slowConsumer ? 'ending with the SlowConsumer frame' : 'without a SlowConsumer frame'}, then: ${some.resumed.how}.` : '',
    ];
    console.log(out.join('\n'));
  } finally {
    clearTimeout(watchdog);
    rmSync(tmp, { recursive: true, force: true });
  }
}
